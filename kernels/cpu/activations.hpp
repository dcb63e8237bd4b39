// Vectorised CPU element-wise functions. kernels/math.cuh stays the definition (the
// CUDA backend and the reference loops in elementwise.hpp use it); this fast path
// uses Eigen's SIMD exp/tanh/logistic, which g++ cannot produce from scalar std::exp
// without -ffast-math. tests/kernels checks it against the definition.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // Broadcast
#include "kernels/math.cuh"

namespace maac::cpu {

// y = f(x)
template <class T> void activation_forward(math::Unary f, const T* x, T* y, int64_t n);
// dx += dy * f'(x), given y = f(x)
template <class T> void activation_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n);

// The log-std soft clamp (math::soft_clamp) with lo and hi broadcast by bc, as
// cpu::soft_clamp_forward / soft_clamp_backward in elementwise.hpp (which stay the
// reference loops). Backward accumulates; any gradient pointer may be null.
template <class T> void vector_soft_clamp_forward(const Broadcast& bc, const T* x, const T* lo, const T* hi, T* y);
template <class T>
void vector_soft_clamp_backward(const Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx, T* dlo,
                                T* dhi);

}  // namespace maac::cpu
