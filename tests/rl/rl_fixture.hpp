// A tiny float64 MAAC set-up shared by the rl tests: obs 3, act 2, M 3, smooth activations.
#pragma once
#include "rl/critic.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl::test {

struct TinySetup {
  static constexpr int64_t obs = 3, act = 2, members = 3, n = 4;
  Rng rng;
  DynamicsModel<double> model;
  SquashedGaussianPolicy<double> policy;
  TwinCritic<double> critic;
  std::vector<double> s0;

  static DynamicsModelOptions model_options() {
    DynamicsModelOptions o;
    o.members = members;
    o.hidden = {6, 6};
    return o;
  }
  static PolicyOptions policy_options() {
    PolicyOptions o;
    o.hidden = {8, 8};
    o.activation = Unary::tanh;
    return o;
  }
  static CriticOptions critic_options() {
    CriticOptions o;
    o.hidden = {8, 8};
    o.activation = Unary::silu;
    return o;
  }
  explicit TinySetup(uint64_t seed = 5)
      : rng(seed),
        model(obs, act, model_options(), rng),
        policy(obs, act, policy_options(), rng),
        critic(obs, act, critic_options(), rng),
        s0(rng.normal_vector<double>(n * obs)) {
    // Non-trivial per-member normalisers, so that their use is exercised.
    for (auto* norm : {&model.input_normalizer(), &model.target_normalizer()})
      for (size_t i = 0; i < norm->mean.size(); ++i) {
        norm->mean[i] = rng.uniform(-0.3, 0.3);
        norm->std[i] = rng.uniform(0.2, 0.6);
      }
    // Targets differ from the online critics, so using the wrong ones would show.
    for (Parameter<double>* p : critic.target_parameters())
      for (double& v : p->value().host()) v += rng.uniform(-0.05, 0.05);
  }
};

}  // namespace maac::rl::test
