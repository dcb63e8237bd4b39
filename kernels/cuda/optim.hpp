// Fused optimiser updates over parameter arrays on device pointers, with the same
// arguments as cpu::adam_update / cpu::polyak_update plus the stream last.
#pragma once
#include <cstdint>

#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// p, g, m, v: [n]. One Adam step with bias corrections bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T bc1, T bc2,
                 T weight_decay, Stream stream = default_stream);

// Graph-ready Adam: the step count and a go/no-go flag live in device memory, so a
// captured update needs no host scalars and skips itself when a gradient is not finite
// (DESIGN decision 8) without the host reading anything.
//   flag_set(ok)                      *ok = 1
//   flag_all_finite(x, n, ok)         *ok = 0 if any x[i] is NaN or infinite
//   count_step(step, ok)              ++*step if *ok
//   adam_update_guarded(..., step, ok) adam_update with bc1 = 1 - beta1^*step and
//                                     bc2 = 1 - beta2^*step; nothing changes if !*ok
void flag_set(int32_t* ok, Stream stream = default_stream);
template <class T> void flag_all_finite(const T* x, int64_t n, int32_t* ok, Stream stream = default_stream);
void count_step(int64_t* step, const int32_t* ok, Stream stream = default_stream);
template <class T>
void adam_update_guarded(T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T weight_decay,
                         const int64_t* step, const int32_t* ok, Stream stream = default_stream);

// Graph-ready gradient clipping: g[i] = math::clip_scaled(g[i], math::clip_factor(
// *squared_norm, max_norm)), the squared global norm read on the device (summed there by
// sum_squares_add), so a captured update clips without the host reading the norm. A
// non-finite norm leaves g unchanged. g: [n].
template <class T>
void clip_scale(T* g, int64_t n, const double* squared_norm, double max_norm, Stream stream = default_stream);

// target <- (1 - tau) target + tau source, both [n].
template <class T> void polyak_update(T* target, const T* source, int64_t n, T tau, Stream stream = default_stream);
// The same, skipped when *ok == 0: a captured update moves its targets only when its
// guarded Adam step was applied.
template <class T>
void polyak_update_guarded(T* target, const T* source, int64_t n, T tau, const int32_t* ok,
                           Stream stream = default_stream);

}  // namespace maac::cuda
