// Ensemble linear layers, W[M,in,out], b[M,1,out] (DESIGN decision 3).
// All-members mode runs every member on its rows; routed mode runs each row through
// one member only, rows grouped by member, so it does 1/M of the work.
#include <algorithm>

#include "autodiff/ops/bias_activation.hpp"
#include "autodiff/ops/common.hpp"
#include "kernels/dense.hpp"

namespace maac {
using detail::fail;

namespace {

template <class T> void check_ensemble_params(const char* op, Var<T> x, Var<T> w, Var<T> b) {
  detail::check_inputs<T>(op, {{"x", x}, {"w", w}, {"b", b}});
  const Shape& sw = w.shape();
  const Shape& sb = b.shape();
  if (sw.rank() != 3 || sb.rank() != 3 || sb[0] != sw[0] || sb[1] != 1 || sb[2] != sw[2] || x.cols() != sw[1])
    fail(op, "x " + x.shape().str() + ", w " + sw.str() + ", b " + sb.str() +
                 ": expected w [M,in,out], b [M,1,out] and x with in = " + std::to_string(sw.rank() == 3 ? sw[1] : -1) +
                 " columns");
}

}  // namespace

// y[m] = f(x[m] W[m] + b[m]) (x shared when rank 2), f the identity unless fused;
// dz = dy f'(z);  dx[m] += dz[m] W[m]^T (summed over m when shared);
// dW[m] += x[m]^T dz[m];  db[m] += sum_rows(dz[m]).  in[3]: the hidden z, or -1.
template <class T> static void ensemble_linear_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  auto& w = t.node(r.in[1]);
  auto& b = t.node(r.in[2]);
  const detail::PreActivation<T> pre = detail::pre_activation(t, r.in[3]);
  // integer[0]: shared input, every member reads the same rows.
  const kernels::DenseShape shape{w.shape[0], x.shape.rows(), w.shape[1], w.shape[2], r.integer[0] != 0, true};
  kernels::dense_backward(t.where(), static_cast<Unary>(r.integer[1]), shape, x.value, w.value, pre.value, y.value,
                          y.grad, pre.grad, x.grad, w.grad, b.grad);
}

template <class T> Var<T> ensemble_linear(Var<T> x, Var<T> w, Var<T> b, Unary activation) {
  check_ensemble_params("ensemble_linear", x, w, b);
  detail::check_unary("ensemble_linear", activation);
  int64_t M = w.shape()[0], in = w.shape()[1], out = w.shape()[2];
  bool shared = x.shape().rank() == 2;
  if (!shared && x.shape()[0] != M)
    fail("ensemble_linear", "x " + x.shape().str() + " has " + std::to_string(x.shape()[0]) +
                                " members, w " + w.shape().str() + " has " + std::to_string(M));
  int64_t n = x.rows();
  Tape<T>& t = *x.tape;
  const detail::ActivatedOutput<T> o =
      detail::activated_output(t, Shape{M, n, out}, activation, detail::any_grad(x, w, b));
  kernels::dense_forward(t.where(), activation, kernels::DenseShape{M, n, in, out, shared, true}, x.value(), w.value(),
                         b.value(), o.pre.value(), o.y.value());
  if (o.y.requires_grad()) {
    typename Tape<T>::Record rec{&ensemble_linear_backward<T>, o.y.id, {x.id, w.id, b.id, -1}};
    if (activation != Unary::identity) rec.in[3] = o.pre.id;
    rec.integer[0] = shared;
    rec.integer[1] = static_cast<int64_t>(activation);
    t.record(rec);
  }
  return o.y;
}

// Routed: member m owns rows offsets[m] .. offsets[m+1] of x and y.
template <class T> static void ensemble_linear_routed_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  auto& w = t.node(r.in[1]);
  auto& b = t.node(r.in[2]);
  const kernels::DenseShape shape{w.shape[0], x.shape.rows(), w.shape[1], w.shape[2], true, true};
  // r.index: the member offsets, host memory on every tape (host_indices).
  kernels::routed_backward(t.where(), shape, r.index, x.value, w.value, y.grad, x.grad, w.grad, b.grad);
}

template <class T>
Var<T> ensemble_linear_routed(Var<T> x, Var<T> w, Var<T> b, const std::vector<int32_t>& offsets) {
  check_ensemble_params("ensemble_linear_routed", x, w, b);
  int64_t M = w.shape()[0], in = w.shape()[1], out = w.shape()[2];
  if (x.shape().rank() != 2) fail("ensemble_linear_routed", "x " + x.shape().str() + ": expected [n,in]");
  int64_t n = x.rows();
  bool ok = static_cast<int64_t>(offsets.size()) == M + 1 && offsets.front() == 0 && offsets.back() == n;
  for (size_t m = 0; ok && m + 1 < offsets.size(); ++m) ok = offsets[m] <= offsets[m + 1];
  if (!ok)
    fail("ensemble_linear_routed", "member offsets of size " + std::to_string(offsets.size()) +
                                       ": expected M+1 = " + std::to_string(M + 1) +
                                       " non-decreasing offsets from 0 to n = " + std::to_string(n));
  Tape<T>& t = *x.tape;
  Var<T> y = t.result(Shape{n, out}, detail::any_grad(x, w, b));
  // One GEMM per member on its rows (the offsets come from the host), onto its bias.
  kernels::routed_forward(t.where(), kernels::DenseShape{M, n, in, out, true, true}, offsets.data(), x.value(),
                          w.value(), b.value(), y.value());
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&ensemble_linear_routed_backward<T>, y.id, {x.id, w.id, b.id, -1}};
    int32_t* off = x.tape->host_indices(M + 1);
    std::copy(offsets.begin(), offsets.end(), off);
    rec.index = off;
    x.tape->record(rec);
  }
  return y;
}

#define MAAC_INSTANTIATE(T)                                 \
  template Var<T> ensemble_linear(Var<T>, Var<T>, Var<T>, Unary); \
  template Var<T> ensemble_linear_routed(Var<T>, Var<T>, Var<T>, const std::vector<int32_t>&);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
