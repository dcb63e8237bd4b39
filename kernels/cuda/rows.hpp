// Data movement on device pointers for the autodiff shape and row ops: column blocks
// (concat / slice), row gathers and scatters with device index arrays, broadcast
// expansion (bias fill, tiling, reduction gradients) and accumulating broadcast sums.
// Plain C++ header. Forward-style calls overwrite unless `accumulate` is set.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast
#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// dst[r * dst_ld + c] = (or +=) src[r * src_ld + c] for r < rows, c < count.
template <class T>
void copy_cols(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count, bool accumulate,
               Stream stream = default_stream);

// y[i, :] = (or +=) x[index[i], :] for i < k; x, y row-major with d columns. `index` is
// device memory; its entries must be valid rows of x (the caller checks them on the host).
template <class T>
void gather_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t d, bool accumulate,
                 Stream stream = default_stream);

// y[index[i], :] += x[i, :] for i < k, with atomicAdd: duplicate indices add up. With
// distinct indices every address sees one addition (deterministic); with duplicates the
// order of the additions, and so the last bits of a float sum, can vary run to run.
template <class T>
void scatter_add_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t d, Stream stream = default_stream);

// y[i] = (or +=) factor * x[bc.at(i)] over the full [B, R, C] of bc: x is read broadcast.
template <class T>
void expand(const cpu::Broadcast& bc, const T* x, T* y, T factor, bool accumulate, Stream stream = default_stream);

// out[j] += factor * (sum of x over the elements of the full [B, R, C] that map to j).
// Unlike cuda::sum_to this accumulates (gradients); see docs/cuda.md on atomics.
template <class T>
void sum_to_add(const cpu::Broadcast& bc, const T* x, T* out, T factor, Stream stream = default_stream);

}  // namespace maac::cuda
