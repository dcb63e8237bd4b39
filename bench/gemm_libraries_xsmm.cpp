// libxsmm 1.17 (Debian libxsmm-dev, static): JIT-generated small-GEMM kernels.
//
// libxsmm is column-major. The row-major C [m, n] = op(A) op(B) is the column-major
// C^T [n, m] = op(B)^T op(A)^T over the same memory: libxsmm's A is our B (transposed
// when ours is), its B is our A, and M, N swap. Its JIT (1.17, AVX2) makes kernels for
// NN and for a transposed B (ours: a transposed A, dW = x^T dz) but returns NULL for a
// transposed A (ours: a transposed B, dx = dz W^T); there this library copies op(B)
// into a scratch with libxsmm_otrans first and runs the NN kernel.
#include <libxsmm.h>

#include <omp.h>

#include <string>
#include <vector>

#include "bench/gemm_libraries.hpp"

namespace maac::bench::gemmlib {
namespace {

struct Init {
  Init() { libxsmm_init(); }
};

class Xsmm : public Library {
 public:
  Xsmm() { static Init once; }
  std::string name() const override { return "libxsmm"; }
  std::string how() const override {
    return "1 thread: libxsmm_smmdispatch JIT kernel (looked up per call), a transposed B copied first "
           "(libxsmm_otrans), libxsmm_sgemm where no kernel comes back; 2 threads: libxsmm_sgemm_omp (libxsmmext)";
  }
  bool threads_supported(int n) const override { return n <= 2; }
  void set_threads(int n) override { threads_ = n; }
  void prepare(const std::vector<GemmCall>& shapes) override {
    for (const GemmCall& c : shapes) kernel(c.ta, Trans::no, c.m, c.n, c.k);
  }
  void run(const GemmCall& c, const float* A, const float* B, float* C) override {
    const int64_t sa = c.m * c.k, sb = c.k * c.n, sc = c.m * c.n;
    const bool copy_b = c.tb == Trans::yes;
    libxsmm_smmfunction f = threads_ > 1 ? nullptr : kernel(c.ta, Trans::no, c.m, c.n, c.k);
    if (!f) {
      // 2 threads, or no JIT kernel (this CPU): libxsmm's own GEMM front ends.
      const libxsmm_blasint M = c.n, N = c.m, K = c.k, lda = ldb_of(c), ldb = lda_of(c), ldc = c.n;
      const char transa = c.tb == Trans::yes ? 'T' : 'N', transb = c.ta == Trans::yes ? 'T' : 'N';
      const float alpha = 1.f, beta = 0.f;
      for (int64_t i = 0; i < c.batch; ++i) {
        if (threads_ > 1)
          libxsmm_sgemm_omp(&transa, &transb, &M, &N, &K, &alpha, B + i * sb, &lda, A + i * sa, &ldb, &beta,
                            C + i * sc, &ldc);
        else
          libxsmm_sgemm(&transa, &transb, &M, &N, &K, &alpha, B + i * sb, &lda, A + i * sa, &ldb, &beta, C + i * sc,
                        &ldc);
      }
      if (threads_ == 1) total_flops_ += c.flops();
      return;
    }
    total_flops_ += c.flops();
    if (!copy_b) fast_flops_ += c.flops();
    for (int64_t i = 0; i < c.batch; ++i) {
      const float* b = B + i * sb;
      if (copy_b) {
        // B is stored [n, k]; the NN kernel wants [k, n]. In libxsmm's column-major
        // terms that is the transpose of a k x n matrix with leading dimension k.
        scratch_.resize(size_t(sb));
        libxsmm_otrans(scratch_.data(), b, sizeof(float), c.k, c.n, c.k, c.n);
        b = scratch_.data();
      }
      f(b, A + i * sa, C + i * sc);
    }
  }
  std::string notes() const override {
    if (total_flops_ <= 0) return "";
    return "1 thread: " + std::to_string(int(100 * fast_flops_ / total_flops_ + 0.5)) +
           " % of the FLOPs this instance ran went to a JIT kernel with no transpose copy";
  }

 private:
  // The JIT kernel for row-major op(A) op(B) with tight leading dimensions (tb == no).
  static libxsmm_smmfunction kernel(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k) {
    const libxsmm_blasint lda = tb == Trans::no ? n : k, ldb = ta == Trans::no ? k : m, ldc = n;
    const float alpha = 1.f, beta = 0.f;
    const int flags = (tb == Trans::yes ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (ta == Trans::yes ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
    return libxsmm_smmdispatch(n, m, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, nullptr);
  }
  int threads_ = 1;
  std::vector<float> scratch_;
  double total_flops_ = 0, fast_flops_ = 0;
};

}  // namespace

void add_libxsmm(std::vector<NamedFactory>& out) {
  out.push_back({"libxsmm", [] { return std::make_unique<Xsmm>(); }});
}

}  // namespace maac::bench::gemmlib
