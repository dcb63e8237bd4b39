// Critic targets, computed without gradient, as tape ops: built on the caller's tape with
// every input (rewards, alive masks, alpha, noise) a Var and no value read on the host, so
// the same code serves the op-by-op critic update on any device and the critic update
// captured as a CUDA graph. There is no second implementation: tests hold these against
// plain float64 loops (tests/rl/test_reference_values.cpp).
//
//  One-step soft TD: y = r + gamma alive (min_j Q'_j(s', a') - alpha log pi(a'|s')).
//  STEVE (Buckman et al. 2018) over horizons h = 0..H_c: candidate h rolls the model
//  h steps from s' (per member), adds the soft rewards, bootstraps with the target Qs,
//    T_h = r + sum_{i=1..h} gamma^i m_i (r_i - alpha log pi_i) + gamma^{h+1} m_{h+1} V'(s_{h+1}),
//  and the target is sum_h w_h mean_h with w_h proportional to 1 / (var_h + eps).
//
// STEVE works on whole horizons at once: candidate values of member m, row i sit at row
// m n + i of [M n, 1] columns, reshaped to [M, n] so that sums over members are sum_rows.
// The variance is shifted by the first candidate (member 0, twin 1), so identical
// candidates give exactly zero variance.
#pragma once
#include <vector>

#include "rl/critic.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl {

// One-step target, a constant [n, 1] on r's tape (built under NoGrad).
//  r, alive: [n, 1]; s_next: [n, obs]; next_eps: [n, act] (noise of a' ~ pi(s')); alpha: [1, 1].
template <class T>
Var<T> td_target_var(SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, Var<T> r, Var<T> alive, Var<T> s_next,
                     Var<T> next_eps, Var<T> alpha, double gamma);

// How a horizon's spread is measured.
//  members_and_twins (default): over every (member, twin Q_j) pair, so h = 0 has the
//    twin-Q spread as its variance; the mean uses min_j Q'_j per member.
//  authors_zero_h0: over members of min_j Q'_j only, as the authors' code; h = 0 is
//    the same for every member, its variance is 0 and it takes (almost) all the weight.
enum class SteveVariance { members_and_twins, authors_zero_h0 };

struct SteveOptions {
  int64_t horizon = 2;  // H_c: candidates h = 0..H_c
  double gamma = 0.99;
  double variance_eps = 1e-8;  // w_h ~ 1 / (var_h + eps)
  SteveVariance variance = SteveVariance::members_and_twins;
  ModelNoiseScale model_noise = ModelNoiseScale::std_dev;
  // Members whose paths make the candidates h >= 1, drawn anew for every update without
  // replacement (the authors: 4 of 8); 0 or the ensemble's size: every member.
  int64_t members = 0;
};

// Noise of one STEVE evaluation drawn on the host (the op-by-op update). a_1 at s' is
// shared by all members (h = 0 is then the one-step target); later actions and model
// steps are per member.
// M below is the number of members in use: options.members when it draws a subset.
template <class T>
struct SteveNoise {
  std::vector<T> next_eps;                 // [n, act]
  std::vector<std::vector<T>> action_eps;  // H_c x [M, n, act]: a_{i+1} at s_{i+1}
  std::vector<std::vector<T>> model_eps;   // H_c x [M, n, out]
  std::vector<int32_t> members;            // the subset drawn, ascending (empty: every member)
  static SteveNoise draw(const SteveOptions& options, int64_t n, const DynamicsModel<T>& model, int64_t act_dim,
                         Rng& rng);
};

// SteveNoise as tape nodes, with the same layout (the captured update draws them on the
// device with DeviceNoise).
template <class T>
struct SteveNoiseVars {
  Var<T> next_eps;                 // [n, act]
  std::vector<Var<T>> action_eps;  // H_c x [M n, act]
  std::vector<Var<T>> model_eps;   // H_c x [M, n, out]
  std::vector<int32_t> members;    // host: the members in use, ascending (empty: all)
  // Host noise copied onto `tape` (the op-by-op update; an upload, so not capturable).
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

// Inverse-variance combination of per-horizon means and variances (each H + 1 x [1, n]
// on one tape, variances >= 0: checked on cpu tapes, trusted on the device): w_h =
// (1 / (var_h + eps)) / sum_k (1 / (var_k + eps)), target [n, 1] = sum_h w_h mean_h.
// Fills `out.weights` and `out.target` from `out.means` and `out.variances`.
template <class T> void steve_combine_var(SteveTargetVars<T>& out, double variance_eps);

// STEVE targets on r's tape. The reward model's alive() must itself be free of host reads
// for the result to be capturable; its shape is checked here, its values (0 or 1) on cpu
// tapes only (checked_alive).
//  r, alive: [n, 1]; s_next: [n, obs]; alpha: [1, 1].
template <class T>
SteveTargetVars<T> steve_targets_var(SquashedGaussianPolicy<T>& policy, DynamicsModel<T>& model, TwinCritic<T>& critic,
                                     const RewardModel<T>& reward, Var<T> r, Var<T> alive, Var<T> s_next,
                                     Var<T> alpha, const SteveNoiseVars<T>& noise, const SteveOptions& options);

extern template struct SteveNoise<float>;
extern template struct SteveNoise<double>;
extern template struct SteveNoiseVars<float>;
extern template struct SteveNoiseVars<double>;

}  // namespace maac::rl
