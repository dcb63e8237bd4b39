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

// The tanh-squashed Gaussian, as squashed_gaussian_forward, squashed_sample_backward and
// squashed_log_prob_backward in elementwise.hpp (the reference loops): a and logp [rows]
// may each be null; backward accumulates and any gradient pointer may be null.
template <class T>
void vector_squashed_gaussian_forward(const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows,
                                      int64_t cols);
template <class T>
void vector_squashed_sample_backward(const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std,
                                     int64_t n);
template <class T>
void vector_squashed_log_prob_backward(const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu,
                                       T* dlog_std, int64_t rows, int64_t cols);

}  // namespace maac::cpu
