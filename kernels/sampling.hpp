// Reparameterised Gaussian sampling on either device (Where first; see kernels/where.hpp).
// Noise eps is an input (DESIGN decision 4): kernels/random.hpp makes it on cuda, Rng on
// the host. Backward entries accumulate (+=); any gradient pointer may be null.
#pragma once
#include <cstdint>

#include "kernels/where.hpp"

namespace maac::kernels {

// y = mu + exp(log_std) eps, all [n].
template <class T> void gaussian_sample_forward(Where w, const T* mu, const T* log_std, const T* eps, T* y, int64_t n);
template <class T>
void gaussian_sample_backward(Where w, const T* mu, const T* log_std, const T* eps, const T* dy, T* dmu, T* dlog_std,
                              T* deps, int64_t n);

// mu, log_std, eps, a: [rows, cols]; logp: [rows]. a = tanh(mu + exp(log_std) eps);
// logp[r] = sum_c math::squashed_log_prob_term. a or logp may be null.
template <class T>
void squashed_gaussian_forward(Where w, const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows,
                               int64_t cols);
// Gradients of a given da, and of logp given dlogp [rows] (eps held fixed).
template <class T>
void squashed_sample_backward(Where w, const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std,
                              int64_t n);
template <class T>
void squashed_log_prob_backward(Where w, const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu,
                                T* dlog_std, int64_t rows, int64_t cols);

}  // namespace maac::kernels
