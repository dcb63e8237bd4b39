// Kernel, launcher and public entry for the element-wise unary functions.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/elementwise.hpp"

namespace maac::cuda {
namespace {

constexpr int kThreads = 256;

template <class T> __global__ void unary_forward_kernel(math::Unary f, const T* x, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = math::unary_forward(f, x[i]);
}

template <class T>
__global__ void unary_backward_kernel(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dx[i] += dy[i] * math::unary_derivative(f, x[i], y[i]);
}

// Grid-stride loops: enough blocks to fill the card, capped so huge n still launches.
unsigned blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

}  // namespace

template <class T> void unary_forward(math::Unary f, const T* x, T* y, int64_t n) {
  if (n == 0) return;
  unary_forward_kernel<T><<<blocks_for(n), kThreads>>>(f, x, y, n);
  MAAC_CUDA_CHECK(cudaGetLastError());
}

template <class T> void unary_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  if (n == 0) return;
  unary_backward_kernel<T><<<blocks_for(n), kThreads>>>(f, x, y, dy, dx, n);
  MAAC_CUDA_CHECK(cudaGetLastError());
}

template void unary_forward<float>(math::Unary, const float*, float*, int64_t);
template void unary_forward<double>(math::Unary, const double*, double*, int64_t);
template void unary_backward<float>(math::Unary, const float*, const float*, const float*, float*, int64_t);
template void unary_backward<double>(math::Unary, const double*, const double*, const double*, double*, int64_t);

}  // namespace maac::cuda
