// Device memory owned by RAII objects. Plain C++ header: g++ translation units use it;
// the CUDA calls live in device_buffer.cu behind byte-level functions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// Byte-level primitives (checked; they throw std::runtime_error on any CUDA error).
void* device_malloc(std::size_t bytes);
void device_free(void* p) noexcept;  // errors are swallowed: called from destructors
// Complete when they return (ordered on the legacy default stream).
void copy_host_to_device(void* dst, const void* src, std::size_t bytes);
void copy_device_to_host(void* dst, const void* src, std::size_t bytes);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes, Stream stream = default_stream);
// Asynchronous on a stream; on default_stream it also waits for the memset to finish.
void memset_device(void* dst, int byte, std::size_t bytes, Stream stream = default_stream);
void synchronize_device();
// Any-direction copy (unified addressing) enqueued on `stream`. A copy from pageable host
// memory returns once the source has been staged (the caller may reuse it); a copy to
// host memory is complete only after synchronize_stream(stream).
void copy_async(void* dst, const void* src, std::size_t bytes, Stream stream);

// Streams for work that may later be captured into a CUDA graph: created non-blocking
// (no implicit ordering with the legacy default stream).
Stream create_stream();
void destroy_stream(Stream stream) noexcept;  // errors are swallowed: called from destructors
void synchronize_stream(Stream stream);

// n elements of T in device memory. Move-only; freed on destruction.
template <class T> class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(int64_t n) : size_(check_count(n)) {
    if (n > 0) data_ = static_cast<T*>(device_malloc(bytes()));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(int64_t(host.size())) { copy_from(host); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      device_free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { device_free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  int64_t size() const { return size_; }
  std::size_t bytes() const { return std::size_t(size_) * sizeof(T); }

  // Synchronous copies; the host vector must have exactly size() elements.
  void copy_from(const std::vector<T>& host) {
    check_same_size(host.size(), "copy_from");
    if (size_ > 0) copy_host_to_device(data_, host.data(), bytes());
  }
  void copy_to(std::vector<T>& host) const {
    check_same_size(host.size(), "copy_to");
    if (size_ > 0) copy_device_to_host(host.data(), data_, bytes());
  }
  std::vector<T> to_host() const {
    std::vector<T> host(static_cast<std::size_t>(size_));
    copy_to(host);
    return host;
  }
  // Every byte set to `byte` (0 gives zeros; 0xFF gives NaN for float and double).
  void memset(int byte, Stream stream = default_stream) {
    if (size_ > 0) memset_device(data_, byte, bytes(), stream);
  }

 private:
  static int64_t check_count(int64_t n) {
    if (n < 0) throw std::invalid_argument("DeviceBuffer: element count must be >= 0, got " + std::to_string(n));
    return n;
  }
  void check_same_size(std::size_t host_size, const char* what) const {
    if (host_size != std::size_t(size_))
      throw std::invalid_argument(std::string("DeviceBuffer::") + what + ": host vector has " +
                                  std::to_string(host_size) + " elements, buffer has " + std::to_string(size_));
  }
  T* data_ = nullptr;
  int64_t size_ = 0;
};

// A bump allocator over one cudaMalloc, for activations: allocate() hands out aligned
// slices in order, reset() rewinds to the start (no frees, no allocation inside a step).
// Memory handed out before reset() is reused after it.
class DeviceArena {
 public:
  static constexpr std::size_t kAlignment = 256;  // cudaMalloc's own alignment

  explicit DeviceArena(std::size_t capacity_bytes);
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;
  DeviceArena(DeviceArena&& o) noexcept;
  DeviceArena& operator=(DeviceArena&& o) noexcept;
  ~DeviceArena();

  template <class T> T* allocate(int64_t n) {
    if (n < 0) throw std::invalid_argument("DeviceArena::allocate: element count must be >= 0, got " + std::to_string(n));
    return static_cast<T*>(allocate_bytes(std::size_t(n) * sizeof(T)));
  }
  void* allocate_bytes(std::size_t bytes);  // throws std::length_error when full
  void reset() { used_ = 0; }
  std::size_t used() const { return used_; }
  std::size_t capacity() const { return capacity_; }

 private:
  unsigned char* base_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
};

}  // namespace maac::cuda
