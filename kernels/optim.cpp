// Device dispatch of kernels/optim.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/optim.hpp"

#include "kernels/cpu/elementwise.hpp"
#include "kernels/cpu/parallel.hpp"
#include "kernels/cuda/optim.hpp"
#include "kernels/cuda/pointwise.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {

template <class T>
void adam_update(Where w, T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T bc1, T bc2,
                 T weight_decay) {
  if (w.on_cuda())
    return MAAC_ON_CUDA(cuda::adam_update(p, g, m, v, n, lr, beta1, beta2, eps, bc1, bc2, weight_decay, w.stream));
  // Adam costs about 4 copies' worth per element: parts of a quarter of the usual size.
  cpu::parallel_range(n, 4, [&](int64_t i0, int64_t i1) {
    cpu::adam_update(p + i0, g + i0, m + i0, v + i0, i1 - i0, lr, beta1, beta2, eps, bc1, bc2, weight_decay);
  });
}

template <class T> void polyak_update(Where w, T* target, const T* source, int64_t n, T tau) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::polyak_update(target, source, n, tau, w.stream));
  cpu::parallel_range(n, 1, [&](int64_t i0, int64_t i1) { cpu::polyak_update(target + i0, source + i0, i1 - i0, tau); });
}

template <class T> void sum_squares_add(Where w, const T* g, int64_t n, double* squared_norm) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::sum_squares_add(g, n, squared_norm, w.stream));
  cpu::sum_squares_add(g, n, squared_norm);
}

template <class T> void clip_scale(Where w, T* g, int64_t n, const double* squared_norm, double max_norm) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::clip_scale(g, n, squared_norm, max_norm, w.stream));
  cpu::clip_scale(g, n, squared_norm, max_norm);
}

void flag_set(Where w, int32_t* ok) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::flag_set(ok, w.stream));
  cuda_only(__func__, w.device);
}

template <class T> void flag_all_finite(Where w, const T* x, int64_t n, int32_t* ok) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::flag_all_finite(x, n, ok, w.stream));
  cuda_only(__func__, w.device);
}

void count_step(Where w, int64_t* step, const int32_t* ok) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::count_step(step, ok, w.stream));
  cuda_only(__func__, w.device);
}

template <class T>
void adam_update_guarded(Where w, T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps,
                         T weight_decay, const int64_t* step, const int32_t* ok) {
  if (w.on_cuda())
    return MAAC_ON_CUDA(
        cuda::adam_update_guarded(p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, step, ok, w.stream));
  cuda_only(__func__, w.device);
}

template <class T>
void polyak_update_guarded(Where w, T* target, const T* source, int64_t n, T tau, const int32_t* ok) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::polyak_update_guarded(target, source, n, tau, ok, w.stream));
  cuda_only(__func__, w.device);
}

#define MAAC_INSTANTIATE(T)                                                                                       \
  template void adam_update<T>(Where, T*, const T*, T*, T*, int64_t, T, T, T, T, T, T, T);                      \
  template void polyak_update<T>(Where, T*, const T*, int64_t, T);                                              \
  template void sum_squares_add<T>(Where, const T*, int64_t, double*);                                          \
  template void clip_scale<T>(Where, T*, int64_t, const double*, double);                                       \
  template void flag_all_finite<T>(Where, const T*, int64_t, int32_t*);                                         \
  template void adam_update_guarded<T>(Where, T*, const T*, T*, T*, int64_t, T, T, T, T, T, const int64_t*,     \
                                       const int32_t*);                                                         \
  template void polyak_update_guarded<T>(Where, T*, const T*, int64_t, T, const int32_t*);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
