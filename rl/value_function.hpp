// A state value V(s) (an MLP like one of the critic's Q networks, on s alone) with a
// Polyak-averaged target copy: SVG(1)'s critic (rl/svg_objective.hpp).
#pragma once
#include "autodiff/modules/mlp.hpp"
#include "rl/critic.hpp"

namespace maac::rl {

template <class T>
class ValueFunction {
 public:
  // Hidden sizes and activation as the critic's (CriticOptions).
  ValueFunction(int64_t obs_dim, CriticOptions options, Rng& rng);

  // s: [n, obs] -> V(s): [n, 1]; target = true uses the target copy.
  Var<T> value(Tape<T>& tape, Var<T> s, bool target = false);
  // Regression loss mean (V(s) - y)^2, y a constant [n, 1].
  Var<T> loss(Tape<T>& tape, Var<T> s, Var<T> y);
  // target <- (1 - tau) target + tau online.
  void update_targets(double tau);

  ParameterList<T> parameters() { return online_.parameters(); }
  ParameterList<T> target_parameters() { return target_.parameters(); }
  int64_t obs_dim() const { return obs_; }

 private:
  int64_t obs_;
  MLP<T> online_, target_;
};

extern template class ValueFunction<float>;
extern template class ValueFunction<double>;

}  // namespace maac::rl
