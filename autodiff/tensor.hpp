// Tensors: a non-owning view (data, shape, device). Storage belongs to a Buffer
// (parameters, optimiser state) or to the tape's arena (activations).
#pragma once
#include <string>
#include <type_traits>
#include <vector>

#include "autodiff/shape.hpp"

namespace maac {

enum class Device { cpu, cuda };
inline const char* device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

enum class DType { f32, f64 };
template <class T> constexpr DType dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "maac tensors are float or double");
  return std::is_same_v<T, float> ? DType::f32 : DType::f64;
}
inline const char* dtype_name(DType t) { return t == DType::f32 ? "float32" : "float64"; }

template <class T>
struct TensorView {
  T* data = nullptr;
  Shape shape;
  Device device = Device::cpu;
  int64_t numel() const { return shape.numel(); }
};

// Owning storage with a device tag. The CPU backend keeps it in host memory; the CUDA
// backend adds device memory behind the same interface.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(Shape shape, Device device = Device::cpu) : shape_(shape), device_(device) {
    if (device != Device::cpu)
      throw std::invalid_argument("Buffer: device " + std::string(device_name(device)) +
                                  " storage is created by the CUDA backend, expected cpu here");
    host_.assign(static_cast<size_t>(shape.numel()), T(0));
  }
  const Shape& shape() const { return shape_; }
  Device device() const { return device_; }
  int64_t numel() const { return shape_.numel(); }
  T* data() { return host_.data(); }
  const T* data() const { return host_.data(); }
  std::vector<T>& host() { return host_; }
  const std::vector<T>& host() const { return host_; }
  TensorView<T> view() { return {host_.data(), shape_, device_}; }
  void fill(T v) { std::fill(host_.begin(), host_.end(), v); }

 private:
  Shape shape_;
  Device device_ = Device::cpu;
  std::vector<T> host_;
};

}  // namespace maac
