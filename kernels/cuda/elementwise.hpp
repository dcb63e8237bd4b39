// CUDA launches of the shared element-wise math (kernels/math.cuh) on device pointers,
// with the same arguments as kernels/cpu/elementwise.hpp plus the stream last.
// Layout: a tensor is [B, R, C]; an operand that broadcasts has stride 0 there.
// Backward functions accumulate (+=) like the CPU ones; any gradient pointer may be null.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast
#include "kernels/cuda/stream.hpp"
#include "kernels/math.cuh"

namespace maac::cuda {

using Broadcast = cpu::Broadcast;

template <class T> void unary_forward(math::Unary f, const T* x, T* y, int64_t n, Stream stream = default_stream);
// dx += dy * f'(x)
template <class T>
void unary_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n,
                    Stream stream = default_stream);

// y = f(a, b) with b broadcast by bc; a and y are the full [B, R, C].
template <class T>
void binary_forward(math::Binary f, const Broadcast& bc, const T* a, const T* b, T* y, Stream stream = default_stream);
// da += dy * df/da (element-wise); db += the sum of dy * df/db over the elements that
// read each b element (a reduction kernel, see docs/cuda.md).
template <class T>
void binary_backward(math::Binary f, const Broadcast& bc, const T* a, const T* b, const T* dy, T* da, T* db,
                     Stream stream = default_stream);

// Fused bias + activation, bias broadcast over rows (the tape's linear layers with an
// activation: one pass instead of a bias expansion and an activation):
//   x, pre, y: [batch, rows, cols]; bias: [batch, 1, cols]
//   pre = x + bias (kept for the backward; may alias x, or be null), y = f(pre)
template <class T>
void bias_act_forward(math::Unary f, const T* x, const T* bias, T* pre, T* y, int64_t batch, int64_t rows,
                      int64_t cols, Stream stream = default_stream);
// g = dy * f'(pre), given y = f(pre):  dpre += g;  dbias += g summed over rows.
// One launch: the bias reduction writes dpre as it reads each element (either may be null).
template <class T>
void bias_act_backward(math::Unary f, const T* pre, const T* y, const T* dy, T* dpre, T* dbias, int64_t batch,
                       int64_t rows, int64_t cols, Stream stream = default_stream);

}  // namespace maac::cuda
