// Noise drawn on the device by counter-based generators whose counter lives in device
// memory, so a captured CUDA graph draws afresh at every replay (DESIGN decision 4).
// Where first (kernels/where.hpp); cuda only: cpu noise comes from Rng on the host, so
// both throw std::invalid_argument for the cpu.
#pragma once
#include <cstdint>

#include "kernels/where.hpp"

namespace maac::kernels {

// out[0, n) ~ N(0, 1) from Philox `seed` at *device_counter, which then advances
// (cuda::fill_normal).
template <class T> void fill_normal(Where w, T* out, int64_t n, uint64_t seed, uint64_t* device_counter);
// out[i] = pool[j], j uniform in [0, pool_size), from Philox `seed` at *device_counter
// (cuda::draw_members). pool and out are device memory.
void draw_members(Where w, int32_t* out, int64_t n, const int32_t* pool, int64_t pool_size, uint64_t seed,
                  uint64_t* device_counter);

// cpu: out[0, n) ~ N(0, 1) where normals 2j and 2j+1 come from Philox `seed` at counter
// + j (subsequence 1): the host stream of Rng::fill_normal, split across the CPU threads.
template <class T> void fill_normal_pairs(T* out, int64_t n, uint64_t seed, uint64_t counter);

}  // namespace maac::kernels
