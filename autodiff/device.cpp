// Device memory calls of autodiff. Host memory is plain (std::vector, memcpy); device
// memory goes through kernels/memory.hpp, which answers "no GPU" and throws for device
// memory in a build without the CUDA backend (nothing here looks at the build).
#include "autodiff/device.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernels/cpu/gemm.hpp"
#include "kernels/memory.hpp"

namespace maac::device {

bool available(Device d) {
  if (d == Device::cpu) return true;
  static const bool gpu = kernels::gpu_count() > 0;  // asked once: the answer does not change
  return gpu;
}

void require(Device d, const std::string& who) {
  if (available(d)) return;
  const std::string why = kernels::have_cuda()
                              ? "no CUDA GPU is available on this machine: " + kernels::gpu_unavailable_reason()
                              : "this build has no CUDA backend (configure with -DMAAC_CUDA=ON)";
  throw std::runtime_error(who + ": device " + device_name(d) + " requested, but " + why + "; expected cpu");
}

void* allocate(std::size_t bytes, Device d) {
  require(d, "device::allocate");
  if (d == Device::cpu) throw std::invalid_argument("device::allocate: cpu memory is owned by std::vector, expected cuda");
  return kernels::gpu_malloc(bytes);
}

void release(void* p, Device d) noexcept {
  if (d == Device::cuda) kernels::gpu_free(p);
}

void set_cpu_threads(int n) { cpu::set_threads(n); }

void fence(Device d, cuda::Stream stream) {
  if (d == Device::cuda && stream == cuda::default_stream) kernels::gpu_synchronize();
}

void synchronize(cuda::Stream stream) { kernels::stream_synchronize(stream); }

void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes, cuda::Stream stream) {
  if (bytes == 0) return;
  if (dst_device == Device::cpu && src_device == Device::cpu) {
    std::memcpy(dst, src, bytes);
    return;
  }
  require(Device::cuda, "device::copy");
  fence(Device::cuda, stream);
  kernels::gpu_copy_async(dst, src, bytes, stream);
  // Host memory is only safe to read once the copy has landed.
  if (dst_device == Device::cpu && stream != cuda::default_stream) kernels::stream_synchronize(stream);
  fence(Device::cuda, stream);
}

void zero(void* dst, Device d, std::size_t bytes, cuda::Stream stream) {
  if (bytes == 0) return;
  if (d == Device::cpu) {
    std::memset(dst, 0, bytes);
    return;
  }
  fence(d, stream);
  kernels::gpu_memset(dst, 0, bytes, stream);
  fence(d, stream);
}

template <class T> void fill(T* dst, Device d, int64_t n, T value, cuda::Stream stream) {
  if (n <= 0) return;
  if (d == Device::cpu) {
    std::fill_n(dst, n, value);
    return;
  }
  fence(d, stream);
  if (value == T(0)) kernels::gpu_memset(dst, 0, std::size_t(n) * sizeof(T), stream);  // +0.0 is all zero bits
  else kernels::gpu_fill(dst, n, value, stream);
  fence(d, stream);
}

cuda::Stream create_stream() {
  require(Device::cuda, "device::create_stream");
  return kernels::stream_create();
}

void destroy_stream(cuda::Stream s) noexcept { kernels::stream_destroy(s); }

template void fill<float>(float*, Device, int64_t, float, cuda::Stream);
template void fill<double>(double*, Device, int64_t, double, cuda::Stream);

}  // namespace maac::device
