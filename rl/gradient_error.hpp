// The gradient-error experiment (MAAC paper section 5.2, Fig 3): on the DoubleIntegrator
// with a linear-Gaussian policy u = K x + sigma eps, the MAAC objective's gradient
// w.r.t. K for H = 0, 1, ... against the exact dJ/dK of envs/analytic/linear_policy_return,
// with two estimators sharing one learned Q (fitted Q evaluation on real transitions):
//   true_dynamics: the H-step path through the true dynamics, then the learned Q;
//   learned_model: the same path through a learned ensemble (fit on the same transitions).
// What is compared (docs/experiments.md): with Q = Q^pi, the telescoping sum
//   dJ/dK = sum_j gamma^{t_j} E[ d/dK J_H(s_{t_j}) ],  t_j = j (H + 1) < T,
// J_H the MAAC objective of H model steps plus the terminal value (H + 1 actions of K),
// s_{t_j} the policy's visited states at those times, is exact for the discounted return
// over an unbounded episode; the estimate is that sum averaged over the estimation
// episodes, on the same scale as dJ/dK (the weights gamma^{t_j} / episodes). The reference is dJ/dK over the episode of T
// steps; the two differ by the discounted tail beyond T (reported as truncation_gap).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "envs/analytic/double_integrator.hpp"

namespace maac::rl {

struct GradientErrorOptions {
  envs::DoubleIntegratorParams env;       // T = env.max_episode_steps
  std::vector<double> gain{-0.5, -0.5};   // K [1, 2]: stable and away from the optimum
  double noise_std = 0.3;                 // sigma
  double gamma = 0.9;
  std::vector<int64_t> horizons{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  int64_t data_episodes = 50;             // real transitions: data_episodes * T
  int64_t estimate_episodes = 1000;       // episodes whose visited states start the paths
  int64_t estimate_groups = 10;           // those episodes in groups (one tape each): the Monte
                                          // Carlo standard error comes from the groups' spread
  int64_t terminal_samples = 5;           // K actions at s_H
  // The learned Q: fitted Q evaluation (rl/linear_policy_evaluation.hpp).
  std::vector<int64_t> critic_hidden{64, 64};
  int64_t td_steps = 5000;
  int64_t td_batch = 256;
  double critic_lr = 1e-3;
  // The learned ensemble (rl/dynamics_model.hpp, rl/dynamics_trainer.hpp).
  int64_t members = 5;
  std::vector<int64_t> model_hidden{64, 64};
  int64_t model_max_epochs = 100;
  // The ensemble fits on the first model_transitions of the real transitions (the Q always
  // on all of them); 0: all. A smaller model budget than the Q's: 5 .. data_episodes * T.
  int64_t model_transitions = 0;

  // Throws std::invalid_argument naming the first bad value.
  void check() const;
};

// One estimate against the exact gradient.
struct GradientComparison {
  double l1 = 0;        // sum_i |g_i - g*_i|, the paper's error
  double relative = 0;  // l1 / sum_i |g*_i|
  double cosine = 0;    // <g, g*> / (|g| |g*|)
};
GradientComparison compare_gradients(const std::vector<double>& estimate, const std::vector<double>& exact);

struct GradientErrorRow {
  std::string estimator;  // "true_dynamics" or "learned_model"
  int64_t horizon = 0;
  uint64_t seed = 0;
  std::vector<double> gradient;        // dJ/dK estimate, [act, obs] row-major
  std::vector<double> standard_error;  // its Monte Carlo standard error (over the estimate's groups)
  GradientComparison error;
};

struct GradientErrorSeed {
  std::vector<double> exact;  // dJ/dK over T steps
  double truncation_gap = 0;  // |dJ_inf/dK - dJ_T/dK|_1 / |dJ_T/dK|_1
  int64_t transitions = 0;        // real transitions (the Q's data)
  int64_t model_transitions = 0;  // the ensemble's share of them (the first ones)
  double td_loss = 0;                 // fit_policy_q's final TD loss
  double model_holdout_mse = 0;       // mean over members, raw s' - s units
  std::vector<GradientErrorRow> rows;  // per estimator x horizon
};

// One seed: collect data, fit Q and the ensemble, estimate for every horizon.
// progress (may be empty) receives one line per phase.
GradientErrorSeed run_gradient_error_seed(const GradientErrorOptions& options, uint64_t seed,
                                          const std::function<void(const std::string&)>& progress = {});

}  // namespace maac::rl
