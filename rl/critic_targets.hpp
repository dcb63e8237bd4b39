// Critic targets, computed without gradient.
//  One-step soft TD: y = r + gamma alive (min_j Q'_j(s', a') - alpha log pi(a'|s')).
//  STEVE (Buckman et al. 2018) over horizons h = 0..H_c: candidate h rolls the model
//  h steps from s' (per member), adds the soft rewards, bootstraps with the target Qs,
//    T_h = r + sum_{i=1..h} gamma^i m_i (r_i - alpha log pi_i) + gamma^{h+1} m_{h+1} V'(s_{h+1}),
//  and the target is sum_h w_h mean_h with w_h proportional to 1 / (var_h + eps).
#pragma once
#include <vector>

#include "rl/critic.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl {

// One-step target. r, alive: [n]; s_next: [n, obs]; eps: [n, act] (noise of a' ~ pi(s')).
template <class T>
std::vector<T> td_target(SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, const T* r, const T* alive,
                         const T* s_next, const T* eps, int64_t n, double alpha, double gamma);

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
};

// Noise of one STEVE evaluation. a_1 at s' is shared by all members (h = 0 is then the
// one-step target); later actions and model steps are per member.
template <class T>
struct SteveNoise {
  std::vector<T> next_eps;                 // [n, act]
  std::vector<std::vector<T>> action_eps;  // H_c x [M, n, act]: a_{i+1} at s_{i+1}
  std::vector<std::vector<T>> model_eps;   // H_c x [M, n, out]
  static SteveNoise draw(const SteveOptions& options, int64_t n, const DynamicsModel<T>& model, int64_t act_dim,
                         Rng& rng);
};

struct SteveTargets {
  std::vector<double> target;     // [n]
  std::vector<double> means;      // [(H_c + 1) n], horizon-major
  std::vector<double> variances;  // [(H_c + 1) n]
  std::vector<double> weights;    // [(H_c + 1) n], summing to 1 per row
};

// Inverse-variance combination of per-horizon means and variances ([(H+1) n] each).
SteveTargets steve_combine(std::vector<double> means, std::vector<double> variances, int64_t n, double variance_eps);

// STEVE targets for transitions (s, a, r, s', alive): r, alive [n], s_next [n, obs].
template <class T>
SteveTargets steve_targets(SquashedGaussianPolicy<T>& policy, DynamicsModel<T>& model, TwinCritic<T>& critic,
                           const RewardModel<T>& reward, const T* r, const T* alive, const T* s_next, int64_t n,
                           double alpha, const SteveNoise<T>& noise, const SteveOptions& options);

extern template struct SteveNoise<float>;
extern template struct SteveNoise<double>;

}  // namespace maac::rl
