#include "autodiff/tape.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace maac {

template <class T> T Var<T>::item() const {
  if (numel() != 1)
    throw std::invalid_argument("Var::item: shape " + shape().str() + ", expected one element");
  if (device() != Device::cpu) throw std::invalid_argument("Var::item: value is on the GPU, expected cpu");
  return value()[0];
}

template <class T> int Tape<T>::push(Node n) {
  nodes_.push_back(n);
  return static_cast<int>(nodes_.size()) - 1;
}

template <class T> Var<T> Tape<T>::result(Shape shape, bool requires_grad) {
  Node n;
  n.shape = shape;
  n.value = arena_.allocate<T>(shape.numel());
  n.requires_grad = requires_grad && grad_enabled_;
  if (n.requires_grad) n.grad = arena_.allocate<T>(shape.numel());
  return Var<T>{this, push(n)};
}

template <class T> Var<T> Tape<T>::constant(Shape shape, const T* data) {
  Var<T> v = result(shape, false);
  std::memcpy(v.value(), data, sizeof(T) * static_cast<size_t>(shape.numel()));
  return v;
}

template <class T> Var<T> Tape<T>::input(Shape shape, const T* data) {
  Var<T> v = result(shape, true);
  std::memcpy(v.value(), data, sizeof(T) * static_cast<size_t>(shape.numel()));
  return v;
}

template <class T> Var<T> Tape<T>::param(Parameter<T>& p) {
  Node n;
  n.shape = p.shape();
  n.value = p.value().data();
  n.device = p.device();
  n.requires_grad = grad_enabled_ && !params_frozen_;
  if (n.requires_grad) {
    n.grad = p.grad().data();
    n.external_grad = true;
  }
  return Var<T>{this, push(n)};
}

template <class T> Var<T> Tape<T>::alias(Var<T> x, Shape shape) {
  Node n = node(x.id);
  n.shape = shape;
  return Var<T>{this, push(n)};
}

template <class T> void Tape<T>::backward(Var<T> out) {
  if (out.numel() != 1)
    throw std::invalid_argument("Tape::backward: output shape " + out.shape().str() +
                                " is not a scalar; pass a seed gradient of that shape");
  T one(1);
  backward(out, &one);
}

template <class T> void Tape<T>::backward(Var<T> out, const T* seed) {
  if (out.tape != this) throw std::invalid_argument("Tape::backward: output belongs to another tape");
  if (!out.requires_grad())
    throw std::invalid_argument("Tape::backward: output does not depend on any parameter or input");
  for (Node& n : nodes_)
    if (n.grad && !n.external_grad) std::fill_n(n.grad, n.shape.numel(), T(0));
  Node& o = node(out.id);
  for (int64_t i = 0; i < o.shape.numel(); ++i) o.grad[i] += seed[i];
  // Only records at or before the output matter; replay them newest first.
  for (auto r = records_.rbegin(); r != records_.rend(); ++r)
    if (r->out <= out.id && node(r->out).requires_grad) r->backward(*this, *r);
}

template <class T> void Tape<T>::reset() {
  nodes_.clear();
  records_.clear();
  arena_.reset();
}

template struct Var<float>;
template struct Var<double>;
template class Tape<float>;
template class Tape<double>;

}  // namespace maac
