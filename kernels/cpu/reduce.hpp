// CPU sums of a [B, R, C] tensor over everything, over rows or over columns, and
// their gradients (the autodiff reductions).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace maac::cpu {

enum class Over : int { all, rows, cols };

// Output element that input element (m, r, c) of [B, R, C] reduces into.
inline int64_t reduce_target(Over over, int64_t m, int64_t r, int64_t c, int64_t R, int64_t C) {
  switch (over) {
    case Over::all: return 0;
    case Over::rows: return m * C + c;
    case Over::cols: return m * R + r;
  }
  return 0;
}

// y[target(i)] = factor * sum x[i], y with `outputs` elements. Summed in double: float
// sums over thousands of rows lose digits otherwise.
template <class T>
void reduce_sum(Over over, int64_t B, int64_t R, int64_t C, double factor, const T* x, T* y, int64_t outputs) {
  std::vector<double> acc(static_cast<size_t>(outputs), 0.0);
  int64_t i = 0;
  for (int64_t m = 0; m < B; ++m)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c, ++i) acc[reduce_target(over, m, r, c, R, C)] += x[i];
  for (int64_t j = 0; j < outputs; ++j) y[j] = static_cast<T>(acc[j] * factor);
}

// dx[i] += factor * dy[target(i)].
template <class T> void reduce_sum_backward(Over over, int64_t B, int64_t R, int64_t C, T factor, const T* dy, T* dx) {
  int64_t i = 0;
  for (int64_t m = 0; m < B; ++m)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c, ++i) dx[i] += factor * dy[reduce_target(over, m, r, c, R, C)];
}

}  // namespace maac::cpu
