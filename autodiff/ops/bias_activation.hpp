// The nodes of a layer with an activation (y = f(x W + b)), shared by ops/linear.cpp and
// ops/ensemble_linear.cpp.
//
// Such a layer keeps two nodes: a hidden pre-activation `pre` = x W + b [batch, rows,
// cols] (its gradient is zeroed by backward like any intermediate) and the output y.
// kernels::dense_forward / dense_backward fill them in one call each way; how the bias,
// the GEMM and the activation are combined on each device is kernels/dense.hpp's choice.
#pragma once

#include "autodiff/ops/common.hpp"

namespace maac::detail {

template <class T> struct ActivatedOutput {
  Var<T> pre;  // == y when f is the identity (no hidden node)
  Var<T> y;
};

template <class T> ActivatedOutput<T> activated_output(Tape<T>& t, Shape shape, Unary f, bool requires_grad) {
  Var<T> pre = t.result(shape, requires_grad);
  if (f == Unary::identity) return {pre, pre};
  return {pre, t.result(shape, requires_grad)};
}

// The pre-activation node's value and gradient in a layer's backward (null for the
// identity, whose record keeps in[3] = -1).
template <class T> struct PreActivation {
  const T* value = nullptr;
  T* grad = nullptr;
};
template <class T> PreActivation<T> pre_activation(Tape<T>& t, int pre_id) {
  if (pre_id < 0) return {};
  auto& pre = t.node(pre_id);
  return {pre.value, pre.grad};
}

}  // namespace maac::detail
