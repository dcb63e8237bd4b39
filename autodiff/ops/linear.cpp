// matmul, linear (with an optional fused activation) and bias add. GEMMs and layers run
// through kernels/gemm.hpp and kernels/dense.hpp (Eigen/OpenBLAS on cpu, cuBLAS on cuda).
#include "autodiff/ops/bias_activation.hpp"
#include "autodiff/ops/common.hpp"
#include "kernels/dense.hpp"
#include "kernels/gemm.hpp"

namespace maac {
using kernels::Trans;
using detail::fail;

// y[n,m] = a[n,k] b[k,m];  da += dy b^T;  db += a^T dy
template <class T> static void matmul_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& a = t.node(r.in[0]);
  auto& b = t.node(r.in[1]);
  int64_t n = a.shape.rows(), k = a.shape.cols(), m = b.shape.cols();
  if (a.grad) kernels::gemm<T>(t.where(), Trans::no, Trans::yes, n, k, m, T(1), y.grad, m, b.value, m, T(1), a.grad, k);
  if (b.grad) kernels::gemm<T>(t.where(), Trans::yes, Trans::no, k, m, n, T(1), a.value, k, y.grad, m, T(1), b.grad, m);
}

template <class T> Var<T> matmul(Var<T> a, Var<T> b) {
  detail::check_inputs<T>("matmul", {{"a", a}, {"b", b}});
  if (a.shape().rank() != 2 || b.shape().rank() != 2 || a.cols() != b.rows())
    fail("matmul", "a " + a.shape().str() + " and b " + b.shape().str() + ": expected [n,k] and [k,m]");
  int64_t n = a.rows(), k = a.cols(), m = b.cols();
  Tape<T>& t = *a.tape;
  Var<T> y = t.result(Shape{n, m}, detail::any_grad(a, b));
  kernels::gemm<T>(t.where(), Trans::no, Trans::no, n, m, k, T(1), a.value(), k, b.value(), m, T(0), y.value(), m);
  if (y.requires_grad()) a.tape->record({&matmul_backward<T>, y.id, {a.id, b.id, -1, -1}});
  return y;
}

// y[n,out] = f(x[n,in] w[in,out] + b[1,out]), f the identity for a plain linear layer;
// dz = dy f'(z);  dx += dz w^T;  dw += x^T dz;  db += sum_rows(dz)
// in[3] is the hidden pre-activation z (ops/bias_activation.hpp), -1 for the identity.
template <class T> static void linear_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  auto& w = t.node(r.in[1]);
  auto& b = t.node(r.in[2]);
  const detail::PreActivation<T> pre = detail::pre_activation(t, r.in[3]);
  const kernels::DenseShape shape{1, x.shape.rows(), x.shape.cols(), w.shape.cols(), true, false};
  kernels::dense_backward(t.where(), static_cast<Unary>(r.integer[0]), shape, x.value, w.value, pre.value, y.value,
                          y.grad, pre.grad, x.grad, w.grad, b.grad);
}

template <class T> Var<T> linear(Var<T> x, Var<T> w, Var<T> b, Unary activation) {
  detail::check_inputs<T>("linear", {{"x", x}, {"w", w}, {"b", b}});
  if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.cols() != w.rows() || b.numel() != w.cols() ||
      b.rows() != 1)
    fail("linear", "x " + x.shape().str() + ", w " + w.shape().str() + ", b " + b.shape().str() +
                       ": expected x [n,in], w [in,out], b [1,out]");
  detail::check_unary("linear", activation);
  int64_t n = x.rows(), in = x.cols(), out = w.cols();
  Tape<T>& t = *x.tape;
  const detail::ActivatedOutput<T> o = detail::activated_output(t, Shape{n, out}, activation, detail::any_grad(x, w, b));
  kernels::dense_forward(t.where(), activation, kernels::DenseShape{1, n, in, out, true, false}, x.value(), w.value(),
                         b.value(), o.pre.value(), o.y.value());
  if (o.y.requires_grad()) {
    typename Tape<T>::Record rec{&linear_backward<T>, o.y.id, {x.id, w.id, b.id, -1}};
    if (activation != Unary::identity) rec.in[3] = o.pre.id;
    rec.integer[0] = static_cast<int64_t>(activation);
    t.record(rec);
  }
  return o.y;
}

template <class T> Var<T> add_bias(Var<T> x, Var<T> b) {
  detail::check_var("add_bias", "x", x);
  detail::check_var("add_bias", "b", b);
  bool ok = b.rows() == 1 && b.cols() == x.cols() && b.shape().batch() == x.shape().batch() &&
            b.shape().rank() == x.shape().rank();
  if (!ok)
    fail("add_bias", "x " + x.shape().str() + " and b " + b.shape().str() +
                         ": expected b [1,d] for x [n,d], or b [M,1,d] for x [M,n,d]");
  return add(x, b);
}

#define MAAC_INSTANTIATE(T)                      \
  template Var<T> matmul(Var<T>, Var<T>);        \
  template Var<T> linear(Var<T>, Var<T>, Var<T>, Unary); \
  template Var<T> add_bias(Var<T>, Var<T>);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
