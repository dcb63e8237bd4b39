// Every setting of a training run: the schema (keys, types, ranges, docs, defaults that
// follow the paper) and its translation into AgentOptions and TrainerOptions.
#pragma once
#include <string>

#include "envs/env.hpp"
#include "rl/agent.hpp"
#include "rl/config.hpp"

namespace maac::rl {

struct TrainerOptions {
  std::string env = "InvertedPendulum";
  int64_t max_episode_steps = 0;    // 0: the env's own time limit
  uint64_t seed = 0;
  int64_t total_steps = 100000;
  int64_t initial_random_steps = 5000;
  int64_t steps_per_iteration = 1000;
  int64_t eval_every = 5000;
  int64_t eval_episodes = 5;
  int64_t checkpoint_every = 10000;  // 0: only at the end
  int64_t max_nonfinite_updates = 100;
  double stop_at_return = 1e30;      // stop once an evaluation reaches it
  int threads = 0;                   // 0: all cores
  int64_t updates_per_iteration = 8000;
  int64_t update_blocks = 4;         // model data refreshed this many times per iteration
  int64_t batch = 256;
  double real_share = 0.05;          // share of each batch drawn from real data
  int64_t rollout_starts = 100000;   // start states per block
  std::vector<double> rollout_schedule{20, 100, 1, 1};  // [from_iter, to_iter, from_len, to_len]
  int64_t model_buffer = 2000000;
  int64_t real_buffer = 1000000;
  // How to make this run's environments (training and evaluation alike).
  envs::EnvOptions env_options() const;
  // Rollout length at an iteration, by the schedule (linear in between, rounded down).
  int64_t rollout_length(int64_t iteration) const;
};

// The schema of every key, with the paper's defaults.
const ConfigSchema& trainer_schema();
// Reads a resolved config (after the `ablation` key is applied).
AgentOptions agent_options(const Config& c);
TrainerOptions trainer_options(const Config& c);
// `ablation = h0 | no_steve | single_sample | real_only | no_entropy` rewrites the keys it
// stands for; returns what it changed, for the log.
std::string apply_ablation(Config& c);

}  // namespace maac::rl
