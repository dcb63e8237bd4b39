// CUDA launches of the shared element-wise math. Pointers are device pointers.
#pragma once
#include <cstdint>

#include "kernels/math.cuh"

namespace maac::cuda {

template <class T> void unary_forward(math::Unary f, const T* x, T* y, int64_t n);
// dx += dy * f'(x)
template <class T> void unary_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n);

}  // namespace maac::cuda
