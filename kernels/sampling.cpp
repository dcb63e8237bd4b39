// Device dispatch of kernels/sampling.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/sampling.hpp"

#include "kernels/cpu/activations.hpp"
#include "kernels/cpu/elementwise.hpp"
#include "kernels/cuda/sampling.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {

template <class T> void gaussian_sample_forward(Where w, const T* mu, const T* log_std, const T* eps, T* y, int64_t n) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::gaussian_sample_forward(mu, log_std, eps, y, n, w.stream));
  cpu::gaussian_sample_forward(mu, log_std, eps, y, n);
}

template <class T>
void gaussian_sample_backward(Where w, const T* mu, const T* log_std, const T* eps, const T* dy, T* dmu, T* dlog_std,
                              T* deps, int64_t n) {
  if (w.on_cuda())
    return MAAC_ON_CUDA(cuda::gaussian_sample_backward(mu, log_std, eps, dy, dmu, dlog_std, deps, n, w.stream));
  cpu::gaussian_sample_backward(mu, log_std, eps, dy, dmu, dlog_std, deps, n);
}

template <class T>
void squashed_gaussian_forward(Where w, const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows,
                               int64_t cols) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::squashed_gaussian_forward(mu, log_std, eps, a, logp, rows, cols, w.stream));
  cpu::vector_squashed_gaussian_forward(mu, log_std, eps, a, logp, rows, cols);
}

template <class T>
void squashed_sample_backward(Where w, const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std,
                              int64_t n) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::squashed_sample_backward(log_std, eps, a, da, dmu, dlog_std, n, w.stream));
  cpu::vector_squashed_sample_backward(log_std, eps, a, da, dmu, dlog_std, n);
}

template <class T>
void squashed_log_prob_backward(Where w, const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu,
                                T* dlog_std, int64_t rows, int64_t cols) {
  if (w.on_cuda())
    return MAAC_ON_CUDA(
        cuda::squashed_log_prob_backward(mu, log_std, eps, dlogp, dmu, dlog_std, rows, cols, w.stream));
  cpu::vector_squashed_log_prob_backward(mu, log_std, eps, dlogp, dmu, dlog_std, rows, cols);
}

#define MAAC_INSTANTIATE(T)                                                                                         \
  template void gaussian_sample_forward<T>(Where, const T*, const T*, const T*, T*, int64_t);                     \
  template void gaussian_sample_backward<T>(Where, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t);  \
  template void squashed_gaussian_forward<T>(Where, const T*, const T*, const T*, T*, T*, int64_t, int64_t);      \
  template void squashed_sample_backward<T>(Where, const T*, const T*, const T*, const T*, T*, T*, int64_t);      \
  template void squashed_log_prob_backward<T>(Where, const T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
