// The MAAC policy objective (paper 4.1, 4.3): the pathwise return of H model steps,
//   J = sum_{t<H} gamma^t m_t (r_t - alpha log pi(a_t|s_t))
//       + gamma^H m_H mean_k [min_j Q_j(s_H, a_H^k) - alpha log pi(a_H^k|s_H)],
// m_t the product of alive masks before step t, and loss = -mean over rows of J.
// The gradient reaches the policy only: model and critic parameters are read frozen.
#pragma once
#include <vector>

#include "rl/critic.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl {

// Where the entropy bonus enters: at every action along the path and the terminal
// samples (default), or at the first action only (the authors' code).
enum class EntropyBonus { along_path, first_action };
// Which member predicts a row: a fresh draw every step, or one draw per trajectory.
enum class MemberChoice { per_step, per_trajectory };

struct MaacObjectiveOptions {
  int64_t horizon = 4;            // H model steps
  int64_t terminal_samples = 5;   // K actions at s_H
  int64_t samples_per_state = 1;  // P paths per start state
  double gamma = 0.99;
  EntropyBonus entropy = EntropyBonus::along_path;
  MemberChoice member_choice = MemberChoice::per_step;
  EnsembleEvaluation evaluation = EnsembleEvaluation::routed;
  ModelNoiseScale model_noise = ModelNoiseScale::std_dev;
};

// All randomness of one objective evaluation, drawn up-front (DESIGN decision 4).
// Rows: N = P n; path p of start state i is row p n + i.
template <class T>
struct MaacNoise {
  int64_t rows = 0;
  std::vector<std::vector<T>> action_eps;     // H x [N, act]
  std::vector<std::vector<T>> model_eps;      // H x [N, model out]
  std::vector<std::vector<int32_t>> members;  // H x [N], from the model's sampling members
  std::vector<T> terminal_eps;                // [K N, act]; sample k is rows k N .. (k+1) N

  static MaacNoise draw(const MaacObjectiveOptions& options, int64_t n_start, const DynamicsModel<T>& model,
                        int64_t act_dim, Rng& rng);
};

template <class T>
struct MaacObjective {
  Var<T> loss;     // [1, 1] = -mean(J)
  Var<T> returns;  // J: [N, 1]
};

// s0: [n, obs] start states (constant). alpha: the entropy temperature's current value.
template <class T>
MaacObjective<T> maac_policy_objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy,
                                       DynamicsModel<T>& model, TwinCritic<T>& critic, const RewardModel<T>& reward,
                                       double alpha, const MaacNoise<T>& noise, const MaacObjectiveOptions& options);

// The SAC actor loss mean(alpha log pi(a|s) - min_j Q_j(s, a)) with a ~ pi(s; eps):
// what the MAAC objective reduces to at H = 0, K = 1, P = 1.
template <class T>
Var<T> sac_actor_loss(Tape<T>& tape, Var<T> s, SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, double alpha,
                      Var<T> eps);

extern template struct MaacNoise<float>;
extern template struct MaacNoise<double>;

}  // namespace maac::rl
