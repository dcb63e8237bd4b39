// Kernel bodies, launches and entry checks for the fused Adam and Polyak updates, the
// guarded (graph-ready) Adam step and its flag, and the gradient clip scaling.
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

// Reads the step and the flag on the device: one replayed graph serves every step.
template <class T> struct GuardedAdamStep {
  T* p; const T* g; T* m; T* v; T lr, beta1, beta2, eps, weight_decay; const int64_t* step; const int32_t* ok;
  __device__ void operator()(int64_t i) const {
    if (*ok == 0) return;
    const T t = T(*step);
    const T bc1 = T(1) - pow(beta1, t), bc2 = T(1) - pow(beta2, t);
    math::adam_step(p + i, g[i], m + i, v + i, lr, beta1, beta2, eps, bc1, bc2, weight_decay);
  }
};

template <class T> struct FiniteFlag {
  const T* x; int32_t* ok;
  // Every writer writes the same 0, so the race is benign.
  __device__ void operator()(int64_t i) const {
    if (!isfinite(x[i])) *ok = 0;
  }
};

__global__ void flag_set_kernel(int32_t* ok) { *ok = 1; }
__global__ void count_step_kernel(int64_t* step, const int32_t* ok) {
  if (*ok) *step += 1;
}

// Every thread derives the factor from the device scalar (one sqrt and one division):
// cheaper than a separate one-thread launch, and no factor buffer to keep.
template <class T> struct ClipScale {
  T* g; const double* squared_norm; double max_norm;
  __device__ void operator()(int64_t i) const {
    const double factor = math::clip_factor(*squared_norm, max_norm);
    if (factor != 1.0) g[i] = math::clip_scaled(g[i], factor);
  }
};

// ok == nullptr: always step; otherwise only when the update's flag says it was applied.
template <class T> struct PolyakStep {
  T* target; const T* source; T tau; const int32_t* ok;
  __device__ void operator()(int64_t i) const {
    if (ok != nullptr && *ok == 0) return;
    target[i] = math::polyak(target[i], source[i], tau);
  }
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

void flag_set(int32_t* ok, Stream stream) {
  if (ok == nullptr) throw std::invalid_argument("cuda::flag_set: null flag");
  flag_set_kernel<<<1, 1, 0, stream>>>(ok);
  MAAC_CUDA_CHECK(cudaGetLastError());
}

template <class T> void flag_all_finite(const T* x, int64_t n, int32_t* ok, Stream stream) {
  detail::check_size(n, "cuda::flag_all_finite");
  if (ok == nullptr) throw std::invalid_argument("cuda::flag_all_finite: null flag");
  detail::launch_map(FiniteFlag<T>{x, ok}, n, stream);
}

void count_step(int64_t* step, const int32_t* ok, Stream stream) {
  if (step == nullptr || ok == nullptr) throw std::invalid_argument("cuda::count_step: null step or flag");
  count_step_kernel<<<1, 1, 0, stream>>>(step, ok);
  MAAC_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void adam_update_guarded(T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T weight_decay,
                         const int64_t* step, const int32_t* ok, Stream stream) {
  detail::check_size(n, "cuda::adam_update_guarded");
  if (step == nullptr || ok == nullptr) throw std::invalid_argument("cuda::adam_update_guarded: null step or flag");
  if (!(beta1 >= T(0) && beta1 < T(1)) || !(beta2 >= T(0) && beta2 < T(1)))
    throw std::invalid_argument("cuda::adam_update_guarded: beta1 " + std::to_string(beta1) + ", beta2 " +
                                std::to_string(beta2) + ": expected both in [0, 1)");
  detail::launch_map(GuardedAdamStep<T>{p, g, m, v, lr, beta1, beta2, eps, weight_decay, step, ok}, n, stream);
}

template <class T>
void clip_scale(T* g, int64_t n, const double* squared_norm, double max_norm, Stream stream) {
  detail::check_size(n, "cuda::clip_scale");
  if (squared_norm == nullptr) throw std::invalid_argument("cuda::clip_scale: null squared norm");
  if (!(max_norm > 0))
    throw std::invalid_argument("cuda::clip_scale: max_norm " + std::to_string(max_norm) + ", expected > 0");
  detail::launch_map(ClipScale<T>{g, squared_norm, max_norm}, n, stream);
}

template <class T> void polyak_update(T* target, const T* source, int64_t n, T tau, Stream stream) {
  detail::check_size(n, "cuda::polyak_update");
  detail::launch_map(PolyakStep<T>{target, source, tau, nullptr}, n, stream);
}

template <class T>
void polyak_update_guarded(T* target, const T* source, int64_t n, T tau, const int32_t* ok, Stream stream) {
  detail::check_size(n, "cuda::polyak_update_guarded");
  if (ok == nullptr) throw std::invalid_argument("cuda::polyak_update_guarded: null flag");
  detail::launch_map(PolyakStep<T>{target, source, tau, ok}, n, stream);
}

#define MAAC_INSTANTIATE(T)                                                                             \
  template void adam_update<T>(T*, const T*, T*, T*, int64_t, T, T, T, T, T, T, T, Stream);           \
  template void polyak_update<T>(T*, const T*, int64_t, T, Stream);                                  \
  template void polyak_update_guarded<T>(T*, const T*, int64_t, T, const int32_t*, Stream);          \
  template void clip_scale<T>(T*, int64_t, const double*, double, Stream);                           \
  template void flag_all_finite<T>(const T*, int64_t, int32_t*, Stream);                              \
  template void adam_update_guarded<T>(T*, const T*, T*, T*, int64_t, T, T, T, T, T, const int64_t*,    \
                                       const int32_t*, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
