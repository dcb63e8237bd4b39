// A tape node's values on the host, for code that reads results element by element
// (acting, imagined transitions, critic targets, termination masks). On a cuda tape this
// is a device-to-host copy, which waits for the tape's stream: keep it out of updates
// that should run without host synchronisation.
#pragma once
#include <vector>

#include "autodiff/tape.hpp"

namespace maac {

template <class T> std::vector<T> host_copy(Var<T> v) {
  if (v.device() != Device::cpu) return v.to_host();
  return std::vector<T>(v.value(), v.value() + v.numel());
}

}  // namespace maac
