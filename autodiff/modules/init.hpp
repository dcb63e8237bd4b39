// Weight initialisation shared by the modules.
#pragma once
#include <cmath>

#include "autodiff/parameter.hpp"
#include "autodiff/random.hpp"

namespace maac {

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's nn.Linear default, which the
// authors' and MBPO's networks start from.
template <class T> void init_uniform_fan_in(Parameter<T>& p, int64_t fan_in, Rng& rng) {
  double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (T& x : p.value().host()) x = static_cast<T>(rng.uniform(-bound, bound));
}

}  // namespace maac
