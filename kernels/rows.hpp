// Data movement for the autodiff shape and row ops on either device (Where first; see
// kernels/where.hpp): column blocks, row gathers and scatters, member selection, tiling.
// Row-major; forward-style entries overwrite unless `accumulate` is set; gradients
// accumulate. Index arrays live on the Where's device.
#pragma once
#include <cstdint>

#include "kernels/where.hpp"

namespace maac::kernels {

// dst[r * dst_ld + c] = (or +=) src[r * src_ld + c] for r < rows, c < count (concat, slice).
template <class T>
void copy_cols(Where w, const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count,
               bool accumulate);

// y[i, :] = (or +=) x[index[i], :] for i < k, d columns. The caller checks the indices.
template <class T> void gather_rows(Where w, const T* x, const int32_t* index, T* y, int64_t k, int64_t d, bool accumulate);
// y[index[i], :] += x[i, :] for i < k; duplicates add up (on cuda by atomics, so their
// float sums may differ in the last bits run to run; see docs/cuda.md).
template <class T> void scatter_add_rows(Where w, const T* x, const int32_t* index, T* y, int64_t k, int64_t d);
// y [n, d] = 0 except y[index[i], :] += x[i, :].
template <class T> void scatter_rows(Where w, const T* x, const int32_t* index, T* y, int64_t k, int64_t n, int64_t d);

// all: [M, n, d], member: [n] -> y: [n, d], y[i] = all[member[i], i]. A member outside
// [0, M) throws on cpu and gives a NaN row on cuda (ids on the device are not read back).
template <class T>
void select_member_rows(Where w, const T* all, const int32_t* member, T* y, int64_t M, int64_t n, int64_t d);
// dall[member[i], i] += dy[i].
template <class T>
void select_member_rows_backward(Where w, const T* dy, const int32_t* member, T* dall, int64_t M, int64_t n, int64_t d);

// y = `times` copies of the `block` elements of x;  dx[i] += sum_j dy[j * block + i].
template <class T> void tile(Where w, const T* x, T* y, int64_t block, int64_t times);
template <class T> void tile_backward(Where w, const T* dy, T* dx, int64_t block, int64_t times);

}  // namespace maac::kernels
