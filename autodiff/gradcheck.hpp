// Float64 gradient checks against central finite differences (DESIGN decision 5).
// The function under test is rebuilt on a fresh tape for every perturbation, so any
// op, module or whole objective can be checked the same way.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autodiff/parameter.hpp"
#include "autodiff/tape.hpp"

namespace maac {

struct GradcheckInput {
  std::string name;
  Shape shape;
  std::vector<double> value;
  bool differentiable = true;  // false: enters as a constant (noise, masks)
};

struct GradcheckOptions {
  double step = 1e-6;
  double atol = 1e-5;   // pass when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
  uint64_t seed = 7;    // seeds the random output weights
};

struct GradcheckReport {
  std::string name;
  int64_t checked = 0;         // gradient entries compared
  int64_t failed = 0;
  double max_abs_error = 0.0;
  double max_excess = 0.0;     // worst |error| / (atol + rtol |numeric|); <= 1 passes
  std::string worst;           // where the worst entry is, with both values
  bool passed() const { return failed == 0 && checked > 0; }
};

// Builds the function's output from the inputs (in the order given) on tape.
using GradcheckFn = std::function<Var<double>(Tape<double>&, const std::vector<Var<double>>&)>;

// Compares d/dx of sum(out * R), R a fixed random tensor, for every element of every
// differentiable input and every parameter, analytic (backward) against numeric.
GradcheckReport gradcheck(const std::string& name, const GradcheckFn& fn, std::vector<GradcheckInput> inputs,
                          const ParameterList<double>& params = {}, const GradcheckOptions& options = {});

}  // namespace maac
