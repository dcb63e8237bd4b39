// Bump allocator for activations and their gradients (DESIGN decision 2).
// reset() keeps the memory, so a steady-state training step allocates nothing: if a
// step overflowed into extra chunks, reset() merges them into one chunk big enough.
// A destroyed arena hands its chunks to a per-thread spare list that the next arena
// takes from, so short-lived tapes (targets, evaluations) do not fault in fresh pages.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace maac {

class Arena {
 public:
  explicit Arena(size_t initial_bytes = size_t(1) << 20) : default_chunk_(initial_bytes) {}
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  template <class T> T* allocate(int64_t count) {
    return static_cast<T*>(allocate_bytes(static_cast<size_t>(count) * sizeof(T)));
  }
  void* allocate_bytes(size_t bytes);
  void reset();
  size_t bytes_in_use() const { return used_total_; }
  size_t capacity() const;
  size_t chunk_count() const { return chunks_.size(); }

 private:
  struct Chunk {
    std::unique_ptr<std::byte[]> memory;
    size_t size = 0;
    size_t used = 0;
  };
  static constexpr size_t kAlign = 64;  // cache line and AVX-512 friendly
  // A chunk of at least `bytes`, reused from this thread's spares when one fits.
  static Chunk take_chunk(size_t bytes);
  size_t default_chunk_;
  std::vector<Chunk> chunks_;
  size_t used_total_ = 0;
  size_t peak_total_ = 0;
};

}  // namespace maac
