// The device of a module (policy, critic, model): where its parameters live. Modules are
// built on the cpu (initialised by the host RNG) and moved whole, so the first
// parameter speaks for all of them.
#pragma once
#include "autodiff/parameter.hpp"

namespace maac::rl {

template <class Module> Device device_of(Module& module) {
  const auto params = module.parameters();
  return params.empty() ? Device::cpu : params.front()->device();
}

}  // namespace maac::rl
