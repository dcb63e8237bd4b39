#include "kernels/cpu/gemm.hpp"

#include <Eigen/Core>
#include <cblas.h>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <utility>
#include <type_traits>

namespace maac::cpu {
namespace {

// Eigen allocates its GEMM packing buffers on every call. With glibc's default 128 KiB
// mmap threshold each of them is a fresh mmap whose pages fault in and are cleared on
// first touch (6-8 % of a MAAC update in perf). Keeping such blocks in the heap makes
// them reusable; set once, before the first GEMM.
const bool kHeapTuned = [] {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return true;
}();

template <class T> using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T> using ConstMap = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;
template <class T> using Map = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;

// op(X) is a [rows, cols] view of X stored as [rows, cols] (no) or [cols, rows] (yes).
template <class T, class Fn>
void with_op(Trans t, const T* X, int64_t rows, int64_t cols, int64_t ld, Fn&& fn) {
  if (t == Trans::no) fn(ConstMap<T>(X, rows, cols, Eigen::OuterStride<>(ld)));
  else fn(ConstMap<T>(X, cols, rows, Eigen::OuterStride<>(ld)).transpose());
}

std::atomic<GemmBackend> g_backend{GemmBackend::automatic};
thread_local GemmRecorder* t_recorder = nullptr;

template <class T> void record(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t batch) {
  if (t_recorder) t_recorder->add({ta, tb, m, n, k, batch, std::is_same_v<T, double>});
}

// OpenBLAS's packed kernels run 1.3x (1 thread) to 1.5x (2 threads) faster than Eigen's
// once every dimension is >= 32; on thin shapes (k or n of 12-23: the first and last
// layers) Eigen is 10-30 % faster. Measured on the MAAC update's shapes (docs/benchmarks.md).
constexpr int64_t kBlasMinDim = 32;

bool use_openblas(int64_t m, int64_t n, int64_t k) {
  switch (g_backend.load(std::memory_order_relaxed)) {
    case GemmBackend::eigen: return false;
    case GemmBackend::openblas: return true;
    case GemmBackend::automatic: break;
  }
  return std::min({m, n, k}) >= kBlasMinDim;
}

CBLAS_TRANSPOSE cblas_op(Trans t) { return t == Trans::yes ? CblasTrans : CblasNoTrans; }

template <class T>
void openblas_gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
                   const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  // BLAS reads C when beta != 0 only, the same contract as the Eigen path.
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, cblas_op(ta), cblas_op(tb), int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb),
                beta, C, int(ldc));
  else
    cblas_dgemm(CblasRowMajor, cblas_op(ta), cblas_op(tb), int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb),
                beta, C, int(ldc));
}

}  // namespace

template <class T>
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  record<T>(ta, tb, m, n, k, 1);
  Map<T> c(C, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == T(0)) c.setZero(); else c *= beta;
    return;
  }
  if (use_openblas(m, n, k)) return openblas_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  with_op(ta, A, m, k, lda, [&](const auto& a) {
    with_op(tb, B, k, n, ldb, [&](const auto& b) {
      // beta == 0 must not read C (it may be uninitialised arena memory).
      if (beta == T(0)) c.noalias() = alpha * (a * b);
      else if (beta == T(1)) c.noalias() += alpha * (a * b);
      else { c *= beta; c.noalias() += alpha * (a * b); }
    });
  });
}

template <class T>
void gemm_strided_batched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A,
                          int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b,
                          T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch) {
  record<T>(ta, tb, m, n, k, batch);
  GemmRecorder* outer = std::exchange(t_recorder, nullptr);  // one record for the whole batch
  for (int64_t i = 0; i < batch; ++i)
    gemm(ta, tb, m, n, k, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta, C + i * stride_c, ldc);
  t_recorder = outer;
}

GemmRecorder::GemmRecorder() {
  if (t_recorder) throw std::logic_error("GemmRecorder: another recorder is active on this thread");
  t_recorder = this;
}
GemmRecorder::~GemmRecorder() { t_recorder = nullptr; }
double GemmRecorder::flops() const {
  double f = 0;
  for (const GemmCall& c : calls_) f += c.flops();
  return f;
}

void set_gemm_backend(GemmBackend b) { g_backend.store(b, std::memory_order_relaxed); }
GemmBackend gemm_backend() { return g_backend.load(std::memory_order_relaxed); }
const char* gemm_backend_name(GemmBackend b) {
  switch (b) {
    case GemmBackend::automatic: return "automatic";
    case GemmBackend::eigen: return "eigen";
    case GemmBackend::openblas: return "openblas";
  }
  return "?";
}

void set_threads(int n) {
  Eigen::setNbThreads(n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}
int threads() { return Eigen::nbThreads(); }

#define MAAC_INSTANTIATE(T)                                                                          \
  template void gemm<T>(Trans, Trans, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,     \
                        int64_t, T, T*, int64_t);                                                    \
  template void gemm_strided_batched<T>(Trans, Trans, int64_t, int64_t, int64_t, T, const T*,        \
                                        int64_t, int64_t, const T*, int64_t, int64_t, T, T*, int64_t, \
                                        int64_t, int64_t);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cpu
