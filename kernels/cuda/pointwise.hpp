// Small element-wise kernels the autodiff tape needs beyond the shared activations:
// fills, c x + d, the hard clamp, and a sum of squares for gradient clipping.
// Plain C++ header.
#pragma once
#include <cstdint>

#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// y[i] = value for i < n.
template <class T> void fill(T* y, int64_t n, T value, Stream stream = default_stream);

// y[i] = (or += when accumulate) c * x[i] + d. x may equal y (in place).
template <class T>
void affine(const T* x, T* y, int64_t n, T c, T d, bool accumulate, Stream stream = default_stream);

// y = min(max(x, lo), hi) (math::clamp); backward: dx += dy where lo < x < hi.
template <class T> void clamp_forward(const T* x, T* y, int64_t n, T lo, T hi, Stream stream = default_stream);
template <class T>
void clamp_backward(const T* x, const T* dy, T* dx, int64_t n, T lo, T hi, Stream stream = default_stream);

// y = math::inside(x, lo, hi, closed): a 0/1 mask, no gradient.
template <class T>
void inside(const T* x, T* y, int64_t n, double lo, double hi, bool closed, Stream stream = default_stream);

// *out += sum_i x[i]^2, summed in double (out is one double in device memory).
template <class T> void sum_squares_add(const T* x, int64_t n, double* out, Stream stream = default_stream);

}  // namespace maac::cuda
