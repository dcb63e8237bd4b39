// Member draws (cuRAND Philox, device counter) and member-row selection.
#include <curand_kernel.h>

#include <cmath>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/members.hpp"

namespace maac::cuda {
namespace {

struct DrawMember {
  int32_t* out; const int32_t* pool; int64_t pool_size; uint64_t seed; const uint64_t* counter;
  __device__ void operator()(int64_t i) const {
    curandStatePhilox4_32_10_t state;
    curand_init(seed, *counter + uint64_t(i), 0, &state);
    // 32 random bits scaled to [0, pool_size): bias below 2^-32 * pool_size.
    const uint64_t j = (uint64_t(curand(&state)) * uint64_t(pool_size)) >> 32;
    out[i] = pool[j];
  }
};

__global__ void advance_kernel(uint64_t* counter, uint64_t by) { *counter += by; }

template <class T> struct SelectRows {
  const T* all; const int32_t* member; T* y; int64_t M, n, d;
  __device__ void operator()(int64_t k) const {
    const int64_t i = k / d, c = k % d;
    const int32_t m = member[i];
    y[k] = (m >= 0 && m < M) ? all[(int64_t(m) * n + i) * d + c] : T(NAN);
  }
};

template <class T> struct SelectRowsBackward {
  const T* dy; const int32_t* member; T* dall; int64_t M, n, d;
  __device__ void operator()(int64_t k) const {
    const int64_t i = k / d, c = k % d;
    const int32_t m = member[i];
    if (m >= 0 && m < M) dall[(int64_t(m) * n + i) * d + c] += dy[k];
  }
};

void check_select(const char* what, int64_t M, int64_t n, int64_t d) {
  if (M < 1 || n < 0 || d < 0)
    throw std::invalid_argument(std::string(what) + ": M " + std::to_string(M) + ", n " + std::to_string(n) + ", d " +
                                std::to_string(d) + ": expected M >= 1, n >= 0, d >= 0");
}

}  // namespace

void draw_members(int32_t* out, int64_t n, const int32_t* pool, int64_t pool_size, uint64_t seed,
                  uint64_t* device_counter, Stream stream) {
  detail::check_size(n, "cuda::draw_members");
  if (pool_size < 1 || pool == nullptr || device_counter == nullptr)
    throw std::invalid_argument("cuda::draw_members: pool of " + std::to_string(pool_size) +
                                " members; expected a non-empty pool and a device counter");
  if (n == 0) return;
  detail::launch_map(DrawMember{out, pool, pool_size, seed, device_counter}, n, stream);
  advance_kernel<<<1, 1, 0, stream>>>(device_counter, uint64_t(n));
  MAAC_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void select_member_rows(const T* all, const int32_t* member, T* y, int64_t M, int64_t n, int64_t d, Stream stream) {
  check_select("cuda::select_member_rows", M, n, d);
  detail::launch_map(SelectRows<T>{all, member, y, M, n, d}, n * d, stream);
}

template <class T>
void select_member_rows_backward(const T* dy, const int32_t* member, T* dall, int64_t M, int64_t n, int64_t d,
                                 Stream stream) {
  check_select("cuda::select_member_rows_backward", M, n, d);
  detail::launch_map(SelectRowsBackward<T>{dy, member, dall, M, n, d}, n * d, stream);
}

#define MAAC_INSTANTIATE(T)                                                                                  \
  template void select_member_rows<T>(const T*, const int32_t*, T*, int64_t, int64_t, int64_t, Stream);     \
  template void select_member_rows_backward<T>(const T*, const int32_t*, T*, int64_t, int64_t, int64_t, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
