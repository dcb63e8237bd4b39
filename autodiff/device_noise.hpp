// Noise drawn on the device for updates captured as CUDA graphs (DESIGN decision 4: noise
// is an input; here the input is made by a kernel inside the graph). The generator's
// position is a counter in device memory that each draw advances on the device, so every
// replay of a captured update draws fresh numbers. CPU tapes draw their noise with Rng on
// the host instead; these calls throw for them.
#pragma once
#include <cstdint>
#include <memory>

#include "autodiff/tape.hpp"

namespace maac {

class DeviceNoise {
 public:
  // Requires a usable cuda device (throws naming it otherwise).
  explicit DeviceNoise(uint64_t seed);
  ~DeviceNoise();
  DeviceNoise(const DeviceNoise&) = delete;
  DeviceNoise& operator=(const DeviceNoise&) = delete;

  // A constant node of standard normals, written on the tape's stream.
  template <class T> Var<T> normal(Tape<T>& tape, Shape shape);
  // n member ids drawn uniformly from `pool` (pool_size ids in device memory), in the
  // tape's device index memory (valid until tape.reset()).
  template <class T> const int32_t* members(Tape<T>& tape, int64_t n, const int32_t* pool, int64_t pool_size);

  uint64_t seed() const { return seed_; }
  // The generator positions, for checkpoints (reading waits for the device).
  uint64_t normal_counter() const;
  uint64_t member_counter() const;
  void set_counters(uint64_t normal, uint64_t member);

 private:
  uint64_t seed_;
  uint64_t* counters_ = nullptr;  // device memory: [normal, member]
};

}  // namespace maac
