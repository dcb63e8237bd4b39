// Evaluation of a policy with its deterministic action tanh(mu), on fresh environment
// instances with fixed seeds (nothing of a training run is touched), and loading a
// trained agent from a checkpoint for `maac eval`.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "envs/env.hpp"
#include "rl/agent.hpp"
#include "rl/trainer_config.hpp"  // Config

namespace maac::rl {

// The reset seed of episode `episode` of an evaluation seeded `seed` (maac eval, maac video).
uint64_t evaluation_episode_seed(uint64_t seed, int episode);

// Returns of `episodes` episodes stepped together; seeds derive from `seed`.
std::vector<double> evaluate_policy(Agent& agent, const std::string& env_name, const envs::EnvOptions& env_options, int episodes,
                                    uint64_t seed);

struct LoadedAgent {
  std::unique_ptr<Config> config;
  std::unique_ptr<envs::Env> env;
  std::unique_ptr<Agent> agent;
};
// Builds the agent a checkpoint was written by (from its saved config) and loads it.
LoadedAgent load_agent(const std::string& checkpoint_path, Device device = Device::cpu);

}  // namespace maac::rl
