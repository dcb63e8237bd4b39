// Ensemble member choice on the device, for updates captured as CUDA graphs: the members
// are drawn by a kernel (so every replay draws afresh, like fill_normal) and rows pick
// their member's output from an all-members evaluation by index, with no host data.
// Plain C++ header.
#pragma once
#include <cstdint>

#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// out[i] = pool[j] with j uniform in [0, pool_size), i in [0, n). Row i uses Philox
// subsequence *device_counter + i of `seed`; afterwards a kernel adds n to the counter.
// pool: pool_size member ids in device memory (e.g. the elites).
void draw_members(int32_t* out, int64_t n, const int32_t* pool, int64_t pool_size, uint64_t seed,
                  uint64_t* device_counter, Stream stream = default_stream);

// all: [M, n, d], member: [n] with values in [0, M) -> y: [n, d], y[i] = all[member[i], i].
// A member outside [0, M) gives a NaN row instead of reading out of bounds.
template <class T>
void select_member_rows(const T* all, const int32_t* member, T* y, int64_t M, int64_t n, int64_t d,
                        Stream stream = default_stream);
// dall[member[i], i] += dy[i]: each (member, row) pair is picked once, so no atomics.
template <class T>
void select_member_rows_backward(const T* dy, const int32_t* member, T* dall, int64_t M, int64_t n, int64_t d,
                                 Stream stream = default_stream);

}  // namespace maac::cuda
