// Shared by the env tests: uniform random rollouts that record (s, a, s', result).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.hpp"
#include "envs/registry.hpp"
#include "envs/rng.hpp"

namespace maac::envs::test {

struct Transition {
  std::vector<double> s, a, s_next;
  StepResult result;
};

// Uniform actions in [low, high] * action_scale; resets with seed + episode index after
// an episode ends, until `steps` transitions are recorded.
inline std::vector<Transition> random_rollout(Env& env, uint64_t seed, int steps, double action_scale = 1.0) {
  Rng rng(seed ^ 0xabcdef);
  std::vector<Transition> out;
  uint64_t episode = 0;
  std::vector<double> s = env.reset(seed);
  while (static_cast<int>(out.size()) < steps) {
    Transition t;
    t.s = s;
    for (int i = 0; i < env.act_dim(); ++i) {
      double lo = env.spec().action_low[i], hi = env.spec().action_high[i];
      double mid = 0.5 * (lo + hi), half = 0.5 * (hi - lo) * action_scale;
      t.a.push_back(rng.uniform(mid - half, mid + half));
    }
    t.result = env.step(t.a);
    t.s_next = t.result.observation;
    s = t.s_next;
    bool ended = t.result.terminated || t.result.truncated;
    out.push_back(std::move(t));
    if (ended) s = env.reset(seed + ++episode);
  }
  return out;
}

// EnvOptions with one field set (designated initializers warn under -Wextra).
inline EnvOptions with_asset_dir(std::filesystem::path dir) {
  EnvOptions o;
  o.asset_dir = std::move(dir);
  return o;
}
inline EnvOptions with_contact_forces(bool on = true) {
  EnvOptions o;
  o.ant_contact_forces = on;
  return o;
}
inline EnvOptions with_max_steps(int steps) {
  EnvOptions o;
  o.max_episode_steps = steps;
  return o;
}

inline const std::vector<std::string>& mujoco_env_names() {
  static const std::vector<std::string> names{"HalfCheetah", "Hopper", "Walker2d", "Ant", "InvertedPendulum"};
  return names;
}

}  // namespace maac::envs::test
