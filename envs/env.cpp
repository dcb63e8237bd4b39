#include "envs/env.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace maac::envs {

double StepResult::term(std::string_view name) const {
  for (const RewardTerm& t : reward_terms)
    if (t.name == name) return t.value;
  throw std::out_of_range(fmt::format("StepResult::term: no reward term named '{}'", name));
}

EnvSpec make_spec(std::string name, std::string reference, int obs_dim, int act_dim, int default_max_steps,
                  const EnvOptions& options, std::vector<std::string> reward_term_names) {
  EnvSpec s;
  s.name = std::move(name);
  s.reference = std::move(reference);
  s.obs_dim = obs_dim;
  s.act_dim = act_dim;
  s.max_episode_steps = options.max_episode_steps.value_or(default_max_steps);
  s.reward_term_names = std::move(reward_term_names);
  return s;
}

Env::Env(EnvSpec spec) : spec_(std::move(spec)) {
  if (spec_.obs_dim <= 0 || spec_.act_dim <= 0)
    throw std::invalid_argument(fmt::format("Env '{}': obs_dim {} and act_dim {}, expected both > 0", spec_.name,
                                            spec_.obs_dim, spec_.act_dim));
  if (static_cast<int>(spec_.action_low.size()) != spec_.act_dim ||
      static_cast<int>(spec_.action_high.size()) != spec_.act_dim)
    throw std::invalid_argument(fmt::format("Env '{}': action bounds of sizes {} and {}, expected {}", spec_.name,
                                            spec_.action_low.size(), spec_.action_high.size(), spec_.act_dim));
  if (spec_.max_episode_steps <= 0)
    throw std::invalid_argument(
        fmt::format("Env '{}': max_episode_steps {}, expected > 0", spec_.name, spec_.max_episode_steps));
  clipped_.resize(static_cast<size_t>(spec_.act_dim));
}

std::vector<double> Env::reset(uint64_t seed) {
  rng_.seed_with(seed);
  std::vector<double> obs(static_cast<size_t>(spec_.obs_dim));
  running_ = false;  // stays false if reset_state throws
  reset_state(rng_, obs);
  steps_ = 0;
  running_ = true;
  return obs;
}

StepResult Env::step(std::span<const double> action) {
  StepResult out;
  step(action, out);
  return out;
}

void Env::step(std::span<const double> action, StepResult& out) {
  if (action.size() != static_cast<size_t>(spec_.act_dim))
    throw std::invalid_argument(fmt::format("{}::step: action has {} values, expected {}", spec_.name,
                                            action.size(), spec_.act_dim));
  for (size_t i = 0; i < action.size(); ++i)
    if (!std::isfinite(action[i]))
      throw std::invalid_argument(fmt::format("{}::step: action[{}] = {} is not finite, expected a finite value "
                                              "(action size {})",
                                              spec_.name, i, action[i], spec_.act_dim));
  if (!running_)
    throw std::logic_error(fmt::format("{}::step: no episode is running (step {}); call reset(seed) first",
                                       spec_.name, steps_));
  // Clip into the box: Gymnasium leaves this to MuJoCo's ctrlrange clamp, we do it
  // up front so that the reward's control cost sees the action actually applied.
  for (size_t i = 0; i < action.size(); ++i) clipped_[i] = std::clamp(action[i], spec_.action_low[i], spec_.action_high[i]);

  out.observation.resize(static_cast<size_t>(spec_.obs_dim));
  out.terminated = out.truncated = out.unstable = false;
  advance(clipped_, out);
  ++steps_;
  if (out.unstable) out.terminated = true;
  // TimeLimit semantics: truncated at the limit regardless of terminated (as Gymnasium).
  out.truncated = steps_ >= spec_.max_episode_steps;
  if (out.terminated || out.truncated) running_ = false;
}

}  // namespace maac::envs
