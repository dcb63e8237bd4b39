#include "autodiff/tape.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/elementwise.hpp"
#include "kernels/memory.hpp"

namespace maac {

template <class T> T Var<T>::item() const {
  if (numel() != 1)
    throw std::invalid_argument("Var::item: shape " + shape().str() + ", expected one element");
  if (device() == Device::cpu) return value()[0];
  T v{};
  device::copy(&v, Device::cpu, value(), device(), sizeof(T), tape->stream());
  return v;
}

template <class T> std::vector<T> Var<T>::to_host() const {
  std::vector<T> out(static_cast<size_t>(numel()));
  device::copy(out.data(), Device::cpu, value(), device(), out.size() * sizeof(T), tape->stream());
  return out;
}

template <class T> void Tape<T>::StreamDeleter::operator()(CUstream_st* s) const noexcept { device::destroy_stream(s); }

template <class T>
Tape<T>::Tape(Device device, size_t arena_bytes)
    // A cuda tape keeps only member offsets in host memory: a small host arena suffices.
    : device_(device), arena_(device == Device::cpu ? arena_bytes : size_t(1) << 16) {
  if (device_ == Device::cpu) return;
  device::require(device_, "Tape");
  stream_.reset(device::create_stream());
  values_ = std::make_unique<DeviceChunkArena>(arena_bytes);
  grads_ = std::make_unique<DeviceChunkArena>(arena_bytes);
}

template <class T> Tape<T>::~Tape() {
  // Kernels may still read the arenas: let them finish before the memory is freed.
  if (stream_) {
    try {
      device::synchronize(stream_.get());
    } catch (...) {
      // A destructor cannot throw; a sticky device error surfaces elsewhere.
    }
  }
}

template <class T> int Tape<T>::push(Node n) {
  n.device = device_;
  nodes_.push_back(n);
  return static_cast<int>(nodes_.size()) - 1;
}

template <class T> Var<T> Tape<T>::result(Shape shape, bool requires_grad) {
  Node n;
  n.shape = shape;
  n.requires_grad = requires_grad && grad_enabled_;
  if (device_ == Device::cpu) {
    n.value = arena_.allocate<T>(shape.numel());
    if (n.requires_grad) n.grad = arena_.allocate<T>(shape.numel());
  } else {
    n.value = values_->allocate<T>(shape.numel());
    if (n.requires_grad) n.grad = grads_->allocate<T>(shape.numel());
  }
  return Var<T>{this, push(n)};
}

template <class T> int32_t* Tape<T>::indices(int64_t count) {
  return device_ == Device::cpu ? arena_.allocate<int32_t>(count) : values_->allocate<int32_t>(count);
}

template <class T> T* Tape<T>::scratch(int64_t count) {
  return device_ == Device::cpu ? arena_.allocate<T>(count) : values_->allocate<T>(count);
}

template <class T> const int32_t* Tape<T>::upload_indices(const int32_t* host, int64_t count) {
  int32_t* idx = indices(count);
  device::copy(idx, device_, host, Device::cpu, static_cast<size_t>(count) * sizeof(int32_t), stream());
  return idx;
}

template <class T> Var<T> Tape<T>::leaf(Shape shape, const void* data, Device from, bool requires_grad) {
  Var<T> v = result(shape, requires_grad);
  size_t bytes = sizeof(T) * static_cast<size_t>(shape.numel());
  if (device_ == Device::cpu && from == Device::cpu) std::memcpy(v.value(), data, bytes);
  else device::copy(v.value(), device_, data, from, bytes, stream());
  return v;
}

template <class T> Var<T> Tape<T>::constant(Shape shape, const T* data) { return leaf(shape, data, Device::cpu, false); }
template <class T> Var<T> Tape<T>::input(Shape shape, const T* data) { return leaf(shape, data, Device::cpu, true); }
template <class T> Var<T> Tape<T>::constant(const TensorView<T>& v) { return leaf(v.shape, v.data, v.device, false); }
template <class T> Var<T> Tape<T>::input(const TensorView<T>& v) { return leaf(v.shape, v.data, v.device, true); }

template <class T> Var<T> Tape<T>::filled(Shape shape, T value) {
  Var<T> v = result(shape, false);
  if (device_ == Device::cpu) std::fill_n(v.value(), shape.numel(), value);
  else device::fill(v.value(), device_, shape.numel(), value, stream());
  return v;
}

template <class T> Var<T> Tape<T>::param(Parameter<T>& p) {
  if (p.device() != device_)
    throw std::invalid_argument("Tape::param: parameter '" + p.name() + "' is on " + device_name(p.device()) +
                                ", the tape on " + device_name(device_) +
                                ": expected the same device (move parameters with to_device)");
  Node n;
  n.shape = p.shape();
  n.value = p.value().data();
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
  Node& o = node(out.id);
  const int64_t n = o.shape.numel();
  // Zero the intermediate gradients where they live: on cuda all of them are in grads_
  // (one memset per chunk), on cpu they are spread over the host arena.
  if (grads_) grads_->zero_used(stream());
  else {
    zero_ptrs_.clear();
    zero_counts_.clear();
    for (Node& nd : nodes_)
      if (nd.grad && !nd.external_grad) {
        zero_ptrs_.push_back(nd.grad);
        zero_counts_.push_back(nd.shape.numel());
      }
    kernels::host_zero(zero_ptrs_.data(), zero_counts_.data(), static_cast<int64_t>(zero_ptrs_.size()));
  }
  // Seed: g += seed. A scalar seed of 1 needs no upload (g = g + 1).
  if (n == 1 && seed[0] == T(1)) {
    kernels::affine(where(), o.grad, o.grad, 1, T(1), T(1));
  } else {
    const T* s = seed;  // host memory: staged on the tape's device first where that differs
    if (device_ != Device::cpu) {
      T* staged = scratch(n);
      device::copy(staged, device_, seed, Device::cpu, sizeof(T) * static_cast<size_t>(n), stream());
      s = staged;
    }
    kernels::axpy(where(), T(1), s, o.grad, n);
  }
  // Only records at or before the output matter; replay them newest first.
  for (auto r = records_.rbegin(); r != records_.rend(); ++r)
    if (r->out <= out.id && node(r->out).requires_grad) r->backward(*this, *r);
}

template <class T> void Tape<T>::reset() {
  nodes_.clear();
  records_.clear();
  arena_.reset();
  if (values_) values_->reset(stream());
  if (grads_) grads_->reset(stream());
}

template <class T> size_t Tape<T>::bytes_in_use() const {
  return device_ == Device::cpu ? arena_.bytes_in_use() : values_->bytes_in_use() + grads_->bytes_in_use();
}

template <class T> size_t Tape<T>::capacity() const {
  return device_ == Device::cpu ? arena_.capacity() : values_->capacity() + grads_->capacity();
}

template struct Var<float>;
template struct Var<double>;
template class Tape<float>;
template class Tape<double>;

}  // namespace maac
