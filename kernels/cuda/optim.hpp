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

// target <- (1 - tau) target + tau source, both [n].
template <class T> void polyak_update(T* target, const T* source, int64_t n, T tau, Stream stream = default_stream);

}  // namespace maac::cuda
