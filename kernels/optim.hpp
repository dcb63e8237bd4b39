// Optimiser and gradient-clipping kernels over parameter arrays on either device (Where
// first; see kernels/where.hpp). The graph-ready entries (device step counter, go/no-go
// flag) exist on cuda only and throw std::invalid_argument for the cpu.
#pragma once
#include <cstdint>

#include "kernels/where.hpp"

namespace maac::kernels {

// p, g, m, v: [n]. One Adam step with bias corrections bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.
template <class T>
void adam_update(Where w, T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T bc1, T bc2,
                 T weight_decay);
// target <- (1 - tau) target + tau source, both [n].
template <class T> void polyak_update(Where w, T* target, const T* source, int64_t n, T tau);

// *squared_norm += sum_i g[i]^2 in double; squared_norm is on the Where's device.
template <class T> void sum_squares_add(Where w, const T* g, int64_t n, double* squared_norm);
// g[i] = math::clip_scaled(g[i], math::clip_factor(*squared_norm, max_norm)), the norm read
// where it lives (on cuda without the host); a non-finite norm leaves g unchanged.
template <class T> void clip_scale(Where w, T* g, int64_t n, const double* squared_norm, double max_norm);

// cuda only (graph-captured updates; kernels/cuda/optim.hpp has the details):
//   flag_set: *ok = 1;  flag_all_finite: *ok = 0 if any x[i] is not finite;
//   count_step: ++*step if *ok;  adam_update_guarded: adam_update with the corrections of
//   *step, nothing if !*ok;  polyak_update_guarded: polyak_update, nothing if !*ok.
void flag_set(Where w, int32_t* ok);
template <class T> void flag_all_finite(Where w, const T* x, int64_t n, int32_t* ok);
void count_step(Where w, int64_t* step, const int32_t* ok);
template <class T>
void adam_update_guarded(Where w, T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps,
                         T weight_decay, const int64_t* step, const int32_t* ok);
template <class T>
void polyak_update_guarded(Where w, T* target, const T* source, int64_t n, T tau, const int32_t* ok);

}  // namespace maac::kernels
