// Sums and means over everything, over rows or over columns.
#include <algorithm>

#include "autodiff/ops/common.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/rows.hpp"

namespace maac {

namespace {
enum class Over : int { all, rows, cols };

// Output element that input element (m, r, c) of [B, R, C] reduces into.
inline int64_t target(Over over, int64_t m, int64_t r, int64_t c, int64_t R, int64_t C) {
  switch (over) {
    case Over::all: return 0;
    case Over::rows: return m * C + c;
    case Over::cols: return m * R + r;
  }
  return 0;
}

// The output as a broadcast operand of x [B, R, C]: stride 0 along the summed axes.
inline cpu::Broadcast output_layout(Over over, int64_t B, int64_t R, int64_t C) {
  switch (over) {
    case Over::all: return {B, R, C, 0, 0, 0};
    case Over::rows: return {B, R, C, C, 0, 1};
    case Over::cols: return {B, R, C, R, 1, 0};
  }
  return {B, R, C, 0, 0, 0};
}
}  // namespace

// y[target(i)] = factor * sum x[i];  dx[i] += factor * dy[target(i)]
template <class T> static void reduce_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  Over over = static_cast<Over>(r.integer[0]);
  T factor = static_cast<T>(r.real[0]);
  int64_t B = x.shape.batch(), R = x.shape.rows(), C = x.shape.cols(), i = 0;
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::expand(output_layout(over, B, R, C), y.grad, x.grad, factor, true, t.stream());
      return;
    }
  }
  for (int64_t m = 0; m < B; ++m)
    for (int64_t rr = 0; rr < R; ++rr)
      for (int64_t c = 0; c < C; ++c, ++i) x.grad[i] += factor * y.grad[target(over, m, rr, c, R, C)];
}

template <class T> static Var<T> reduce(const char* op, Var<T> x, Over over, bool average) {
  detail::check_var(op, "x", x);
  const Shape& s = x.shape();
  int64_t B = s.batch(), R = s.rows(), C = s.cols();
  Shape out;
  int64_t count = 1;
  switch (over) {
    case Over::all: out = Shape{1, 1}; count = s.numel(); break;
    case Over::rows: out = s.rank() == 3 ? Shape{B, 1, C} : Shape{1, C}; count = R; break;
    case Over::cols: out = s.rank() == 3 ? Shape{B, R, 1} : Shape{R, 1}; count = C; break;
  }
  if (count == 0) detail::fail(op, "x " + s.str() + ": expected a non-empty reduction");
  double factor = average ? 1.0 / static_cast<double>(count) : 1.0;
  Var<T> y = x.tape->result(out, x.requires_grad());
  bool done = false;  // set by the cuda branch
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(*x.tape)) {
      // Tree sums in T on the device (docs/cuda.md), not the host's double accumulator.
      cuda::memset_device(y.value(), 0, sizeof(T) * static_cast<size_t>(out.numel()), x.tape->stream());
      cuda::sum_to_add(output_layout(over, B, R, C), x.value(), y.value(), static_cast<T>(factor), x.tape->stream());
      done = true;
    }
  }
  if (!done) {
    // Accumulate in double: float sums over thousands of rows lose digits otherwise.
    std::vector<double> acc(static_cast<size_t>(out.numel()), 0.0);
    const T* xv = x.value();
    int64_t i = 0;
    for (int64_t m = 0; m < B; ++m)
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c, ++i) acc[target(over, m, r, c, R, C)] += xv[i];
    for (int64_t j = 0; j < out.numel(); ++j) y.value()[j] = static_cast<T>(acc[j] * factor);
  }
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&reduce_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.integer[0] = static_cast<int64_t>(over);
    rec.real[0] = factor;
    x.tape->record(rec);
  }
  return y;
}

template <class T> Var<T> sum(Var<T> x) { return reduce("sum", x, Over::all, false); }
template <class T> Var<T> mean(Var<T> x) { return reduce("mean", x, Over::all, true); }
template <class T> Var<T> sum_rows(Var<T> x) { return reduce("sum_rows", x, Over::rows, false); }
template <class T> Var<T> mean_rows(Var<T> x) { return reduce("mean_rows", x, Over::rows, true); }
template <class T> Var<T> sum_cols(Var<T> x) { return reduce("sum_cols", x, Over::cols, false); }
template <class T> Var<T> mean_cols(Var<T> x) { return reduce("mean_cols", x, Over::cols, true); }

#define MAAC_INSTANTIATE(T)             \
  template Var<T> sum(Var<T>);          \
  template Var<T> mean(Var<T>);         \
  template Var<T> sum_rows(Var<T>);     \
  template Var<T> mean_rows(Var<T>);    \
  template Var<T> sum_cols(Var<T>);     \
  template Var<T> mean_cols(Var<T>);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
