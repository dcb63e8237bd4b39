// Tensors: a non-owning view (data, shape, device). Storage belongs to a Buffer
// (parameters, optimiser state) or to the tape's arena (activations).
#pragma once
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autodiff/device.hpp"
#include "autodiff/shape.hpp"

namespace maac {


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

// Owning storage with a device tag: host memory (std::vector) on cpu, device memory on
// cuda. data() points into the buffer's own device; host() is for cpu buffers only.
// Copies of a Buffer are deep, on the same device. Calls that take a stream follow the
// stream rule of autodiff/device.hpp (default: synchronous).
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(Shape shape, Device device = Device::cpu) : shape_(shape), device_(device) {
    if (device == Device::cpu) {
      host_.assign(static_cast<size_t>(shape.numel()), T(0));
      return;
    }
    device::require(device, "Buffer " + shape.str());
    device_data_.reset(static_cast<T*>(device::allocate(bytes(), device)));
    fill(T(0));
  }
  Buffer(const Buffer& o) : shape_(o.shape_), device_(o.device_), host_(o.host_) {
    if (device_ == Device::cpu) return;
    device_data_.reset(static_cast<T*>(device::allocate(bytes(), device_)));
    device::copy(data(), device_, o.data(), device_, bytes(), cuda::default_stream);
  }
  Buffer& operator=(const Buffer& o) {
    if (this != &o) *this = Buffer(o);
    return *this;
  }
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  const Shape& shape() const { return shape_; }
  Device device() const { return device_; }
  int64_t numel() const { return shape_.numel(); }
  size_t bytes() const { return static_cast<size_t>(numel()) * sizeof(T); }
  T* data() { return device_ == Device::cpu ? host_.data() : device_data_.get(); }
  const T* data() const { return device_ == Device::cpu ? host_.data() : device_data_.get(); }
  std::vector<T>& host() {
    check_host();
    return host_;
  }
  const std::vector<T>& host() const {
    check_host();
    return host_;
  }
  TensorView<T> view() { return {data(), shape_, device_}; }
  void fill(T v, cuda::Stream stream = cuda::default_stream) {
    if (device_ == Device::cpu) std::fill(host_.begin(), host_.end(), v);
    else device::fill(data(), device_, numel(), v, stream);
  }

  // Host <-> buffer copies of exactly numel() elements, on any device.
  void copy_from_host(const T* src, int64_t n, cuda::Stream stream = cuda::default_stream) {
    check_count(n, "copy_from_host");
    device::copy(data(), device_, src, Device::cpu, bytes(), stream);
  }
  void copy_from_host(const std::vector<T>& src, cuda::Stream stream = cuda::default_stream) {
    copy_from_host(src.data(), static_cast<int64_t>(src.size()), stream);
  }
  void copy_to_host(T* dst, cuda::Stream stream = cuda::default_stream) const {
    device::copy(dst, Device::cpu, data(), device_, bytes(), stream);
  }
  std::vector<T> to_host(cuda::Stream stream = cuda::default_stream) const {
    std::vector<T> out(static_cast<size_t>(numel()));
    copy_to_host(out.data(), stream);
    return out;
  }
  // Values of another buffer of the same shape, from any device.
  void copy_from(const Buffer& src, cuda::Stream stream = cuda::default_stream) {
    if (src.shape() != shape_)
      throw std::invalid_argument("Buffer::copy_from: source " + src.shape().str() + ", expected " + shape_.str());
    device::copy(data(), device_, src.data(), src.device(), bytes(), stream);
  }
  // A copy of this buffer on `device`.
  Buffer to(Device device, cuda::Stream stream = cuda::default_stream) const {
    Buffer out(shape_, device);
    out.copy_from(*this, stream);
    return out;
  }

 private:
  struct DeviceFree {
    void operator()(T* p) const noexcept { device::release(p, Device::cuda); }
  };
  void check_host() const {
    if (device_ != Device::cpu)
      throw std::invalid_argument(std::string("Buffer::host: storage ") + shape_.str() + " is on " +
                                  device_name(device_) + ", expected cpu (use to_host() or copy_from_host())");
  }
  void check_count(int64_t n, const char* what) const {
    if (n != numel())
      throw std::invalid_argument(std::string("Buffer::") + what + ": " + std::to_string(n) + " elements for " +
                                  shape_.str() + ", expected " + std::to_string(numel()));
  }
  Shape shape_;
  Device device_ = Device::cpu;
  std::vector<T> host_;
  std::unique_ptr<T, DeviceFree> device_data_;
};

}  // namespace maac
