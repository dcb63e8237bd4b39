// Device memory calls of autodiff. With the CUDA backend they forward to kernels/cuda;
// without it, any request for cuda throws naming the device (nothing else can reach it).
#include "autodiff/device.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernels/cpu/gemm.hpp"
#ifdef MAAC_HAVE_CUDA
#include "kernels/cuda/device.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/pointwise.hpp"
#endif

namespace maac::device {

bool available(Device d) {
  if (d == Device::cpu) return true;
#ifdef MAAC_HAVE_CUDA
  static const bool gpu = cuda::device_count() > 0;  // asked once: the answer does not change
  return gpu;
#else
  return false;
#endif
}

void require(Device d, const std::string& who) {
  if (available(d)) return;
  std::string why = "this build has no CUDA backend (configure with -DMAAC_CUDA=ON)";
#ifdef MAAC_HAVE_CUDA
  why = "no CUDA GPU is available on this machine: " + cuda::device_unavailable_reason();
#endif
  throw std::runtime_error(who + ": device " + device_name(d) + " requested, but " + why + "; expected cpu");
}

void* allocate(std::size_t bytes, Device d) {
  require(d, "device::allocate");
  if (d == Device::cpu) throw std::invalid_argument("device::allocate: cpu memory is owned by std::vector, expected cuda");
#ifdef MAAC_HAVE_CUDA
  return cuda::device_malloc(bytes);
#else
  return nullptr;
#endif
}

void release(void* p, Device d) noexcept {
#ifdef MAAC_HAVE_CUDA
  if (d == Device::cuda) cuda::device_free(p);
#endif
}

void set_cpu_threads(int n) { cpu::set_threads(n); }

void fence(Device d, cuda::Stream stream) {
#ifdef MAAC_HAVE_CUDA
  if (d == Device::cuda && stream == cuda::default_stream) cuda::synchronize_device();
#endif
}

void synchronize(cuda::Stream stream) {
#ifdef MAAC_HAVE_CUDA
  cuda::synchronize_stream(stream);
#endif
}

void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes, cuda::Stream stream) {
  if (bytes == 0) return;
  if (dst_device == Device::cpu && src_device == Device::cpu) {
    std::memcpy(dst, src, bytes);
    return;
  }
  require(Device::cuda, "device::copy");
#ifdef MAAC_HAVE_CUDA
  fence(Device::cuda, stream);
  cuda::copy_async(dst, src, bytes, stream);
  // Host memory is only safe to read once the copy has landed.
  if (dst_device == Device::cpu && stream != cuda::default_stream) cuda::synchronize_stream(stream);
  fence(Device::cuda, stream);
#endif
}

void zero(void* dst, Device d, std::size_t bytes, cuda::Stream stream) {
  if (bytes == 0) return;
  if (d == Device::cpu) {
    std::memset(dst, 0, bytes);
    return;
  }
#ifdef MAAC_HAVE_CUDA
  fence(d, stream);
  cuda::memset_device(dst, 0, bytes, stream);
  fence(d, stream);
#endif
}

template <class T> void fill(T* dst, Device d, int64_t n, T value, cuda::Stream stream) {
  if (n <= 0) return;
  if (d == Device::cpu) {
    std::fill_n(dst, n, value);
    return;
  }
#ifdef MAAC_HAVE_CUDA
  fence(d, stream);
  if (value == T(0)) cuda::memset_device(dst, 0, std::size_t(n) * sizeof(T), stream);  // +0.0 is all zero bits
  else cuda::fill(dst, n, value, stream);
  fence(d, stream);
#endif
}

cuda::Stream create_stream() {
  require(Device::cuda, "device::create_stream");
#ifdef MAAC_HAVE_CUDA
  return cuda::create_stream();
#else
  return nullptr;
#endif
}

void destroy_stream(cuda::Stream s) noexcept {
#ifdef MAAC_HAVE_CUDA
  cuda::destroy_stream(s);
#endif
}

template void fill<float>(float*, Device, int64_t, float, cuda::Stream);
template void fill<double>(double*, Device, int64_t, double, cuda::Stream);

}  // namespace maac::device
