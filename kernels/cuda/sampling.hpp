// CUDA launches of the log-std soft clamp and the (squashed) Gaussian sampling math,
// with the same arguments as kernels/cpu/elementwise.hpp plus the stream last.
// Noise `eps` is an input (DESIGN decision 4); cuda::fill_normal makes it.
// Backward functions accumulate (+=); any gradient pointer may be null.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast
#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// y = soft_clamp(x, lo, hi); lo and hi broadcast by bc; x and y are the full [B, R, C].
template <class T>
void soft_clamp_forward(const cpu::Broadcast& bc, const T* x, const T* lo, const T* hi, T* y,
                        Stream stream = default_stream);
// dx element-wise; dlo and dhi reduced over the elements that read them.
template <class T>
void soft_clamp_backward(const cpu::Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx, T* dlo,
                         T* dhi, Stream stream = default_stream);

// y = mu + exp(log_std) * eps, all [n].
template <class T>
void gaussian_sample_forward(const T* mu, const T* log_std, const T* eps, T* y, int64_t n,
                             Stream stream = default_stream);
template <class T>
void gaussian_sample_backward(const T* mu, const T* log_std, const T* eps, const T* dy, T* dmu, T* dlog_std, T* deps,
                              int64_t n, Stream stream = default_stream);

// mu, log_std, eps, a: [rows, cols]; logp: [rows].
// a = tanh(mu + exp(log_std) eps); logp[r] = sum_c squashed_log_prob_term. a or logp may be null.
template <class T>
void squashed_gaussian_forward(const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows, int64_t cols,
                               Stream stream = default_stream);
// Gradients of a given da (eps held fixed).
template <class T>
void squashed_sample_backward(const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std, int64_t n,
                              Stream stream = default_stream);
// Gradients of logp given dlogp: [rows] (eps held fixed).
template <class T>
void squashed_log_prob_backward(const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu, T* dlog_std,
                                int64_t rows, int64_t cols, Stream stream = default_stream);

}  // namespace maac::cuda
