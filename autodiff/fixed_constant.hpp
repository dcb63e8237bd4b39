// A constant fixed at construction (action bounds, cost matrices) that tapes read on any
// device: a cpu tape copies the host values; a cuda tape copies from a device copy made on
// first use, so the node needs no upload and a captured CUDA graph can contain it.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "autodiff/tape.hpp"

namespace maac {

template <class T>
class FixedConstant {
 public:
  FixedConstant() = default;
  FixedConstant(Shape shape, std::vector<T> values) : shape_(shape), host_(std::move(values)) {
    if (static_cast<int64_t>(host_.size()) != shape_.numel())
      throw std::invalid_argument("FixedConstant: " + std::to_string(host_.size()) + " values for shape " +
                                  shape_.str() + ", expected " + std::to_string(shape_.numel()));
  }
  // A constant node on `tape` holding the values.
  Var<T> on(Tape<T>& tape) const {
    if (tape.device() == Device::cpu) return tape.constant(shape_, host_.data());
    if (!device_ || device_->device() != tape.device()) {
      device_ = std::make_unique<Buffer<T>>(shape_, tape.device());
      device_->copy_from_host(host_);
    }
    return tape.constant(device_->view());
  }
  const std::vector<T>& host() const { return host_; }

 private:
  Shape shape_;
  std::vector<T> host_;
  mutable std::unique_ptr<Buffer<T>> device_;  // made on first use by a device tape
};

}  // namespace maac
