// The MAAC policy objective (paper 4.1, 4.3): the pathwise return of H model steps,
//   J = sum_{t<H} gamma^t m_t (r_t - alpha log pi(a_t|s_t))
//       + gamma^H m_H mean_k [min_j Q_j(s_H, a_H^k) - alpha log pi(a_H^k|s_H)],
// m_t the product of alive masks before step t (alive probabilities with
// termination = smooth), and loss = -mean over rows of J.
// The gradient reaches the policy only: model and critic parameters are read frozen.
#pragma once
#include <vector>

#include "autodiff/device_noise.hpp"
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
  Termination termination = Termination::smooth;  // m_t: smooth alive probabilities (Hopper study, docs/training.md), or 0/1 masks
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

// The same randomness as tape nodes and member ids in the tape's device memory (host
// memory on a cpu tape): what an update captured as a CUDA graph uses, since it can
// neither upload host vectors nor read ids on the host.
template <class T>
struct MaacNoiseVars {
  int64_t rows = 0;
  std::vector<Var<T>> action_eps;       // H x constant [N, act]
  std::vector<Var<T>> model_eps;        // H x constant [N, model out]
  std::vector<const int32_t*> members;  // H x [N] ids; per_trajectory repeats step 0's pointer
  Var<T> terminal_eps;                  // constant [K N, act]

  // Host noise copied onto `tape` (constants and tape.upload_indices): the same numbers
  // as `noise`, for tests that compare devices and for the host entry point below.
  static MaacNoiseVars from_host(Tape<T>& tape, const MaacNoise<T>& noise, int64_t act_dim, int64_t model_out_dim);
  // Drawn on a cuda tape by `gen` (fresh numbers on every graph replay). Members come
  // uniformly from `pool` (pool_size ids in device memory, e.g. the model's sampling
  // members), once per step or, for per_trajectory, once at t = 0.
  static MaacNoiseVars draw(Tape<T>& tape, DeviceNoise& gen, const MaacObjectiveOptions& options, int64_t n_start,
                            int64_t act_dim, int64_t model_out_dim, const int32_t* pool, int64_t pool_size);
};

template <class T>
struct MaacObjective {
  Var<T> loss;      // [1, 1] = -mean(J)
  Var<T> returns;   // J: [N, 1]
  Var<T> terminal;  // J's terminal-value term gamma^H (min Q ...): [N, 1] (diagnostics)
};

// The share of J's magnitude carried by its terminal value, sum |terminal| /
// (sum |J - terminal| + sum |terminal|) over the rows (NaN when both sums are 0): near 1,
// the actor is mostly taught by the critic; near 0, by the model's rewards.
template <class T>
double terminal_share(const MaacObjective<T>& objective);

// s0: [n, obs] start states (constant). alpha: the entropy temperature's current value.
template <class T>
MaacObjective<T> maac_policy_objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy,
                                       DynamicsModel<T>& model, TwinCritic<T>& critic, const RewardModel<T>& reward,
                                       double alpha, const MaacNoise<T>& noise, const MaacObjectiveOptions& options);

// Graph mode: the same objective with the noise as nodes, alpha a constant [1, 1] node
// (so a replay reads the current value from device memory), and the ensemble evaluated
// with all members, each row keeping its own member's output (select_members): nothing is
// read from or uploaded by the host, so on a cuda tape it can be captured in a CUDA graph
// when the reward model is capturable(). Requires options.evaluation == all_then_select
// (routed evaluation groups rows by member on the host); throws naming it otherwise.
template <class T>
MaacObjective<T> maac_policy_objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy,
                                       DynamicsModel<T>& model, TwinCritic<T>& critic, const RewardModel<T>& reward,
                                       Var<T> alpha, const MaacNoiseVars<T>& noise, const MaacObjectiveOptions& options);

// The SAC actor loss mean(alpha log pi(a|s) - min_j Q_j(s, a)) with a ~ pi(s; eps):
// what the MAAC objective reduces to at H = 0, K = 1, P = 1.
template <class T>
Var<T> sac_actor_loss(Tape<T>& tape, Var<T> s, SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, double alpha,
                      Var<T> eps);

extern template struct MaacNoise<float>;
extern template struct MaacNoise<double>;
extern template struct MaacNoiseVars<float>;
extern template struct MaacNoiseVars<double>;

}  // namespace maac::rl
