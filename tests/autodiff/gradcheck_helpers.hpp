// Helpers for float64 gradient-check tests.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>

#include "autodiff/gradcheck.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

namespace maac::test {

// Random input in [lo, hi), each value at least `margin` away from every kink listed.
inline GradcheckInput random_input(const std::string& name, Shape shape, double lo = -1.0, double hi = 1.0,
                                   uint64_t seed = 1, std::vector<double> kinks = {}, double margin = 0.05) {
  Rng rng(seed * 7919 + std::hash<std::string>{}(name));
  GradcheckInput in{name, shape, {}, true};
  for (int64_t i = 0; i < shape.numel(); ++i) {
    double x;
    bool near;
    do {
      x = rng.uniform(lo, hi);
      near = false;
      for (double k : kinks) near = near || std::fabs(x - k) < margin;
    } while (near);
    in.value.push_back(x);
  }
  return in;
}

inline GradcheckInput constant_input(GradcheckInput in) {
  in.differentiable = false;
  return in;
}

inline void require_passes(const GradcheckReport& r) {
  INFO(r.name << ": " << r.checked << " entries, " << r.failed << " failed, max |error| " << r.max_abs_error
              << ", worst " << r.worst);
  REQUIRE(r.checked > 0);
  REQUIRE(r.passed());
}

}  // namespace maac::test
