// Device dispatch of kernels/gemm.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/gemm.hpp"

#include "kernels/cuda/gemm.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {

template <class T>
void gemm(Where w, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::gemm<T>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, w.stream));
  cpu::gemm<T>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
void gemm_strided_batched(Where w, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A,
                          int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C,
                          int64_t ldc, int64_t stride_c, int64_t batch) {
  if (w.on_cuda())
    return MAAC_ON_CUDA(cuda::gemm_strided_batched<T>(ta, tb, m, n, k, alpha, A, lda, stride_a, B, ldb, stride_b, beta,
                                                      C, ldc, stride_c, batch, w.stream));
  cpu::gemm_strided_batched<T>(ta, tb, m, n, k, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c,
                               batch);
}

#define MAAC_INSTANTIATE(T)                                                                                      \
  template void gemm<T>(Where, Trans, Trans, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, \
                        T*, int64_t);                                                                           \
  template void gemm_strided_batched<T>(Where, Trans, Trans, int64_t, int64_t, int64_t, T, const T*, int64_t,      \
                                        int64_t, const T*, int64_t, int64_t, T, T*, int64_t, int64_t, int64_t);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
