// Shared helpers of the CUDA tests: fresh random inputs, NaN-poisoned device outputs,
// and element-wise comparison against the CPU result with an absolute+relative tolerance.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

#include "kernels/cuda/device_buffer.hpp"

namespace maac::cuda::test {

// A fresh seed per run, printed on failure through INFO by the caller's CAPTURE.
inline std::mt19937_64& rng() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

template <class T> std::vector<T> uniform(int64_t n, T lo, T hi) {
  std::uniform_real_distribution<T> dist(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = dist(rng());
  return v;
}

// A device buffer with every element NaN, so an output the kernel forgets stays NaN.
template <class T> DeviceBuffer<T> poisoned(int64_t n) {
  DeviceBuffer<T> b(n);
  b.memset(0xFF);
  return b;
}

// Every element within atol + rtol * |expected|; the first mismatch is reported.
template <class T>
void require_close(const std::vector<T>& got, const std::vector<T>& expected, double atol, double rtol) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = double(got[i]), e = double(expected[i]);
    if (!(std::fabs(g - e) <= atol + rtol * std::fabs(e))) {
      std::ostringstream msg;
      msg << "element " << i << " of " << got.size() << ": got " << g << ", expected " << e << " (atol " << atol
          << ", rtol " << rtol << ")";
      FAIL(msg.str());
    }
  }
}

}  // namespace maac::cuda::test

namespace maac::cuda::test {

// Per-precision tolerances for element-wise results: both sides evaluate the same shared
// math, but CUDA's exp/tanh/log1p differ from glibc's by a few ulp.
//   element:  atol = rtol = 1e-5 (float), 1e-12 (double)
//   summed:   a result that adds `terms` values gets atol + eps_sum * terms on top,
//             because the GPU adds them in a different order than the CPU loop.
template <class T> struct Tol {
  static constexpr double element = sizeof(T) == 4 ? 1e-5 : 1e-12;
  static constexpr double per_term = sizeof(T) == 4 ? 1e-6 : 1e-14;
  static double summed(int64_t terms) { return element + per_term * double(terms); }
};

}  // namespace maac::cuda::test
