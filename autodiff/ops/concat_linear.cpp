// A layer on two column blocks, f([x1 | x2] W + b), without building [x1 | x2]: with W
// split by rows into W1 (the first d1 rows) and W2, x W = x1 W1 + x2 W2, two GEMMs into
// one output. x1's rows may also be shared by several blocks of x2's rows (a state read
// by K sampled actions), which saves tiling x1 as well. Three kernels/ calls each way
// (the x2 layer with the bias, the x1 GEMM, the activation; backward the x2 layer with
// the activation, then two GEMMs for x1): kernels/dense.hpp has no two-input layer.
#include "autodiff/ops/bias_activation.hpp"
#include "autodiff/ops/common.hpp"
#include "kernels/dense.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"

namespace maac {
using kernels::Trans;
using detail::fail;

// y [times n1, out] = f(z), z[k] = x1 W1 + x2[k] W2 + b for each block k of n1 rows;
// dz = dy f'(z);  dx1 += sum_k dz[k] W1^T;  dx2 += dz W2^T;  dW1 += sum_k x1^T dz[k];
// dW2 += x2^T dz;  db += sum_rows(dz).
// in: x1, x2, W, b; integer[0]: f, integer[1]: the hidden z (-1 for the identity).
template <class T> static void concat_linear_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x1 = t.node(r.in[0]);
  auto& x2 = t.node(r.in[1]);
  auto& w = t.node(r.in[2]);
  auto& b = t.node(r.in[3]);
  const Unary f = static_cast<Unary>(r.integer[0]);
  const detail::PreActivation<T> pre = detail::pre_activation(t, int(r.integer[1]));
  const int64_t n1 = x1.shape.rows(), d1 = x1.shape.cols(), rows = x2.shape.rows(), d2 = x2.shape.cols();
  const int64_t out = w.shape.cols(), times = rows / n1;
  const T* w2 = w.value + d1 * out;
  T* dw2 = w.grad ? w.grad + d1 * out : nullptr;
  // The x2 block's layer writes dz (into the hidden node's gradient) and the bias gradient.
  kernels::dense_backward(t.where(), f, kernels::DenseShape{1, rows, d2, out, true, false}, x2.value, w2, pre.value,
                          y.value, y.grad, pre.grad, x2.grad, dw2, b.grad);
  const T* dz = f == Unary::identity ? y.grad : pre.grad;
  // The x1 block: one product per block of rows, summed (C with stride 0).
  if (x1.grad)
    kernels::gemm_strided_batched<T>(t.where(), Trans::no, Trans::yes, n1, d1, out, T(1), dz, out, n1 * out, w.value,
                                     out, 0, T(1), x1.grad, d1, 0, times);
  if (w.grad)
    kernels::gemm_strided_batched<T>(t.where(), Trans::yes, Trans::no, d1, out, n1, T(1), x1.value, d1, 0, dz, out,
                                     n1 * out, T(1), w.grad, out, 0, times);
}

template <class T> Var<T> concat_linear(Var<T> x1, Var<T> x2, Var<T> w, Var<T> b, Unary activation) {
  const char* op = "concat_linear";
  detail::check_inputs<T>(op, {{"x1", x1}, {"x2", x2}, {"w", w}, {"b", b}});
  const bool ranks = x1.shape().rank() == 2 && x2.shape().rank() == 2 && w.shape().rank() == 2;
  const int64_t n1 = x1.rows(), d1 = x1.cols(), rows = x2.rows(), d2 = x2.cols();
  if (!ranks || n1 < 1 || rows < n1 || rows % n1 != 0 || w.rows() != d1 + d2 || b.rows() != 1 ||
      b.numel() != w.cols())
    fail(op, "x1 " + x1.shape().str() + ", x2 " + x2.shape().str() + ", w " + w.shape().str() + ", b " +
                 b.shape().str() + ": expected x1 [n,d1], x2 [k n,d2] (k >= 1), w [d1+d2,out], b [1,out]");
  detail::check_unary(op, activation);
  const int64_t out = w.cols(), times = rows / n1;
  Tape<T>& t = *x1.tape;
  const detail::ActivatedOutput<T> o =
      detail::activated_output(t, Shape{rows, out}, activation, detail::any_grad(x1, x2, w, b));
  // z = x2 W2 + b (bias first), then z[k] += x1 W1 for every block k, then y = f(z).
  kernels::dense_forward(t.where(), Unary::identity, kernels::DenseShape{1, rows, d2, out, true, false}, x2.value(),
                         w.value() + d1 * out, b.value(), o.pre.value(), o.pre.value());
  kernels::gemm_strided_batched<T>(t.where(), Trans::no, Trans::no, n1, out, d1, T(1), x1.value(), d1, 0, w.value(),
                                   out, 0, T(1), o.pre.value(), out, n1 * out, times);
  if (activation != Unary::identity)
    kernels::unary_forward(t.where(), activation, o.pre.value(), o.y.value(), rows * out);
  if (o.y.requires_grad()) {
    typename Tape<T>::Record rec{&concat_linear_backward<T>, o.y.id, {x1.id, x2.id, w.id, b.id}};
    rec.integer[0] = static_cast<int64_t>(activation);
    rec.integer[1] = activation != Unary::identity ? o.pre.id : -1;
    t.record(rec);
  }
  return o.y;
}

#define MAAC_INSTANTIATE(T) template Var<T> concat_linear(Var<T>, Var<T>, Var<T>, Var<T>, Unary);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
