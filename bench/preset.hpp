// A training preset (configs/*.toml) read through the config module exactly as `maac
// train` reads it (schema defaults <- TOML file <- key=value overrides, then the
// ablation), and the agent and environment the trainer builds from it (rl/trainer.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "envs/registry.hpp"
#include "rl/agent.hpp"
#include "rl/env_reward.hpp"
#include "rl/trainer_config.hpp"

#ifndef MAAC_SOURCE_DIR
#error "MAAC_SOURCE_DIR must name the source tree (bench/CMakeLists.txt sets it)"
#endif

namespace maac::bench {

inline std::string default_preset() { return std::string(MAAC_SOURCE_DIR) + "/configs/half_cheetah.toml"; }

// Returns the resolved config of `path` with `overrides` ("key=value") on top.
inline rl::Config load_preset(const std::string& path, const std::vector<std::string>& overrides = {}) {
  rl::Config config(rl::trainer_schema());
  config.merge_toml_file(path);
  for (const std::string& o : overrides) config.set(o);
  rl::apply_ablation(config);
  return config;
}

// The environment and agent of a run, built as Trainer's constructor builds them.
struct PresetRun {
  rl::TrainingOptions options;
  std::unique_ptr<envs::Env> env;
  std::unique_ptr<rl::Agent> agent;
  explicit PresetRun(const rl::Config& config)
      : options(rl::training_options(config)), env(envs::make_env(options.trainer.env, options.trainer.env_options())) {
    agent = std::make_unique<rl::Agent>(env->obs_dim(), env->act_dim(), options.agent,
                                        std::make_unique<rl::EnvRewardModel>(*env), options.trainer.seed);
  }
};

}  // namespace maac::bench
