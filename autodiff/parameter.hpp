// Parameters live outside the tape: they own their value and gradient, and the tape
// only aliases them for one step. Optimisers and checkpoints work on ParameterLists.
#pragma once
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"

namespace maac {

template <class T>
class Parameter {
 public:
  Parameter(std::string name, Shape shape, Device device = Device::cpu)
      : name_(std::move(name)), value_(shape, device), grad_(shape, device) {}
  const std::string& name() const { return name_; }
  const Shape& shape() const { return value_.shape(); }
  Device device() const { return value_.device(); }
  int64_t numel() const { return value_.numel(); }
  Buffer<T>& value() { return value_; }
  const Buffer<T>& value() const { return value_; }
  Buffer<T>& grad() { return grad_; }
  const Buffer<T>& grad() const { return grad_; }
  void zero_grad(cuda::Stream stream = cuda::default_stream) { grad_.fill(T(0), stream); }
  // Moves value and gradient to `device` (modules initialise on the cpu, then move).
  void to(Device device) {
    if (device == value_.device()) return;
    value_ = value_.to(device);
    grad_ = grad_.to(device);
  }

 private:
  std::string name_;
  Buffer<T> value_;
  Buffer<T> grad_;
};

// A non-owning list of parameters (a module's, or several modules').
template <class T>
using ParameterList = std::vector<Parameter<T>*>;

// Zeroes every gradient; on cuda pass the tape's stream to keep the order (see device.hpp).
template <class T> void zero_grad(const ParameterList<T>& params, cuda::Stream stream = cuda::default_stream) {
  for (Parameter<T>* p : params) p->zero_grad(stream);
}
// Moves every parameter to `device`. Optimisers keep state per device: create them after.
template <class T> void to_device(const ParameterList<T>& params, Device device) {
  for (Parameter<T>* p : params) p->to(device);
}
template <class T> int64_t parameter_count(const ParameterList<T>& params) {
  int64_t n = 0;
  for (const Parameter<T>* p : params) n += p->numel();
  return n;
}

}  // namespace maac
