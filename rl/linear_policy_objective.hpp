// The MAAC objective (rl/maac_objective.hpp) for a linear-Gaussian policy, through the
// true linear dynamics or through a learned ensemble: the two estimators of the paper's
// gradient-error experiment (section 5.2, docs/experiments.md). The same path loop as
// the tanh-policy objective (rl/maac_path.hpp). The temperature is 0: the policy's
// entropy does not depend on K, so J is the H-step return plus the terminal value.
#pragma once
#include <type_traits>

#include "rl/linear_dynamics.hpp"
#include "rl/linear_gaussian_policy.hpp"
#include "rl/maac_objective.hpp"

namespace maac::rl {

// Noise for the true dynamics: action and terminal eps only (model eps and members
// stay empty; nothing else is random).
template <class T>
MaacNoise<T> draw_policy_noise(const MaacObjectiveOptions& options, int64_t n_start, int64_t act_dim, Rng& rng);

// critic: the terminal value; nullptr leaves it out (then options.horizon >= 1).
// noise: from draw_policy_noise (or MaacNoise::draw; its model parts are ignored).
template <class T>
MaacObjective<T> linear_policy_objective(Tape<T>& tape, Var<T> s0, LinearGaussianPolicy<T>& policy,
                                         const LinearDynamics<T>& dynamics, std::type_identity_t<TwinCritic<T>>* critic,
                                         const RewardModel<T>& reward, const MaacNoise<T>& noise,
                                         const MaacObjectiveOptions& options);

// Through the learned ensemble, routed by options.evaluation with the members and model
// eps of `noise` (MaacNoise::draw), as the tanh-policy objective steps.
template <class T>
MaacObjective<T> linear_policy_objective(Tape<T>& tape, Var<T> s0, LinearGaussianPolicy<T>& policy,
                                         DynamicsModel<T>& model, std::type_identity_t<TwinCritic<T>>* critic, const RewardModel<T>& reward,
                                         const MaacNoise<T>& noise, const MaacObjectiveOptions& options);

}  // namespace maac::rl
