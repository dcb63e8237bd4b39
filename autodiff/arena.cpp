#include "autodiff/arena.hpp"

#include <algorithm>

namespace maac {
namespace {
// Spare chunks of destroyed arenas on this thread, at most kMaxSpares of them.
constexpr size_t kMaxSpares = 8;
thread_local std::vector<std::pair<std::unique_ptr<std::byte[]>, size_t>> spares;
}  // namespace

Arena::Chunk Arena::take_chunk(size_t bytes) {
  Chunk c;
  for (size_t i = 0; i < spares.size(); ++i)
    if (spares[i].second >= bytes) {
      c.memory = std::move(spares[i].first);
      c.size = spares[i].second;
      spares.erase(spares.begin() + static_cast<std::ptrdiff_t>(i));
      return c;
    }
  // new[] of std::byte is only 16-aligned: over-allocate and align by hand.
  c.size = bytes;
  c.memory.reset(new std::byte[c.size + kAlign]);
  return c;
}

Arena::~Arena() {
  for (Chunk& c : chunks_) {
    if (spares.size() >= kMaxSpares) break;
    spares.emplace_back(std::move(c.memory), c.size);
  }
}

void* Arena::allocate_bytes(size_t bytes) {
  size_t padded = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  if (chunks_.empty() || chunks_.back().used + padded > chunks_.back().size) {
    chunks_.push_back(take_chunk(std::max(default_chunk_, padded)));
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
    chunks_.push_back(take_chunk(default_chunk_));
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
