// Sums and means over everything, over rows or over columns.
#include <algorithm>

#include "autodiff/ops/common.hpp"
#include "kernels/reduce.hpp"

namespace maac {

using kernels::Over;

// y[target(i)] = factor * sum x[i];  dx[i] += factor * dy[target(i)]
template <class T> static void reduce_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::reduce_sum_backward(t.where(), static_cast<Over>(r.integer[0]), x.shape.batch(), x.shape.rows(),
                               x.shape.cols(), static_cast<T>(r.real[0]), y.grad, x.grad);
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
  // The cpu sums in double, cuda in T as a tree (docs/cuda.md).
  kernels::reduce_sum(x.tape->where(), over, B, R, C, factor, x.value(), y.value(), out.numel());
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
