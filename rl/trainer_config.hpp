// Every setting of a training run: the schema, each key declared once with its type,
// range, default (the paper's), doc and the field of AgentOptions or TrainerOptions it
// fills; reading a resolved config into those options walks the same declarations.
#pragma once
#include <string>

#include "config/bound_schema.hpp"
#include "config/config.hpp"
#include "envs/env.hpp"
#include "rl/agent.hpp"

namespace maac::rl {

using config::Config;
using config::ConfigEntry;
using config::ConfigSchema;
using config::ConfigValue;

// The keys that code outside the reader names (the command line sets them; the banner,
// --resume and maac eval read them). The schema declares them through these names.
namespace key {
inline constexpr const char* algo = "algo";
inline constexpr const char* ablation = "ablation";
inline constexpr const char* seed = "seed";
inline constexpr const char* env_name = "env.name";
inline constexpr const char* total_steps = "run.total_steps";
inline constexpr const char* device = "run.device";
}  // namespace key

// The loop's settings. Only the config fills them: the defaults live in the schema
// (trainer_schema()), not here; a default-constructed TrainerOptions is all zeros.
struct TrainerOptions {
  std::string env;
  int64_t max_episode_steps = 0;    // 0: the env's own time limit
  uint64_t seed = 0;
  int64_t total_steps = 0;
  int64_t initial_random_steps = 0;
  int64_t steps_per_iteration = 0;
  int64_t eval_every = 0;
  int64_t eval_episodes = 0;
  bool eval_video = false;  // film evaluation episode 0 to <run>/videos/eval_<env steps>.mp4
  int64_t checkpoint_every = 0;      // 0: only at the end
  int64_t max_nonfinite_updates = 0;
  double stop_at_return = 0;         // stop once an evaluation reaches it
  int threads = 0;                   // 0: all cores
  int64_t updates_per_iteration = 0;
  int64_t update_blocks = 0;         // model data refreshed this many times per iteration
  int64_t batch = 0;
  double real_share = 0;             // share of each batch drawn from real data
  int64_t rollout_starts = 0;        // start states per block
  std::vector<double> rollout_schedule;  // [from_iter, to_iter, from_len, to_len]
  int64_t model_buffer = 0;
  int64_t real_buffer = 0;
  // How to make this run's environments (training and evaluation alike).
  envs::EnvOptions env_options() const;
  // Rollout length at an iteration, by the schedule (linear in between, rounded down).
  int64_t rollout_length(int64_t iteration) const;
};

// Everything a resolved config sets.
struct TrainingOptions {
  AgentOptions agent;
  TrainerOptions trainer;
};

// Every key, bound to its field, with the paper's defaults.
const config::BoundSchema<TrainingOptions>& trainer_bindings();
// The schema of every key (trainer_bindings().schema()).
const ConfigSchema& trainer_schema();
// Reads a resolved config (after the `ablation` key is applied).
TrainingOptions training_options(const Config& c);
AgentOptions agent_options(const Config& c);
TrainerOptions trainer_options(const Config& c);
// `ablation = h0 | no_steve | single_sample | real_only | no_entropy` rewrites the keys it
// stands for (those declared with set_under it); returns what it changed, for the log.
std::string apply_ablation(Config& c);

}  // namespace maac::rl
