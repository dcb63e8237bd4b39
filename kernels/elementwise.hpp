// Element-wise kernels on either device. Each entry takes a Where first and runs the CPU
// loop (kernels/cpu) or the CUDA launch (kernels/cuda); the per-element math is
// kernels/math.cuh on both. Layout: a tensor is [B, R, C]; a broadcast operand has
// stride 0 there (Broadcast). Forward entries overwrite; backward entries accumulate
// (+=) and take null for a gradient that is not wanted.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast
#include "kernels/math.cuh"
#include "kernels/where.hpp"

namespace maac::kernels {

using Broadcast = cpu::Broadcast;

// y = f(x);  dx += dy f'(x) given y = f(x). All [n].
template <class T> void unary_forward(Where w, math::Unary f, const T* x, T* y, int64_t n);
template <class T> void unary_backward(Where w, math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n);

// y = f(a, b), b broadcast by bc;  da += dy df/da;  db += (dy df/db) summed onto b's shape.
template <class T> void binary_forward(Where w, math::Binary f, const Broadcast& bc, const T* a, const T* b, T* y);
template <class T>
void binary_backward(Where w, math::Binary f, const Broadcast& bc, const T* a, const T* b, const T* dy, T* da, T* db);

// y = c x + d (x may equal y);  axpy: y += c x.
template <class T> void affine(Where w, const T* x, T* y, int64_t n, T c, T d);
template <class T> void axpy(Where w, T c, const T* x, T* y, int64_t n);

// y = min(max(x, lo), hi);  dx += dy where lo < x < hi.
template <class T> void clamp_forward(Where w, const T* x, T* y, int64_t n, T lo, T hi);
template <class T> void clamp_backward(Where w, const T* x, const T* dy, T* dx, int64_t n, T lo, T hi);

// y = math::inside(x, lo, hi, closed): a 0/1 mask, no gradient.
template <class T> void inside(Where w, const T* x, T* y, int64_t n, double lo, double hi, bool closed);

// The log-std soft clamp, lo and hi broadcast by bc (math::soft_clamp, soft_clamp_grad).
template <class T> void soft_clamp_forward(Where w, const Broadcast& bc, const T* x, const T* lo, const T* hi, T* y);
template <class T>
void soft_clamp_backward(Where w, const Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx,
                         T* dlo, T* dhi);

}  // namespace maac::kernels
