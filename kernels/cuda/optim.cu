// Kernel bodies, launches and entry checks for the fused Adam and Polyak updates.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/optim.hpp"

namespace maac::cuda {
namespace {

template <class T> struct AdamStep {
  T* p; const T* g; T* m; T* v; T lr, beta1, beta2, eps, bc1, bc2, weight_decay;
  __device__ void operator()(int64_t i) const {
    math::adam_step(p + i, g[i], m + i, v + i, lr, beta1, beta2, eps, bc1, bc2, weight_decay);
  }
};

template <class T> struct PolyakStep {
  T* target; const T* source; T tau;
  __device__ void operator()(int64_t i) const { target[i] = math::polyak(target[i], source[i], tau); }
};

}  // namespace

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T bc1, T bc2,
                 T weight_decay, Stream stream) {
  detail::check_size(n, "cuda::adam_update");
  if (!(bc1 > T(0)) || !(bc2 > T(0)))
    throw std::invalid_argument("cuda::adam_update: bias corrections must be > 0, got bc1=" + std::to_string(bc1) +
                                " bc2=" + std::to_string(bc2));
  detail::launch_map(AdamStep<T>{p, g, m, v, lr, beta1, beta2, eps, bc1, bc2, weight_decay}, n, stream);
}

template <class T> void polyak_update(T* target, const T* source, int64_t n, T tau, Stream stream) {
  detail::check_size(n, "cuda::polyak_update");
  detail::launch_map(PolyakStep<T>{target, source, tau}, n, stream);
}

#define MAAC_INSTANTIATE(T)                                                                             \
  template void adam_update<T>(T*, const T*, T*, T*, int64_t, T, T, T, T, T, T, T, Stream);           \
  template void polyak_update<T>(T*, const T*, int64_t, T, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
