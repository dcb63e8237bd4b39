// A linear-Gaussian policy u = K x + sigma eps (MAAC paper section 5.2): the gain K is
// the only parameter; sigma is fixed. Its samples plug into the MAAC path loop
// (rl/maac_path.hpp) like the tanh policy's.
#pragma once
#include <vector>

#include "autodiff/ops.hpp"
#include "autodiff/parameter.hpp"

namespace maac::rl {

template <class T>
class LinearGaussianPolicy {
 public:
  // gain: K as [act, obs], row-major; noise_std: sigma > 0.
  LinearGaussianPolicy(int64_t obs_dim, int64_t act_dim, const std::vector<double>& gain, double noise_std);

  struct Sample {
    Var<T> action;    // [k n, act], unbounded
    Var<T> log_prob;  // [k n, 1]: the Gaussian's density at eps, which does not depend on K
  };
  // s: [n, obs]; eps: constant [k n, act] for k >= 1 samples per state (sample j of state
  // i at row j n + i), as SquashedGaussianPolicy::sample.
  Sample sample(Tape<T>& tape, Var<T> s, Var<T> eps);

  ParameterList<T> parameters() { return {&gain_}; }
  // K and dJ/dK as [act, obs], row-major (the parameter holds K' so that a = s K').
  std::vector<double> gain() const;
  std::vector<double> gain_gradient() const;
  int64_t obs_dim() const { return obs_; }
  int64_t act_dim() const { return act_; }
  double noise_std() const { return noise_std_; }

 private:
  int64_t obs_, act_;
  double noise_std_;
  Parameter<T> gain_;  // K': [obs, act]
};

extern template class LinearGaussianPolicy<float>;
extern template class LinearGaussianPolicy<double>;

}  // namespace maac::rl
