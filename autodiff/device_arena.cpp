#include "autodiff/device_arena.hpp"

#include <algorithm>

#include "autodiff/device.hpp"

namespace maac {

DeviceChunkArena::~DeviceChunkArena() {
  for (Chunk& c : chunks_) device::release(c.memory, Device::cuda);
}

void* DeviceChunkArena::allocate_bytes(size_t bytes) {
  size_t padded = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  if (chunks_.empty() || chunks_.back().used + padded > chunks_.back().size) {
    Chunk c;
    c.size = std::max(default_chunk_, padded);
    c.memory = device::allocate(c.size, Device::cuda);
    chunks_.push_back(c);
  }
  Chunk& c = chunks_.back();
  void* p = static_cast<unsigned char*>(c.memory) + c.used;
  c.used += padded;
  used_total_ += padded;
  peak_total_ = std::max(peak_total_, used_total_);
  return p;
}

void DeviceChunkArena::reset(cuda::Stream stream) {
  if (chunks_.size() > 1) {
    // Several chunks mean the last step overflowed: one chunk that fits the peak replaces them.
    size_t total = std::max(peak_total_, capacity());
    device::synchronize(stream);
    for (Chunk& c : chunks_) device::release(c.memory, Device::cuda);
    chunks_.clear();
    default_chunk_ = std::max(default_chunk_, total);
    Chunk c;
    c.size = default_chunk_;
    c.memory = device::allocate(c.size, Device::cuda);
    chunks_.push_back(c);
  }
  for (Chunk& c : chunks_) c.used = 0;
  used_total_ = 0;
}

void DeviceChunkArena::zero_used(cuda::Stream stream) {
  for (Chunk& c : chunks_)
    if (c.used) device::zero(c.memory, Device::cuda, c.used, stream);
}

size_t DeviceChunkArena::capacity() const {
  size_t total = 0;
  for (const Chunk& c : chunks_) total += c.size;
  return total;
}

}  // namespace maac
