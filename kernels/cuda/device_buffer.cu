// Byte-level device memory calls behind DeviceBuffer and DeviceArena, each checked.
#include <algorithm>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/device_buffer.hpp"

namespace maac::cuda {

void* device_malloc(std::size_t bytes) {
  void* p = nullptr;
  if (bytes == 0) return nullptr;
  MAAC_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}

void device_free(void* p) noexcept {
  if (p == nullptr) return;
  // A destructor cannot throw; a failing free (e.g. after a sticky kernel error) is dropped.
  if (cudaFree(p) != cudaSuccess) cudaGetLastError();
}

void copy_host_to_device(void* dst, const void* src, std::size_t bytes) {
  MAAC_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  // From pageable memory cudaMemcpy may return before the data lands, and non-blocking
  // streams do not wait for the legacy stream it ran on: finish it before returning.
  MAAC_CUDA_CHECK(cudaStreamSynchronize(default_stream));
}

void copy_device_to_host(void* dst, const void* src, std::size_t bytes) {
  MAAC_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes, Stream stream) {
  MAAC_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
}

void memset_device(void* dst, int byte, std::size_t bytes, Stream stream) {
  MAAC_CUDA_CHECK(cudaMemsetAsync(dst, byte, bytes, stream));
  // On the default stream a memset is set-up work: complete it, so that work queued next
  // on a non-blocking stream (which does not wait for the legacy stream) sees the bytes.
  if (stream == default_stream) MAAC_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void synchronize_device() { MAAC_CUDA_CHECK(cudaDeviceSynchronize()); }

void copy_async(void* dst, const void* src, std::size_t bytes, Stream stream) {
  if (bytes == 0) return;
  MAAC_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream));
}

Stream create_stream() {
  cudaStream_t s = nullptr;
  MAAC_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
}

void destroy_stream(Stream stream) noexcept {
  if (stream == nullptr) return;
  if (cudaStreamDestroy(stream) != cudaSuccess) cudaGetLastError();
}

void synchronize_stream(Stream stream) { MAAC_CUDA_CHECK(cudaStreamSynchronize(stream)); }

DeviceArena::DeviceArena(std::size_t capacity_bytes)
    : base_(static_cast<unsigned char*>(device_malloc(capacity_bytes))), capacity_(capacity_bytes) {}

DeviceArena::DeviceArena(DeviceArena&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)), capacity_(std::exchange(o.capacity_, 0)), used_(std::exchange(o.used_, 0)) {}

DeviceArena& DeviceArena::operator=(DeviceArena&& o) noexcept {
  if (this != &o) {
    device_free(base_);
    base_ = std::exchange(o.base_, nullptr);
    capacity_ = std::exchange(o.capacity_, 0);
    used_ = std::exchange(o.used_, 0);
  }
  return *this;
}

DeviceArena::~DeviceArena() { device_free(base_); }

void* DeviceArena::allocate_bytes(std::size_t bytes) {
  const std::size_t start = (used_ + kAlignment - 1) / kAlignment * kAlignment;
  if (start > capacity_ || bytes > capacity_ - start)
    throw std::length_error("DeviceArena::allocate: " + std::to_string(bytes) + " bytes requested, " +
                            std::to_string(capacity_ - std::min(start, capacity_)) + " of " +
                            std::to_string(capacity_) + " left");
  used_ = start + bytes;
  return base_ + start;
}

}  // namespace maac::cuda
