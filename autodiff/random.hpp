// The CPU random stream: Philox keyed by a seed, position = a 64-bit counter.
// Its whole state is (seed, counter), so checkpoints and resumes are exact.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/philox.cuh"
#include "kernels/random.hpp"

namespace maac {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t counter = 0) : seed_(seed), counter_(counter) {}
  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }
  void set_counter(uint64_t c) { counter_ = c; }

  // 64 random bits.
  uint64_t bits() {
    philox::Block b = philox::generate(counter_++, 0, seed_);
    return (static_cast<uint64_t>(b.v[0]) << 32) | b.v[1];
  }
  // Uniform in [lo, hi).
  double uniform(double lo = 0.0, double hi = 1.0) {
    double u = static_cast<double>(bits() >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
  }
  // Uniform integer in [0, n).
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)) % (n > 0 ? n : 1); }
  double normal() {
    double z0, z1;
    philox::normal_pair(philox::generate(counter_++, 1, seed_), &z0, &z1);
    return z0;
  }
  template <class T> void fill_normal(T* out, int64_t n) {
    // One Philox block gives two normals; counters are consumed in pairs.
    kernels::fill_normal_pairs(out, n, seed_, counter_);
    counter_ += static_cast<uint64_t>((n + 1) / 2);
  }
  template <class T> std::vector<T> normal_vector(int64_t n) {
    std::vector<T> v(static_cast<size_t>(n));
    fill_normal(v.data(), n);
    return v;
  }
  template <class T> std::vector<T> uniform_vector(int64_t n, double lo, double hi) {
    std::vector<T> v(static_cast<size_t>(n));
    for (T& x : v) x = static_cast<T>(uniform(lo, hi));
    return v;
  }

 private:
  uint64_t seed_;
  uint64_t counter_;
};

}  // namespace maac
