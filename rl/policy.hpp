// Tanh-squashed Gaussian policy (SAC): an MLP gives mu and log-std per action
// dimension; log-std is clamped to [min, max] (hard clamp, as the authors and SAC do).
#pragma once
#include <vector>

#include "autodiff/modules/mlp.hpp"

namespace maac::rl {

struct PolicyOptions {
  std::vector<int64_t> hidden{256, 256};
  Unary activation = Unary::relu;
  double log_std_min = -20.0;
  double log_std_max = 2.0;
};

template <class T>
class SquashedGaussianPolicy {
 public:
  SquashedGaussianPolicy(int64_t obs_dim, int64_t act_dim, PolicyOptions options, Rng& rng);

  struct Distribution {
    Var<T> mu;       // [n, act]
    Var<T> log_std;  // [n, act], clamped
  };
  struct Sample {
    Var<T> action;    // [n, act] in (-1, 1)
    Var<T> log_prob;  // [n, 1]
  };
  // s: [n, obs]
  Distribution distribution(Tape<T>& tape, Var<T> s);
  // Reparameterised a = tanh(mu + std eps) and log pi(a|s); eps: constant [k n, act] for
  // k >= 1 samples per state (sample j of state i at row j n + i) -> [k n, ..]. The network
  // runs once per state; only its mean and log-std are tiled for k > 1.
  Sample sample(Tape<T>& tape, Var<T> s, Var<T> eps);
  // tanh(mu): the action used for evaluation.
  Var<T> deterministic(Tape<T>& tape, Var<T> s);

  ParameterList<T> parameters() { return net_.parameters(); }
  int64_t obs_dim() const { return obs_; }
  int64_t act_dim() const { return act_; }
  const PolicyOptions& options() const { return options_; }

 private:
  int64_t obs_, act_;
  PolicyOptions options_;
  MLP<T> net_;
};

extern template class SquashedGaussianPolicy<float>;
extern template class SquashedGaussianPolicy<double>;

}  // namespace maac::rl
