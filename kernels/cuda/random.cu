// Philox normal noise: a fill kernel that reads the device counter, then a one-thread
// kernel that advances it (separate launches so no thread reads a counter another writes).
#include <curand_kernel.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/random.hpp"

namespace maac::cuda {
namespace {

constexpr int64_t kGroup = 4;  // one Box-Muller quadruple per Philox subsequence

// Four normals: one Philox output (4 x 32 bits) for float, two for double.
__device__ __forceinline__ void normal4(curandStatePhilox4_32_10_t* s, float* v) {
  const float4 r = curand_normal4(s);
  v[0] = r.x, v[1] = r.y, v[2] = r.z, v[3] = r.w;
}
__device__ __forceinline__ void normal4(curandStatePhilox4_32_10_t* s, double* v) {
  const double2 r0 = curand_normal2_double(s), r1 = curand_normal2_double(s);
  v[0] = r0.x, v[1] = r0.y, v[2] = r1.x, v[3] = r1.y;
}

template <class T> struct FillNormalGroup {
  T* out; int64_t n; uint64_t seed; const uint64_t* counter;
  __device__ void operator()(int64_t g) const {
    curandStatePhilox4_32_10_t state;
    curand_init(seed, *counter + uint64_t(g), 0, &state);  // subsequence jump is O(1) for Philox
    T values[kGroup];
    normal4(&state, values);
    const int64_t first = g * kGroup;
    for (int64_t k = 0; k < kGroup && first + k < n; ++k) out[first + k] = values[k];
  }
};

__global__ void advance_counter_kernel(uint64_t* counter, uint64_t groups) { *counter += groups; }

}  // namespace

template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t* device_counter, Stream stream) {
  detail::check_size(n, "cuda::fill_normal");
  if (device_counter == nullptr) throw std::invalid_argument("cuda::fill_normal: device_counter must not be null");
  if (n == 0) return;
  const int64_t groups = (n + kGroup - 1) / kGroup;
  detail::launch_map(FillNormalGroup<T>{out, n, seed, device_counter}, groups, stream);
  advance_counter_kernel<<<1, 1, 0, stream>>>(device_counter, uint64_t(groups));
  MAAC_CUDA_CHECK(cudaGetLastError());
}

template void fill_normal<float>(float*, int64_t, uint64_t, uint64_t*, Stream);
template void fill_normal<double>(double*, int64_t, uint64_t, uint64_t*, Stream);

}  // namespace maac::cuda
