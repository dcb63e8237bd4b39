// BLIS 0.9 (Debian libblis-dev, the OpenMP build): bli_sgemm, BLIS's own typed API,
// which takes a row and a column stride per operand, so row-major storage and
// transposes need no conversion.
//
// libblis.so.4 also exports the whole BLAS and CBLAS (sgemm_, cblas_sgemm, ...), as
// OpenBLAS does. Linked into one binary, whichever library comes first in the link order
// silently serves the engine's cblas_sgemm. So BLIS is not linked: it is dlopen'ed with
// RTLD_LOCAL (its symbols stay out of the global namespace: cblas_sgemm remains
// OpenBLAS's) and RTLD_DEEPBIND (its own internal calls bind to itself first).
#include <blis.h>
#include <dlfcn.h>
#include <omp.h>

#include <stdexcept>
#include <string>

#include "bench/gemm_libraries.hpp"

namespace maac::bench::gemmlib {
namespace {

constexpr const char* kSoname = "libblis.so.4";

struct Blis {
  void* handle = nullptr;
  decltype(&bli_sgemm) sgemm = nullptr;
  decltype(&bli_thread_set_num_threads) set_threads = nullptr;
  decltype(&bli_info_get_version_str) version = nullptr;
  std::string origin;

  Blis() {
    handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
      origin = std::string("not loaded: ") + dlerror();
      return;
    }
    sgemm = reinterpret_cast<decltype(sgemm)>(dlsym(handle, "bli_sgemm"));
    set_threads = reinterpret_cast<decltype(set_threads)>(dlsym(handle, "bli_thread_set_num_threads"));
    version = reinterpret_cast<decltype(version)>(dlsym(handle, "bli_info_get_version_str"));
    Dl_info info{};
    if (sgemm && dladdr(reinterpret_cast<void*>(sgemm), &info) && info.dli_fname)
      origin = std::string(info.dli_fname) + " (dlopen RTLD_LOCAL | RTLD_DEEPBIND), BLIS " + (version ? version() : "?");
    if (!sgemm || !set_threads) {
      origin = "loaded, but bli_sgemm or bli_thread_set_num_threads is missing";
      sgemm = nullptr;
    }
  }
};

Blis& blis() {
  static Blis b;
  return b;
}

class BlisLibrary : public Library {
 public:
  std::string name() const override { return "blis"; }
  std::string how() const override {
    return "bli_sgemm (row stride = ld, column stride 1; transposes as flags) per batch entry; "
           "bli_thread_set_num_threads; " + blis().origin;
  }
  bool threads_supported(int) const override { return true; }
  void set_threads(int n) override { blis().set_threads(n); }
  void run(const GemmCall& c, const float* A, const float* B, float* C) override {
    float alpha = 1.f, beta = 0.f;
    const trans_t ta = c.ta == Trans::yes ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
    const trans_t tb = c.tb == Trans::yes ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
    const int64_t sa = c.m * c.k, sb = c.k * c.n, sc = c.m * c.n;
    for (int64_t i = 0; i < c.batch; ++i)
      blis().sgemm(ta, tb, c.m, c.n, c.k, &alpha, const_cast<float*>(A + i * sa), lda_of(c), 1,
                   const_cast<float*>(B + i * sb), ldb_of(c), 1, &beta, C + i * sc, c.n, 1);
  }
};

}  // namespace

std::string blis_origin() { return blis().origin; }

void add_blis(std::vector<NamedFactory>& out) {
  if (!blis().sgemm) return;  // reported through blis_origin()
  out.push_back({"blis", [] { return std::make_unique<BlisLibrary>(); }});
}

}  // namespace maac::bench::gemmlib
