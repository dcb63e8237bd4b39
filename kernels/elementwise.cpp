// Device dispatch of kernels/elementwise.hpp: one branch per call (kernels/dispatch.hpp).
// The CPU side uses the vectorised loops of cpu/activations.hpp where they exist.
#include "kernels/elementwise.hpp"

#include "kernels/cpu/activations.hpp"
#include "kernels/cuda/elementwise.hpp"
#include "kernels/cuda/pointwise.hpp"
#include "kernels/cuda/sampling.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {

template <class T> void unary_forward(Where w, math::Unary f, const T* x, T* y, int64_t n) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::unary_forward(f, x, y, n, w.stream));
  cpu::activation_forward(f, x, y, n);
}

template <class T> void unary_backward(Where w, math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::unary_backward(f, x, y, dy, dx, n, w.stream));
  cpu::activation_backward(f, x, y, dy, dx, n);
}

template <class T> void binary_forward(Where w, math::Binary f, const Broadcast& bc, const T* a, const T* b, T* y) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::binary_forward(f, bc, a, b, y, w.stream));
  cpu::binary_forward(f, bc, a, b, y);
}

template <class T>
void binary_backward(Where w, math::Binary f, const Broadcast& bc, const T* a, const T* b, const T* dy, T* da, T* db) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::binary_backward(f, bc, a, b, dy, da, db, w.stream));
  cpu::binary_backward(f, bc, a, b, dy, da, db);
}

template <class T> void affine(Where w, const T* x, T* y, int64_t n, T c, T d) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::affine(x, y, n, c, d, false, w.stream));
  cpu::affine(x, y, n, c, d);
}

template <class T> void axpy(Where w, T c, const T* x, T* y, int64_t n) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::affine(x, y, n, c, T(0), true, w.stream));
  cpu::axpy(c, x, y, n);
}

template <class T> void clamp_forward(Where w, const T* x, T* y, int64_t n, T lo, T hi) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::clamp_forward(x, y, n, lo, hi, w.stream));
  cpu::clamp_forward(x, y, n, lo, hi);
}

template <class T> void clamp_backward(Where w, const T* x, const T* dy, T* dx, int64_t n, T lo, T hi) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::clamp_backward(x, dy, dx, n, lo, hi, w.stream));
  cpu::clamp_backward(x, dy, dx, n, lo, hi);
}

template <class T> void inside(Where w, const T* x, T* y, int64_t n, double lo, double hi, bool closed) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::inside(x, y, n, lo, hi, closed, w.stream));
  cpu::inside(x, y, n, lo, hi, closed);
}

template <class T> void soft_clamp_forward(Where w, const Broadcast& bc, const T* x, const T* lo, const T* hi, T* y) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::soft_clamp_forward(bc, x, lo, hi, y, w.stream));
  cpu::vector_soft_clamp_forward(bc, x, lo, hi, y);
}

template <class T>
void soft_clamp_backward(Where w, const Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx,
                         T* dlo, T* dhi) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::soft_clamp_backward(bc, x, lo, hi, dy, dx, dlo, dhi, w.stream));
  cpu::vector_soft_clamp_backward(bc, x, lo, hi, dy, dx, dlo, dhi);
}

#define MAAC_INSTANTIATE(T)                                                                                        \
  template void unary_forward<T>(Where, math::Unary, const T*, T*, int64_t);                                     \
  template void unary_backward<T>(Where, math::Unary, const T*, const T*, const T*, T*, int64_t);                \
  template void binary_forward<T>(Where, math::Binary, const Broadcast&, const T*, const T*, T*);                \
  template void binary_backward<T>(Where, math::Binary, const Broadcast&, const T*, const T*, const T*, T*, T*); \
  template void affine<T>(Where, const T*, T*, int64_t, T, T);                                                   \
  template void axpy<T>(Where, T, const T*, T*, int64_t);                                                        \
  template void clamp_forward<T>(Where, const T*, T*, int64_t, T, T);                                            \
  template void clamp_backward<T>(Where, const T*, const T*, T*, int64_t, T, T);                                 \
  template void inside<T>(Where, const T*, T*, int64_t, double, double, bool);                                   \
  template void soft_clamp_forward<T>(Where, const Broadcast&, const T*, const T*, const T*, T*);                 \
  template void soft_clamp_backward<T>(Where, const Broadcast&, const T*, const T*, const T*, const T*, T*, T*, T*);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
