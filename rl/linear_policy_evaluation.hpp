// Data and a learned Q for a fixed linear-Gaussian policy on a linear system (the
// gradient-error experiment, docs/experiments.md): real transitions from the env, and
// fitted Q evaluation of the policy by TD on them.
#pragma once
#include <vector>

#include "envs/env.hpp"
#include "rl/critic.hpp"
#include "rl/linear_gaussian_policy.hpp"

namespace maac::rl {

// Flat row-major transitions: s, s_next [n, obs], a [n, act], r [n]; states[e][t] is
// the state before step t of episode e (the policy's visited states, in time order).
struct PolicyTransitions {
  int64_t n = 0, obs = 0, act = 0;
  std::vector<double> s, a, r, s_next;
  std::vector<std::vector<std::vector<double>>> states;  // [episode][t] -> [obs]
};

// `episodes` full episodes of u = K x + sigma eps in `env` (seeded seed, seed + 1, ...),
// the policy noise drawn from rng. The env's clipping applies; truncation ends an episode.
PolicyTransitions collect_policy_transitions(envs::Env& env, const LinearGaussianPolicy<double>& policy,
                                             int64_t episodes, uint64_t seed, Rng& rng);

struct QEvaluationOptions {
  int64_t steps = 5000;  // TD updates
  int64_t batch = 256;
  double lr = 1e-3;      // Adam
  double tau = 0.005;    // Polyak rate of the target critics
  double gamma = 0.9;
};

// Fitted Q evaluation of `policy`: TD on the transitions with the SAC-style target
// y = r + gamma min_j Q'_j(s', K s' + sigma eps') (no entropy term; every transition
// bootstraps: the time limit is truncation and the system never terminates). Returns
// the mean TD loss over the last tenth of the steps.
double fit_policy_q(TwinCritic<double>& critic, const LinearGaussianPolicy<double>& policy,
                    const PolicyTransitions& data, const QEvaluationOptions& options, Rng& rng);

}  // namespace maac::rl
