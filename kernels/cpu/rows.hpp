// CPU data movement for the autodiff shape and row ops, with the arguments of
// kernels/cuda/rows.hpp (less the stream). Row-major matrices; forward-style calls
// overwrite unless `accumulate` is set; gradients accumulate.
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace maac::cpu {

// dst[r * dst_ld + c] = (or +=) src[r * src_ld + c] for r < rows, c < count.
template <class T>
void copy_cols(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count, bool accumulate) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = src + r * src_ld;
    T* d = dst + r * dst_ld;
    if (accumulate) for (int64_t c = 0; c < count; ++c) d[c] += s[c];
    else std::copy_n(s, count, d);
  }
}

// y[i, :] = (or +=) x[index[i], :] for i < k, d columns.
template <class T> void gather_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t d, bool accumulate) {
  if (accumulate) {
    for (int64_t i = 0; i < k; ++i)
      for (int64_t c = 0; c < d; ++c) y[i * d + c] += x[index[i] * d + c];
  } else {
    for (int64_t i = 0; i < k; ++i) std::copy_n(x + index[i] * d, d, y + i * d);
  }
}

// y[index[i], :] += x[i, :] for i < k, in order: duplicate indices add up.
template <class T> void scatter_add_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t d) {
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < d; ++c) y[index[i] * d + c] += x[i * d + c];
}

// y [n, d] = 0, then y[index[i], :] += x[i, :].
template <class T> void scatter_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t n, int64_t d) {
  std::fill_n(y, n * d, T(0));
  scatter_add_rows(x, index, y, k, d);
}

// all: [M, n, d] -> y: [n, d], y[i] = all[member[i], i]. A member outside [0, M) throws
// (the ids are host memory here, so they are checked, unlike on the device).
template <class T> void select_member_rows(const T* all, const int32_t* member, T* y, int64_t M, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; ++i) {
    if (member[i] < 0 || member[i] >= M)
      throw std::invalid_argument("select_members: row " + std::to_string(i) + " has member " +
                                  std::to_string(member[i]) + ": expected 0 <= member < " + std::to_string(M));
    std::copy_n(all + (member[i] * n + i) * d, d, y + i * d);
  }
}
// dall[member[i], i] += dy[i].
template <class T>
void select_member_rows_backward(const T* dy, const int32_t* member, T* dall, int64_t M, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) dall[(member[i] * n + i) * d + c] += dy[i * d + c];
}

// y = `times` copies of the `block` elements of x, one after another.
template <class T> void tile(const T* x, T* y, int64_t block, int64_t times) {
  for (int64_t j = 0; j < times; ++j) std::copy_n(x, block, y + j * block);
}
// dx[i] += sum_j dy[j * block + i].
template <class T> void tile_backward(const T* dy, T* dx, int64_t block, int64_t times) {
  for (int64_t j = 0; j < times; ++j)
    for (int64_t i = 0; i < block; ++i) dx[i] += dy[j * block + i];
}

// out [batch, rows, cols] = bias [batch, 1, cols] on every row.
template <class T> void bias_rows(const T* bias, T* out, int64_t batch, int64_t rows, int64_t cols) {
  for (int64_t m = 0; m < batch; ++m)
    for (int64_t i = 0; i < rows; ++i) std::copy_n(bias + m * cols, cols, out + (m * rows + i) * cols);
}
// db [batch, 1, cols] += dz [batch, rows, cols] summed over rows.
template <class T> void bias_grad_add(const T* dz, T* db, int64_t batch, int64_t rows, int64_t cols) {
  for (int64_t m = 0; m < batch; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) db[m * cols + j] += dz[(m * rows + i) * cols + j];
}

}  // namespace maac::cpu
