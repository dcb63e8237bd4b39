// Model-predictive control at test time (MAAC paper section 5.4, Table 1): the cross-
// entropy method over H-step action sequences, initialised from the policy, scored by the
// model's rewards plus gamma^H min_j Q_j(s_H, pi(s_H)); the first action of the best
// sequence is taken, and the planning is repeated at every step. docs/experiments.md
// says how to run it; docs/maac.md ("MPC at test time") gives the choices and why.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "autodiff/random.hpp"
#include "rl/critic.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl {

class Agent;

struct MpcOptions {
  int64_t candidates = 100;     // action sequences per state and iteration (candidate 0: the policy's)
  int64_t horizon = 5;          // H
  int64_t iterations = 5;       // CEM iterations
  double elite_fraction = 0.1;  // top share of the candidates that refits the sampling distribution
  double momentum = 0.1;        // weight of the previous mean and std in each refit
  double initial_std = 0.5;     // per action dimension, in policy units (actions in [-1, 1])
  double gamma = 0.99;          // discount of the scores (the agent's train.gamma)
  uint64_t seed = 0;            // the planner's own random stream (members, candidate noise)
};
// Throws std::invalid_argument naming the first bad value and what was expected.
void check_mpc_options(const MpcOptions& o);
// round(elite_fraction * candidates), at least 1.
int64_t mpc_elite_count(const MpcOptions& o);

// The planner's dynamics: next states for a batch of rows, as tape ops (no gradient is
// asked of them). Actions are the agent's, in [-1, 1]. `member_of_row` holds one entry per
// row from members(); a model without members (the true dynamics in a test) ignores it.
class PlanDynamics {
 public:
  virtual ~PlanDynamics() = default;
  // The members a candidate may be assigned to (the ensemble's elites, else all).
  virtual std::vector<int32_t> members() const { return {0}; }
  // s: [n, obs], a: [n, act] -> s': [n, obs]
  virtual Var<float> step(Tape<float>& tape, Var<float> s, Var<float> a, const std::vector<int32_t>& member_of_row) = 0;
};

// The learned ensemble's mean prediction (zero noise), routed: row i through member
// member_of_row[i] only (DynamicsModel::next_state_rows).
class EnsembleMeanDynamics : public PlanDynamics {
 public:
  explicit EnsembleMeanDynamics(DynamicsModel<float>& model) : model_(model) {}
  std::vector<int32_t> members() const override { return model_.sampling_members(); }
  Var<float> step(Tape<float>& tape, Var<float> s, Var<float> a, const std::vector<int32_t>& member_of_row) override;

 private:
  DynamicsModel<float>& model_;
};

// What the last plan() saw, for tests and diagnostics. States are indexed i < n.
struct MpcPlanRecord {
  int64_t states = 0;
  std::vector<float> policy_sequence;  // [n, H, act]: candidate 0 of every iteration
  std::vector<double> policy_score;    // [n]: candidate 0's score
  std::vector<double> best_score;      // [n]: the score of the sequence whose first action was taken
  std::vector<int32_t> members;        // [C, n]: the member of candidate c of state i at c n + i
  std::vector<float> first_candidates; // [C, n, H, act]: the first iteration's candidates
};

class MpcPlanner {
 public:
  // Everything is borrowed and must outlive the planner. The policy, the critic and the
  // dynamics live on the same device; the planner's tape is made there.
  MpcPlanner(MpcOptions options, SquashedGaussianPolicy<float>& policy, TwinCritic<float>& critic,
             const RewardModel<float>& reward, PlanDynamics& dynamics);

  // One plan per state: obs [n, obs] -> actions [n, act] in [-1, 1], the first action of
  // each state's best-scoring candidate over all iterations. The n problems share each
  // batched pass (C n rows) but are otherwise independent.
  void plan(const float* obs, int64_t n, float* actions);

  const MpcOptions& options() const { return options_; }
  const MpcPlanRecord& last_plan() const { return record_; }

 private:
  // Scores of the sequences `actions` [H, rows, act] from the states s0 [rows, obs].
  std::vector<double> score(const std::vector<float>& s0, const std::vector<float>& actions, int64_t rows,
                            const std::vector<int32_t>& member_of_row);
  // The deterministic policy rolled through the dynamics from s0 [n, obs]: [H, n, act].
  std::vector<float> policy_rollout(const std::vector<float>& s0, int64_t n, const std::vector<int32_t>& member_of_row);

  MpcOptions options_;
  SquashedGaussianPolicy<float>& policy_;
  TwinCritic<float>& critic_;
  const RewardModel<float>& reward_;
  PlanDynamics& dynamics_;
  int64_t obs_, act_;
  Rng rng_;
  Tape<float> tape_;
  MpcPlanRecord record_;
};

// A planner on a trained agent: its policy, online critic, reward model and (mean,
// routed) ensemble, with gamma from the agent. Throws for an agent without a model (SAC).
class AgentPlanner {
 public:
  AgentPlanner(Agent& agent, MpcOptions options);
  MpcPlanner& planner() { return *planner_; }

 private:
  std::unique_ptr<EnsembleMeanDynamics> dynamics_;
  std::unique_ptr<MpcPlanner> planner_;
};

}  // namespace maac::rl
