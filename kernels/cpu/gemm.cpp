#include "kernels/cpu/gemm.hpp"

#include <Eigen/Core>
#include <malloc.h>
#include <omp.h>

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

}  // namespace

template <class T>
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  Map<T> c(C, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == T(0)) c.setZero(); else c *= beta;
    return;
  }
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
  for (int64_t i = 0; i < batch; ++i)
    gemm(ta, tb, m, n, k, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta, C + i * stride_c, ldc);
}

void set_threads(int n) {
  Eigen::setNbThreads(n);
  omp_set_num_threads(n);
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
