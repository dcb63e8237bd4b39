#include "autodiff/arena.hpp"

#include <algorithm>

namespace maac {

void* Arena::allocate_bytes(size_t bytes) {
  size_t padded = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  if (chunks_.empty() || chunks_.back().used + padded > chunks_.back().size) {
    // new[] of std::byte is only 16-aligned: over-allocate and align by hand.
    Chunk c;
    c.size = std::max(default_chunk_, padded);
    c.memory.reset(new std::byte[c.size + kAlign]);
    chunks_.push_back(std::move(c));
  }
  Chunk& c = chunks_.back();
  auto base = reinterpret_cast<uintptr_t>(c.memory.get());
  uintptr_t aligned = (base + kAlign - 1) / kAlign * kAlign;
  void* p = reinterpret_cast<void*>(aligned + c.used);
  c.used += padded;
  used_total_ += padded;
  peak_total_ = std::max(peak_total_, used_total_);
  return p;
}

void Arena::reset() {
  // Several chunks mean the last step overflowed: replace them by one that fits the peak.
  if (chunks_.size() > 1) {
    size_t total = std::max(peak_total_, capacity());
    chunks_.clear();
    default_chunk_ = std::max(default_chunk_, total);
    Chunk c;
    c.size = default_chunk_;
    c.memory.reset(new std::byte[c.size + kAlign]);
    chunks_.push_back(std::move(c));
  }
  for (Chunk& c : chunks_) c.used = 0;
  used_total_ = 0;
}

size_t Arena::capacity() const {
  size_t total = 0;
  for (const Chunk& c : chunks_) total += c.size;
  return total;
}

}  // namespace maac
