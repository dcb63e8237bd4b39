// Sums of a [B, R, C] tensor over everything, rows or columns, on either device (Where
// first; see kernels/where.hpp), and their gradients.
#pragma once
#include <cstdint>

#include "kernels/cpu/reduce.hpp"  // cpu::Over
#include "kernels/where.hpp"

namespace maac::kernels {

using Over = cpu::Over;

// y = factor * (x summed over `over`); y has `outputs` elements ([1], [B, 1, C] or
// [B, R, 1]). Overwrites y. The CPU sums in double; cuda in T, as a tree (docs/cuda.md).
template <class T>
void reduce_sum(Where w, Over over, int64_t B, int64_t R, int64_t C, double factor, const T* x, T* y, int64_t outputs);
// dx[i] += factor * dy[the output element x[i] was summed into].
template <class T>
void reduce_sum_backward(Where w, Over over, int64_t B, int64_t R, int64_t C, T factor, const T* dy, T* dx);

}  // namespace maac::kernels
