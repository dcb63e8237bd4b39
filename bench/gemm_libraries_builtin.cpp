// The libraries the engine already depends on: OpenBLAS called directly (cblas_sgemm),
// Eigen and the engine's automatic per-shape choice, both through cpu::gemm.
#include <cblas.h>

#include "bench/gemm_libraries.hpp"

namespace maac::bench::gemmlib {
namespace {

class OpenBlas : public Library {
 public:
  std::string name() const override { return "openblas"; }
  std::string how() const override {
    return std::string("cblas_sgemm (row-major) per batch entry; ") + openblas_get_config();
  }
  bool threads_supported(int) const override { return true; }
  void set_threads(int n) override { openblas_set_num_threads(n); }
  void run(const GemmCall& c, const float* A, const float* B, float* C) override {
    const CBLAS_TRANSPOSE ta = c.ta == Trans::yes ? CblasTrans : CblasNoTrans;
    const CBLAS_TRANSPOSE tb = c.tb == Trans::yes ? CblasTrans : CblasNoTrans;
    const int64_t sa = c.m * c.k, sb = c.k * c.n, sc = c.m * c.n;
    for (int64_t i = 0; i < c.batch; ++i)
      cblas_sgemm(CblasRowMajor, ta, tb, int(c.m), int(c.n), int(c.k), 1.f, A + i * sa, int(lda_of(c)), B + i * sb,
                  int(ldb_of(c)), 0.f, C + i * sc, int(c.n));
  }
};

// cpu::gemm_strided_batched with the engine's backend forced (a process-wide setting:
// every thread running this library sets the same value).
class Engine : public Library {
 public:
  Engine(cpu::GemmBackend backend, std::string how) : backend_(backend), how_(std::move(how)) {}
  std::string name() const override {
    return backend_ == cpu::GemmBackend::eigen ? "eigen" : std::string("engine-") + cpu::gemm_backend_name(backend_);
  }
  std::string how() const override { return how_; }
  bool threads_supported(int) const override { return true; }
  void set_threads(int n) override { cpu::set_threads(n); }
  void run(const GemmCall& c, const float* A, const float* B, float* C) override {
    cpu::set_gemm_backend(backend_);
    cpu::gemm_strided_batched<float>(c.ta, c.tb, c.m, c.n, c.k, 1.f, A, lda_of(c), c.m * c.k, B, ldb_of(c), c.k * c.n,
                                     0.f, C, c.n, c.m * c.n, c.batch);
  }

 private:
  cpu::GemmBackend backend_;
  std::string how_;
};

}  // namespace

void add_builtin_libraries(std::vector<NamedFactory>& out) {
  out.push_back({"openblas", [] { return std::make_unique<OpenBlas>(); }});
  out.push_back({"eigen", [] {
                   return std::make_unique<Engine>(cpu::GemmBackend::eigen,
                                                   "Eigen 3.4 through cpu::set_gemm_backend(eigen) + cpu::gemm");
                 }});
  out.push_back({"engine-automatic", [] {
                   return std::make_unique<Engine>(cpu::GemmBackend::automatic,
                                                   "cpu::gemm as shipped: OpenBLAS when min(m,n,k) >= 32, else Eigen");
                 }});
}

}  // namespace maac::bench::gemmlib
