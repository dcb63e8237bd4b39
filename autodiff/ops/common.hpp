// Argument checks and broadcast set-up shared by the op files.
// Devices: an op never branches on one. It checks its arguments, makes its result node,
// makes one kernels/ call with the tape's Where (tape.where(): device and stream) and
// records its backward, which makes its own kernels/ call the same way; kernels/ picks
// the CPU or the CUDA code (docs/style.md, "Adding an op").
#pragma once
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "autodiff/ops.hpp"
#include "kernels/elementwise.hpp"  // kernels::Broadcast

namespace maac::detail {

[[noreturn]] inline void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string(op) + ": " + what);
}

template <class T> void check_var(const char* op, const char* name, Var<T> v) {
  if (!v.valid()) fail(op, std::string(name) + " is an empty Var");
}

template <class T> void check_same_tape(const char* op, Var<T> a, Var<T> b) {
  if (a.tape == b.tape) return;
  if (a.device() != b.device())
    fail(op, "inputs " + a.shape().str() + " on " + device_name(a.device()) + " and " + b.shape().str() + " on " +
                 device_name(b.device()) + ": expected one device (one tape)");
  fail(op, "inputs " + a.shape().str() + " and " + b.shape().str() + " live on different tapes");
}

// An op's inputs by name: each a valid Var, all on the first one's tape.
template <class T> struct NamedInput {
  const char* name;
  Var<T> var;
};
template <class T> void check_inputs(const char* op, std::initializer_list<NamedInput<T>> inputs) {
  for (const NamedInput<T>& in : inputs) check_var(op, in.name, in.var);
  for (const NamedInput<T>& in : inputs) check_same_tape(op, inputs.begin()->var, in.var);
}

// An activation argument must be one of math::Unary's values (layers take it from configs).
inline void check_unary(const char* op, Unary f) {
  if (int(f) < int(Unary::identity) || int(f) > int(Unary::reciprocal))
    fail(op, "activation " + std::to_string(int(f)) + " is not a math::Unary value");
}

// Where operand b finds element (m, r, c) of a: stride 0 on b's size-1 dimensions.
inline kernels::Broadcast broadcast_layout(const Shape& sa, const Shape& sb) {
  kernels::Broadcast bc;
  bc.B = sa.batch(); bc.R = sa.rows(); bc.C = sa.cols();
  bc.sc = sb.cols() == 1 ? 0 : 1;
  bc.sr = sb.rows() == 1 ? 0 : sb.cols();
  bc.sb = sb.batch() == 1 ? 0 : sb.rows() * sb.cols();
  return bc;
}

// The same, after checking that b (rank <= a's) equals a or has size 1 where it differs.
template <class T> kernels::Broadcast broadcast_of(const char* op, Var<T> a, Var<T> b) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  auto fits = [](int64_t nb, int64_t na) { return nb == na || nb == 1; };
  if (sb.rank() > sa.rank() || !fits(sb.batch(), sa.batch()) || !fits(sb.rows(), sa.rows()) || !fits(sb.cols(), sa.cols()))
    fail(op, "shapes " + sa.str() + " and " + sb.str() +
                 ": expected the second to equal the first or to have size 1 where it differs");
  return broadcast_layout(sa, sb);
}

inline bool any_grad() { return false; }
template <class V, class... Rest> bool any_grad(V v, Rest... rest) { return v.requires_grad() || any_grad(rest...); }

}  // namespace maac::detail
