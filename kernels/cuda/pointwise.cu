// Kernel bodies, launches and entry checks for pointwise.hpp. Per-element math comes
// from kernels/math.cuh where it exists (math::clamp).
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/pointwise.hpp"

namespace maac::cuda {
namespace {

template <class T> struct Fill {
  T* y; T value;
  __device__ void operator()(int64_t i) const { y[i] = value; }
};

template <class T> struct Affine {
  const T* x; T* y; T c, d; bool accumulate;
  __device__ void operator()(int64_t i) const {
    const T v = c * x[i] + d;
    y[i] = accumulate ? y[i] + v : v;
  }
};

template <class T> struct ClampForward {
  const T* x; T* y; T lo, hi;
  __device__ void operator()(int64_t i) const { y[i] = math::clamp(x[i], lo, hi); }
};

template <class T> struct ClampBackward {
  const T* x; const T* dy; T* dx; T lo, hi;
  __device__ void operator()(int64_t i) const {
    if (x[i] > lo && x[i] < hi) dx[i] += dy[i];
  }
};

template <class T> struct Inside {
  const T* x; T* y; double lo, hi; bool closed;
  __device__ void operator()(int64_t i) const { y[i] = math::inside(x[i], lo, hi, closed); }
};

template <class T> struct Square {  // contribution in double: float squares lose digits when summed
  const T* x;
  __device__ double operator()(int64_t i) const { return double(x[i]) * double(x[i]); }
};

}  // namespace

template <class T> void fill(T* y, int64_t n, T value, Stream stream) {
  detail::check_size(n, "cuda::fill");
  detail::launch_map(Fill<T>{y, value}, n, stream);
}

template <class T> void affine(const T* x, T* y, int64_t n, T c, T d, bool accumulate, Stream stream) {
  detail::check_size(n, "cuda::affine");
  detail::launch_map(Affine<T>{x, y, c, d, accumulate}, n, stream);
}

template <class T> void clamp_forward(const T* x, T* y, int64_t n, T lo, T hi, Stream stream) {
  detail::check_size(n, "cuda::clamp_forward");
  if (!(lo <= hi))
    throw std::invalid_argument("cuda::clamp_forward: bounds lo = " + std::to_string(lo) + ", hi = " +
                                std::to_string(hi) + ": expected lo <= hi");
  detail::launch_map(ClampForward<T>{x, y, lo, hi}, n, stream);
}

template <class T> void inside(const T* x, T* y, int64_t n, double lo, double hi, bool closed, Stream stream) {
  detail::check_size(n, "cuda::inside");
  detail::launch_map(Inside<T>{x, y, lo, hi, closed}, n, stream);
}

template <class T> void clamp_backward(const T* x, const T* dy, T* dx, int64_t n, T lo, T hi, Stream stream) {
  detail::check_size(n, "cuda::clamp_backward");
  if (dx) detail::launch_map(ClampBackward<T>{x, dy, dx, lo, hi}, n, stream);
}

template <class T> void sum_squares_add(const T* x, int64_t n, double* out, Stream stream) {
  detail::check_size(n, "cuda::sum_squares_add");
  detail::launch_reduce(cpu::Broadcast{1, 1, n, 0, 0, 0}, Square<T>{x}, out, stream);
}

#define MAAC_INSTANTIATE(T)                                                        \
  template void fill<T>(T*, int64_t, T, Stream);                                  \
  template void affine<T>(const T*, T*, int64_t, T, T, bool, Stream);             \
  template void clamp_forward<T>(const T*, T*, int64_t, T, T, Stream);            \
  template void clamp_backward<T>(const T*, const T*, T*, int64_t, T, T, Stream); \
  template void inside<T>(const T*, T*, int64_t, double, double, bool, Stream);   \
  template void sum_squares_add<T>(const T*, int64_t, double*, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
