// The learner of one run: policy, twin critic, entropy temperature and (for model-based
// algorithms) the dynamics ensemble, with their optimisers. One object serves MAAC,
// SAC, MBPO, the STEVE and SVG(1) baselines and the paper's ablations; AgentOptions says
// which.
#pragma once
#include <memory>

#include "autodiff/optim/adam.hpp"
#include "autodiff/optim/guarded_step.hpp"
#include "autodiff/safetensors.hpp"
#include "rl/captured_actor_update.hpp"
#include "rl/captured_critic_update.hpp"
#include "rl/critic.hpp"
#include "rl/critic_targets.hpp"
#include "rl/dynamics_trainer.hpp"
#include "rl/maac_objective.hpp"
#include "rl/policy.hpp"
#include "rl/replay_buffer.hpp"
#include "rl/reward_model.hpp"
#include "rl/svg_objective.hpp"
#include "rl/temperature.hpp"
#include "rl/value_function.hpp"

namespace maac::rl {

// MAAC: pathwise H-step actor through the model, STEVE or TD critic, model data.
// SAC: model-free. MBPO: model rollouts for data, SAC actor, TD critic.
// STEVE (Buckman et al. 2018): SAC actor on real data only, critic on real data with STEVE
//   targets through the fitted ensemble; no model data, no pathwise gradient.
// SVG(1) (Heess et al. 2015): a state value V by TD on real data; the actor's gradient
//   through one model step with noise inferred from the observed next state
//   (rl/svg_objective.hpp). The twin critic is kept but unused.
enum class Algorithm { maac, sac, mbpo, steve, svg1 };
enum class CriticTarget { td, steve };

struct AgentOptions {
  Algorithm algorithm = Algorithm::maac;
  double gamma = 0.99;
  PolicyOptions policy;
  CriticOptions critic;
  DynamicsModelOptions model;
  DynamicsTrainingOptions model_training;
  MaacObjectiveOptions objective;  // MAAC's actor; SAC and MBPO use H = 0
  CriticTarget critic_target = CriticTarget::steve;
  SteveOptions steve;
  double policy_lr = 3e-4;
  double critic_lr = 3e-4;
  double alpha_lr = 3e-4;
  double initial_alpha = 1.0;
  bool learn_alpha = true;
  bool entropy = true;           // false: alpha = 0 throughout (the no-entropy ablation)
  double target_entropy_scale = 1.0;  // target entropy = -scale * |A|
  double tau = 5e-3;
  double grad_clip = 0.0;        // global L2 norm; 0 disables clipping
  // Where the networks live and the updates, rollouts and model fits run. The entropy
  // temperature (one scalar) stays on the cpu. cuda throws at construction without a GPU.
  Device device = Device::cpu;
  // On cuda: run the MAAC actor update and the critic update as CUDA graphs where the
  // settings allow (docs/cuda.md), else op by op. `batch` is the update batch they are
  // captured for (train.batch); other sizes run op by op.
  bool cuda_graphs = true;
  int64_t batch = 256;
};

// What one update did. The critic step comes first and decides: a critic loss or
// gradient that is not finite skips the whole update, so nothing in the agent changes (no
// network, optimiser, temperature or target step; only the random-number counters have
// moved on). A non-finite actor loss or gradient skips the actor and the temperature;
// the critic's step stands, and its targets follow it.
struct UpdateStats {
  double critic_loss = NAN, actor_loss = NAN, alpha = NAN;
  // Diagnostics of the actor step (NaN where not measured): the global L2 norm of the
  // policy gradient before clipping, and for MAAC the share of the objective's magnitude
  // that comes from the terminal value, |gamma^H Q| / (|sum of rewards| + |gamma^H Q|).
  double actor_grad_norm = NAN, terminal_share = NAN;
  bool critic_skipped = false;  // nothing changed
  bool actor_skipped = false;   // policy, its optimiser and the temperature unchanged
  bool skipped() const { return critic_skipped || actor_skipped; }
};

// One model fit (DynamicsTrainingReport, condensed). Per-member vectors have M entries.
struct ModelFitStats {
  double holdout_nll = NAN;  // mean over the sampling members (the elites, else all)
  double holdout_mse = NAN;  // the same, raw target units
  int64_t epochs = 0;        // epochs run
  bool early_stopped = false;
  int64_t train_rows = 0, holdout_rows = 0;
  std::vector<int64_t> epochs_kept;  // per member: the epoch of this fit whose weights it kept
  std::vector<double> member_holdout_nll, member_holdout_mse;
  int64_t members_improved = 0;  // members whose held-out NLL beats their pre-fit weights'
};

class Agent {
 public:
  Agent(int64_t obs_dim, int64_t act_dim, AgentOptions options, std::unique_ptr<RewardModel<float>> reward,
        uint64_t seed);
  ~Agent();

  // Fits the dynamics ensemble (every algorithm but SAC).
  bool uses_model() const { return options_.algorithm != Algorithm::sac; }
  // Rolls the ensemble out into model data for the batches (MAAC, MBPO).
  bool rolls_out_model() const {
    return options_.algorithm == Algorithm::maac || options_.algorithm == Algorithm::mbpo;
  }
  // The critic learns from STEVE targets (algo steve always; MAAC with critic.target = steve).
  bool steve_critic() const {
    return options_.algorithm == Algorithm::steve ||
           (options_.algorithm == Algorithm::maac && options_.critic_target == CriticTarget::steve);
  }
  const AgentOptions& options() const { return options_; }
  int64_t obs_dim() const { return obs_; }
  int64_t act_dim() const { return act_; }
  Device device() const { return options_.device; }
  // Which updates run as captured CUDA graphs, and why the others do not (for the log).
  const std::string& graph_summary() const { return graph_summary_; }
  double alpha() const;

  // The networks, for test-time planning (rl/mpc.hpp). model() is null without a model (SAC).
  SquashedGaussianPolicy<float>& policy() { return policy_; }
  TwinCritic<float>& critic() { return critic_; }
  DynamicsModel<float>* model() { return model_.get(); }
  ValueFunction<float>* value() { return value_.get(); }  // SVG(1)'s V; null for the others
  const RewardModel<float>& reward_model() const { return *reward_; }

  // obs [n, obs] -> actions [n, act] in (-1, 1): sampled, or tanh(mu) when deterministic.
  void act(const float* obs, int64_t n, bool deterministic, Rng& rng, float* actions);

  // Fits the ensemble on every real transition (model-based algorithms only). First draws
  // the split role of every transition that has none yet (ReplayBuffer::assign_split),
  // which is why `real` is not const; held-out transitions are never trained on.
  ModelFitStats fit_model(ReplayBuffer& real, Rng& rng);

  // The ensemble's open-loop k-step prediction error, k = 1..horizon, on the newest real
  // episode (at most 1000 transitions of it; rl/model_error.hpp says how it is measured).
  std::vector<double> model_error_by_horizon(const ReplayBuffer& real, int64_t horizon);

  // From `starts` real states, chained `length`-step model rollouts under the current
  // policy; every imagined transition goes into model_buffer. Rows stop at termination.
  void rollout(const ReplayBuffer& real, ReplayBuffer& model_buffer, int64_t starts, int64_t length, Rng& rng);

  // One critic update, one actor update, one temperature update and the target-network
  // update, all on this batch (its observations are the actor's start states).
  UpdateStats update(const TransitionBatch& batch, Rng& rng);

  // Every parameter, optimiser state and normaliser, under fixed names.
  void save(Safetensors& st) const;
  void load(const Safetensors& st);

 private:
  void build_graphs(uint64_t seed);
  // Every piece of checkpoint state, by name (agent_state.cpp): save and load walk it.
  template <class Visitor> void visit_state(Visitor& v);
  double critic_step(const TransitionBatch& b, Rng& rng, bool* ok, bool* targets_updated);
  double actor_step(const TransitionBatch& b, Rng& rng, bool* ok, UpdateStats& stats);
  double value_step(const TransitionBatch& b, Rng& rng, bool* ok);  // SVG(1): V's TD step

  int64_t obs_, act_;
  AgentOptions options_;
  std::unique_ptr<RewardModel<float>> reward_;
  Rng init_rng_;
  SquashedGaussianPolicy<float> policy_;
  TwinCritic<float> critic_;
  EntropyTemperature<float> temperature_;
  std::unique_ptr<DynamicsModel<float>> model_;
  std::unique_ptr<DynamicsTrainer<float>> model_trainer_;
  // SVG(1) only, built after everything else so other algorithms draw the same initial
  // weights as before it existed.
  std::unique_ptr<ValueFunction<float>> value_;
  std::unique_ptr<Adam<float>> value_adam_;
  std::unique_ptr<GuardedStep<float>> value_guarded_step_;
  Adam<float> policy_adam_;
  Adam<float> critic_adam_;
  // The op-by-op updates' clip, finite check and step (decided on the host); the graphs
  // own the same sequence decided on the device.
  GuardedStep<float> policy_guarded_step_;
  GuardedStep<float> critic_guarded_step_;
  Tape<float> tape_;
  std::unique_ptr<CapturedActorUpdate> actor_graph_;
  std::unique_ptr<CapturedCriticUpdate> critic_graph_;
  std::string graph_summary_;
};

}  // namespace maac::rl
