// Sums on device pointers. Each overwrites its output (out = sum), unlike the backward
// functions, which accumulate. Plain C++ header.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast
#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// x: [B, R, C] (bc's extents); out has bc's operand shape (stride 0 where summed):
//   out[j] = sum of x over the elements that map to j.
template <class T> void sum_to(const cpu::Broadcast& bc, const T* x, T* out, Stream stream = default_stream);

// x: [rows, cols] -> out: [cols]
template <class T> void sum_rows(const T* x, T* out, int64_t rows, int64_t cols, Stream stream = default_stream);
// x: [rows, cols] -> out: [rows]
template <class T> void sum_cols(const T* x, T* out, int64_t rows, int64_t cols, Stream stream = default_stream);
// x: [n] -> out: [1]
template <class T> void sum_all(const T* x, T* out, int64_t n, Stream stream = default_stream);

}  // namespace maac::cuda
