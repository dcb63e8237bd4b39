// Bump allocator in device memory for a cuda tape's activations and gradients, grown
// like autodiff/arena.hpp: a full chunk adds another, and reset() merges them into one
// chunk that fits the peak. A steady-state step therefore allocates nothing, which CUDA
// graph capture needs (cudaMalloc cannot be captured).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cuda/stream.hpp"

namespace maac {

class DeviceChunkArena {
 public:
  static constexpr size_t kAlign = 256;  // cudaMalloc's own alignment
  explicit DeviceChunkArena(size_t initial_bytes) : default_chunk_(initial_bytes) {}
  ~DeviceChunkArena();
  DeviceChunkArena(const DeviceChunkArena&) = delete;
  DeviceChunkArena& operator=(const DeviceChunkArena&) = delete;

  template <class T> T* allocate(int64_t count) {
    return static_cast<T*>(allocate_bytes(static_cast<size_t>(count) * sizeof(T)));
  }
  void* allocate_bytes(size_t bytes);
  // Rewinds. When the last step overflowed, waits for `stream` (kernels may still read
  // the old chunks), frees them and allocates one chunk of the peak size.
  void reset(cuda::Stream stream);
  // Zeroes every byte handed out since the last reset (one memset per chunk), on `stream`.
  void zero_used(cuda::Stream stream);
  size_t bytes_in_use() const { return used_total_; }
  size_t capacity() const;
  size_t chunk_count() const { return chunks_.size(); }

 private:
  struct Chunk {
    void* memory = nullptr;
    size_t size = 0;
    size_t used = 0;
  };
  size_t default_chunk_;
  std::vector<Chunk> chunks_;
  size_t used_total_ = 0;
  size_t peak_total_ = 0;
};

}  // namespace maac
