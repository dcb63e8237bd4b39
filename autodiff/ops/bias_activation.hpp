// The bias + activation half of linear and ensemble_linear with an activation
// (y = f(x W + b)), shared by ops/linear.cpp and ops/ensemble_linear.cpp.
//
// Such a layer keeps two nodes: a hidden pre-activation `pre` = x W + b [batch, rows,
// cols] (its gradient is zeroed by backward like any intermediate) and the output y.
// On cuda the GEMM writes x W, then one kernel adds the bias, keeps pre and writes y;
// backward is one kernel for dpre and the bias gradient, then the GEMMs read dpre.
// That is one launch per layer fewer in each direction than linear then unary, and the
// CPU runs the same math in the same node layout.
#pragma once
#include <algorithm>

#include "autodiff/ops/common.hpp"
#include "kernels/cpu/activations.hpp"
#include "kernels/cuda/elementwise.hpp"
#include "kernels/cuda/rows.hpp"

namespace maac::detail {

// [batch, rows, cols] output, bias [batch, 1, cols].
struct BiasLayout {
  int64_t batch, rows, cols;
  int64_t numel() const { return batch * rows * cols; }
};

// Where the GEMM of a layer with activation f writes (before bias) and where y lives.
template <class T> struct ActivatedOutput {
  Var<T> pre;  // == y when f is the identity (no hidden node)
  Var<T> y;
};

template <class T> ActivatedOutput<T> activated_output(Tape<T>& t, Shape shape, Unary f, bool requires_grad) {
  Var<T> pre = t.result(shape, requires_grad);
  if (f == Unary::identity) return {pre, pre};
  return {pre, t.result(shape, requires_grad)};
}

// Bias first, for a GEMM that then accumulates onto it (beta = 1): the identity layer
// on every device, and the cpu path of an activated one.
template <class T> void fill_bias_rows(T* out, const T* bias, const BiasLayout& l, cuda::Stream s, bool on_cuda) {
  if constexpr (device::have_cuda) {
    if (on_cuda) {
      cuda::expand(cpu::Broadcast{l.batch, l.rows, l.cols, l.cols, 0, 1}, bias, out, T(1), false, s);
      return;
    }
  }
  for (int64_t m = 0; m < l.batch; ++m)
    for (int64_t i = 0; i < l.rows; ++i) std::copy_n(bias + m * l.cols, l.cols, out + (m * l.rows + i) * l.cols);
}

// A layer's output nodes and the beta its GEMM must use into o.pre. The bias goes in first
// where the GEMM then accumulates onto it (beta = 1: the identity, and every cpu layer);
// a fused cuda layer's GEMM writes x W alone (beta = 0) and finish_activation adds it.
template <class T> struct LayerStart {
  ActivatedOutput<T> o;
  T beta;
};
template <class T>
LayerStart<T> start_layer(Tape<T>& t, Shape shape, Unary f, bool requires_grad, const T* bias, const BiasLayout& l) {
  const bool cuda = on_cuda(t);
  const ActivatedOutput<T> o = activated_output(t, shape, f, requires_grad);
  const bool bias_first = f == Unary::identity || !cuda;
  if (bias_first) fill_bias_rows(o.pre.value(), bias, l, t.stream(), cuda);
  return {o, bias_first ? T(1) : T(0)};
}

// After the GEMM: y = f(pre) with the bias added where the GEMM did not include it.
template <class T>
void finish_activation(Tape<T>& t, Unary f, const ActivatedOutput<T>& o, const T* bias, const BiasLayout& l) {
  if (f == Unary::identity) return;
  if constexpr (device::have_cuda) {
    if (on_cuda(t)) {
      cuda::bias_act_forward(f, o.pre.value(), bias, o.pre.value(), o.y.value(), l.batch, l.rows, l.cols,
                             t.stream());
      return;
    }
  }
  cpu::activation_forward(f, o.pre.value(), o.y.value(), l.numel());
}

// db += dz summed over rows, per batch entry (the bias gradient of every layer op).
template <class T> void add_bias_grad(Tape<T>& t, const T* dz, T* db, const BiasLayout& l) {
  if constexpr (device::have_cuda) {
    if (on_cuda(t)) {
      cuda::sum_to_add(cpu::Broadcast{l.batch, l.rows, l.cols, l.cols, 0, 1}, dz, db, T(1), t.stream());
      return;
    }
  }
  for (int64_t m = 0; m < l.batch; ++m)
    for (int64_t i = 0; i < l.rows; ++i)
      for (int64_t j = 0; j < l.cols; ++j) db[m * l.cols + j] += dz[(m * l.rows + i) * l.cols + j];
}

// Backward of the bias + activation: returns the gradient at the GEMM's output (y's own
// for the identity, else dpre) after adding the bias gradient into db (may be null).
template <class T>
const T* bias_activation_backward(Tape<T>& t, Unary f, int pre_id, int y_id, T* db, const BiasLayout& l) {
  auto& y = t.node(y_id);
  const T* dz = y.grad;
  if (f != Unary::identity) {
    auto& pre = t.node(pre_id);
    if constexpr (device::have_cuda) {
      if (on_cuda(t)) {
        cuda::bias_act_backward(f, pre.value, y.value, y.grad, pre.grad, db, l.batch, l.rows, l.cols, t.stream());
        return pre.grad;
      }
    }
    cpu::activation_backward(f, pre.value, y.value, y.grad, pre.grad, l.numel());
    dz = pre.grad;
  }
  if (db) add_bias_grad(t, dz, db, l);
  return dz;
}

}  // namespace maac::detail
