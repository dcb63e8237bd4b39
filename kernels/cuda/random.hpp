// Standard normal noise on the GPU from cuRAND's Philox4x32-10 (device API).
// The generator position is a counter in DEVICE memory that a kernel advances after each
// fill, so a captured CUDA graph that replays fill_normal draws fresh noise every replay
// (DESIGN decision 4). Plain C++ header.
#pragma once
#include <cstdint>

#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

// out[0, n) ~ N(0, 1). Output group g (elements 4g .. 4g+3) comes from Philox subsequence
// *device_counter + g of `seed`; afterwards a kernel adds ceil(n / 4) to *device_counter.
// The same seed and counter give the same numbers regardless of launch configuration.
template <class T>
void fill_normal(T* out, int64_t n, uint64_t seed, uint64_t* device_counter, Stream stream = default_stream);

// A seed plus its device counter (starting at 0), for callers that want one object.
class NormalGenerator {
 public:
  explicit NormalGenerator(uint64_t seed) : seed_(seed), counter_(1) { counter_.memset(0); }
  template <class T> void fill(T* out, int64_t n, Stream stream = default_stream) {
    fill_normal(out, n, seed_, counter_.data(), stream);
  }
  uint64_t seed() const { return seed_; }
  uint64_t* device_counter() { return counter_.data(); }

 private:
  uint64_t seed_;
  DeviceBuffer<uint64_t> counter_;
};

}  // namespace maac::cuda
