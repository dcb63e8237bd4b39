// Element-wise ops: binary with broadcast, scale, unary functions, clamps.
#include <algorithm>
#include <cmath>

#include "autodiff/ops/common.hpp"
#include "kernels/elementwise.hpp"

namespace maac {
using detail::fail;
using math::Binary;

namespace {

const char* binary_name(Binary f) {
  switch (f) {
    case Binary::add: return "add";
    case Binary::sub: return "sub";
    case Binary::mul: return "mul";
    case Binary::min: return "minimum";
    case Binary::atan2: return "atan2";
  }
  return "binary";
}

}  // namespace

// y = f(a, b);  da += dy df/da;  db += reduce_broadcast(dy df/db)
template <class T> static void binary_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& a = t.node(r.in[0]);
  auto& b = t.node(r.in[1]);
  kernels::binary_backward(t.where(), static_cast<Binary>(r.integer[0]), detail::broadcast_layout(a.shape, b.shape),
                           a.value, b.value, y.grad, a.grad, b.grad);
}

template <class T> static Var<T> binary(Binary f, Var<T> a, Var<T> b) {
  const char* op = binary_name(f);
  detail::check_inputs<T>(op, {{"a", a}, {"b", b}});
  const kernels::Broadcast bc = detail::broadcast_of(op, a, b);
  Var<T> y = a.tape->result(a.shape(), detail::any_grad(a, b));
  kernels::binary_forward(a.tape->where(), f, bc, a.value(), b.value(), y.value());
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&binary_backward<T>, y.id, {a.id, b.id, -1, -1}};
    rec.integer[0] = static_cast<int64_t>(f);
    a.tape->record(rec);
  }
  return y;
}

template <class T> Var<T> add(Var<T> a, Var<T> b) { return binary(Binary::add, a, b); }
template <class T> Var<T> sub(Var<T> a, Var<T> b) { return binary(Binary::sub, a, b); }
template <class T> Var<T> mul(Var<T> a, Var<T> b) { return binary(Binary::mul, a, b); }
template <class T> Var<T> minimum(Var<T> a, Var<T> b) { return binary(Binary::min, a, b); }
template <class T> Var<T> atan2(Var<T> a, Var<T> b) { return binary(Binary::atan2, a, b); }

// y = c x + d (scale and add_scalar);  dx += c dy
template <class T> static void affine_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::axpy(t.where(), static_cast<T>(r.real[0]), y.grad, x.grad, x.shape.numel());
}

template <class T> static Var<T> affine(const char* op, Var<T> x, double c, double d) {
  detail::check_var(op, "x", x);
  Var<T> y = x.tape->result(x.shape(), x.requires_grad());
  kernels::affine(x.tape->where(), x.value(), y.value(), x.numel(), static_cast<T>(c), static_cast<T>(d));
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&affine_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.real[0] = c;
    x.tape->record(rec);
  }
  return y;
}
template <class T> Var<T> scale(Var<T> x, double c) { return affine("scale", x, c, 0.0); }
template <class T> Var<T> add_scalar(Var<T> x, double c) { return affine("add_scalar", x, 1.0, c); }

// y = f(x);  dx += dy f'(x)
template <class T> static void unary_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::unary_backward(t.where(), static_cast<Unary>(r.integer[0]), x.value, y.value, y.grad, x.grad,
                          x.shape.numel());
}

template <class T> Var<T> unary(Unary f, Var<T> x) {
  detail::check_var("unary", "x", x);
  Var<T> y = x.tape->result(x.shape(), x.requires_grad());
  kernels::unary_forward(x.tape->where(), f, x.value(), y.value(), x.numel());
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&unary_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.integer[0] = static_cast<int64_t>(f);
    x.tape->record(rec);
  }
  return y;
}

// y = min(max(x, lo), hi);  dx += dy where lo < x < hi
template <class T> static void clamp_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::clamp_backward(t.where(), x.value, y.grad, x.grad, x.shape.numel(), static_cast<T>(r.real[0]),
                          static_cast<T>(r.real[1]));
}

template <class T> Var<T> clamp(Var<T> x, double lo, double hi) {
  detail::check_var("clamp", "x", x);
  if (!(lo <= hi)) fail("clamp", "bounds lo = " + std::to_string(lo) + ", hi = " + std::to_string(hi) + ": expected lo <= hi");
  Var<T> y = x.tape->result(x.shape(), x.requires_grad());
  kernels::clamp_forward(x.tape->where(), x.value(), y.value(), x.numel(), T(lo), T(hi));
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&clamp_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.real[0] = lo;
    rec.real[1] = hi;
    x.tape->record(rec);
  }
  return y;
}

template <class T> Var<T> inside(Var<T> x, double lo, double hi, bool closed) {
  detail::check_var("inside", "x", x);
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    fail("inside", "bounds lo = " + std::to_string(lo) + ", hi = " + std::to_string(hi) + ": expected lo <= hi");
  Var<T> y = x.tape->result(x.shape(), false);  // a mask: nothing to differentiate
  kernels::inside(x.tape->where(), x.value(), y.value(), x.numel(), lo, hi, closed);
  return y;
}

// y = lo + softplus(hi - softplus(hi - x) - lo); gradients in kernels/math.cuh soft_clamp_grad
template <class T> static void soft_clamp_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  auto& lo = t.node(r.in[1]);
  auto& hi = t.node(r.in[2]);
  kernels::soft_clamp_backward(t.where(), detail::broadcast_layout(x.shape, lo.shape), x.value, lo.value, hi.value,
                               y.grad, x.grad, lo.grad, hi.grad);
}

template <class T> Var<T> soft_clamp(Var<T> x, Var<T> lo, Var<T> hi) {
  detail::check_inputs<T>("soft_clamp", {{"x", x}, {"lo", lo}, {"hi", hi}});
  if (lo.shape() != hi.shape())
    fail("soft_clamp", "bounds lo " + lo.shape().str() + " and hi " + hi.shape().str() + ": expected equal shapes");
  const kernels::Broadcast bc = detail::broadcast_of("soft_clamp", x, lo);
  Var<T> y = x.tape->result(x.shape(), detail::any_grad(x, lo, hi));
  kernels::soft_clamp_forward(x.tape->where(), bc, x.value(), lo.value(), hi.value(), y.value());
  if (y.requires_grad()) x.tape->record({&soft_clamp_backward<T>, y.id, {x.id, lo.id, hi.id, -1}});
  return y;
}

#define MAAC_INSTANTIATE(T)                        \
  template Var<T> add(Var<T>, Var<T>);             \
  template Var<T> sub(Var<T>, Var<T>);             \
  template Var<T> mul(Var<T>, Var<T>);             \
  template Var<T> minimum(Var<T>, Var<T>);         \
  template Var<T> atan2(Var<T>, Var<T>);           \
  template Var<T> scale(Var<T>, double);           \
  template Var<T> add_scalar(Var<T>, double);      \
  template Var<T> unary(Unary, Var<T>);            \
  template Var<T> clamp(Var<T>, double, double);   \
  template Var<T> inside(Var<T>, double, double, bool); \
  template Var<T> soft_clamp(Var<T>, Var<T>, Var<T>);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
