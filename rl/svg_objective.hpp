// SVG(1) (Heess et al. 2015, "Learning Continuous Control Policies by Stochastic Value
// Gradients"): the policy gradient through one model step on real transitions, with the
// model's noise inferred from the observed next state, and a state value V learned by TD.
//
//  Actor, per real transition (s, a_obs, r_obs, s'_obs), row i through member m_i:
//    xi = (norm(s'_obs - s) - mu_m(s, a_obs)) / sigma_m(s, a_obs)   (a constant)
//    a  = pi(s; eps) reparameterised,  s' = s + denorm(mu_m(s, a) + sigma_m(s, a) xi)
//    J  = r(s, a, s') + gamma alive(s') V(s') - alpha log pi(a|s),  loss = -mean J.
//  At a = a_obs the path reproduces s'_obs: the model only supplies the Jacobians.
//  Value: V is SAC's soft state value E_a[r - alpha log pi(a|s) + gamma V(s')], fitted by
//    y = r_obs - alpha log pi(a_hat|s) + gamma alive_obs V'(s'_obs),  a_hat ~ pi(s),
//  on real transitions without importance weights (the buffer keeps no behaviour
//  log-probabilities; docs/training.md says what that costs).
// The gradient reaches the policy only: model and value parameters are read frozen.
#pragma once
#include <vector>

#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"
#include "rl/reward_model.hpp"
#include "rl/value_function.hpp"

namespace maac::rl {

struct SvgObjectiveOptions {
  double gamma = 0.99;
  ModelNoiseScale model_noise = ModelNoiseScale::std_dev;
  EnsembleEvaluation evaluation = EnsembleEvaluation::routed;
  Termination termination = Termination::smooth;  // alive(s') of the model step: as actor.termination
};

// The randomness of one actor evaluation: the action noise, and one member per row drawn
// uniformly from the model's sampling members (the elites when set), that both infers
// the row's noise and makes its step.
template <class T>
struct SvgNoise {
  std::vector<T> action_eps;     // [n, act]
  std::vector<int32_t> members;  // [n]
  static SvgNoise draw(int64_t n, const DynamicsModel<T>& model, int64_t act_dim, Rng& rng);
};

// A batch of real transitions on a tape, all constants.
template <class T>
struct RealTransitions {
  Var<T> s, a, r, s_next;  // [n, obs], [n, act], [n, 1], [n, obs]
};

template <class T>
struct SvgObjective {
  Var<T> loss;            // [1, 1] = -mean J
  Var<T> returns;         // J: [n, 1]
  Var<T> inferred_noise;  // xi: [n, model out], a constant
};

// The actor's loss on real transitions. alpha >= 0: the temperature's current value.
template <class T>
SvgObjective<T> svg1_policy_objective(Tape<T>& tape, const RealTransitions<T>& batch, SquashedGaussianPolicy<T>& policy,
                                      DynamicsModel<T>& model, ValueFunction<T>& value, const RewardModel<T>& reward,
                                      double alpha, const SvgNoise<T>& noise, const SvgObjectiveOptions& options);

// V's TD target, a constant [n, 1] built under NoGrad with the target V.
//  batch.a is not read (the entropy term samples a_hat ~ pi(s; eps)); alive: [n, 1] 0/1.
template <class T>
Var<T> svg1_value_target(Tape<T>& tape, const RealTransitions<T>& batch, Var<T> alive,
                         SquashedGaussianPolicy<T>& policy, ValueFunction<T>& value, double alpha, Var<T> eps,
                         double gamma);

extern template struct SvgNoise<float>;
extern template struct SvgNoise<double>;

}  // namespace maac::rl
