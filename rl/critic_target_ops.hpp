// Critic targets as tape ops: the formulas of rl/critic_targets.hpp built on the caller's
// tape, with every input (rewards, alive masks, alpha, noise) a Var and no value read on
// the host, so that a critic update using them can be captured as a CUDA graph. The host
// functions in critic_targets.hpp stay the reference: tests hold these equal to them.
//
// STEVE here works on whole horizons at once: candidate values of member m, row i sit at
// row m n + i of [M n, 1] columns, reshaped to [M, n] so that sums over members are
// sum_rows. The variance is shifted by the first candidate (member 0, twin 1), as the host
// code does, so identical candidates give exactly zero variance.
#pragma once
#include <vector>

#include "rl/critic_targets.hpp"

namespace maac::rl {

// One-step soft TD target y = r + gamma alive (min_j Q'_j(s', a') - alpha log pi(a'|s')),
// a constant [n, 1] on r's tape (built under NoGrad).
//  r, alive: [n, 1]; s_next: [n, obs]; next_eps: [n, act]; alpha: [1, 1].
template <class T>
Var<T> td_target_var(SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, Var<T> r, Var<T> alive, Var<T> s_next,
                     Var<T> next_eps, Var<T> alpha, double gamma);

// SteveNoise as tape nodes, with the same layout.
template <class T>
struct SteveNoiseVars {
  Var<T> next_eps;                 // [n, act]
  std::vector<Var<T>> action_eps;  // H_c x [M n, act]
  std::vector<Var<T>> model_eps;   // H_c x [M, n, out]
  // Host noise copied onto `tape` (tests and the cpu path; an upload, so not capturable).
  static SteveNoiseVars on_tape(Tape<T>& tape, const SteveNoise<T>& noise, int64_t n, int64_t act_dim,
                                const DynamicsModel<T>& model);
};

template <class T>
struct SteveTargetVars {
  Var<T> target;                  // [n, 1], a constant
  std::vector<Var<T>> means;      // H_c + 1 x [1, n]
  std::vector<Var<T>> variances;  // H_c + 1 x [1, n]
  std::vector<Var<T>> weights;    // H_c + 1 x [1, n], summing to 1 per row
};

// STEVE targets (formulas in critic_targets.hpp) on r's tape. The reward model's
// alive() must itself be free of host reads for the result to be capturable; its shape
// is checked here, its values (0 or 1) are not.
//  r, alive: [n, 1]; s_next: [n, obs]; alpha: [1, 1].
template <class T>
SteveTargetVars<T> steve_targets_var(SquashedGaussianPolicy<T>& policy, DynamicsModel<T>& model, TwinCritic<T>& critic,
                                     const RewardModel<T>& reward, Var<T> r, Var<T> alive, Var<T> s_next,
                                     Var<T> alpha, const SteveNoiseVars<T>& noise, const SteveOptions& options);

extern template struct SteveNoiseVars<float>;
extern template struct SteveNoiseVars<double>;

}  // namespace maac::rl
