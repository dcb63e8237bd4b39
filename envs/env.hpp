// The environment interface for continuous control (Gymnasium-style reset/step).
// The base class owns what every env shares: action checks and clipping, the step
// counter and the time limit, so that each env only writes its physics and reward.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envs/rng.hpp"

namespace maac::envs {

// One named part of the reward; the reward is the sum of its terms.
// Names are string literals owned by the env (no allocation per step).
struct RewardTerm {
  std::string_view name;
  double value = 0.0;
};

struct StepResult {
  std::vector<double> observation;  // s' (double, like Gymnasium's float64 observations)
  double reward = 0.0;
  bool terminated = false;  // the MDP ended (unhealthy, unstable): do not bootstrap
  bool truncated = false;   // the time limit was reached: bootstrap
  bool unstable = false;    // the simulator diverged; implies terminated
  std::vector<RewardTerm> reward_terms;

  // The value of a named term; throws std::out_of_range naming the term if absent.
  double term(std::string_view name) const;
};

struct EnvSpec {
  std::string name;       // registry name, e.g. "HalfCheetah"
  std::string reference;  // what it is equivalent to, e.g. "Gymnasium HalfCheetah-v5"
  int obs_dim = 0;
  int act_dim = 0;
  std::vector<double> action_low, action_high;  // actions are clipped into these
  double dt = 0.0;                              // seconds of simulated time per step
  int max_episode_steps = 0;                    // time limit (truncation)
  std::vector<std::string> reward_term_names;   // in the order of StepResult::reward_terms
};

// Construction options shared by all envs (unused fields are ignored).
struct EnvOptions {
  std::filesystem::path asset_dir;       // empty: default lookup (see envs/assets.hpp)
  std::optional<int> max_episode_steps;  // override the time limit
  bool ant_contact_forces = false;       // Ant: 105-dim observation with cfrc_ext
};

// A spec with the fields every env sets itself (bounds and dt may be filled later).
EnvSpec make_spec(std::string name, std::string reference, int obs_dim, int act_dim, int default_max_steps,
                  const EnvOptions& options, std::vector<std::string> reward_term_names);

class Env {
 public:
  explicit Env(EnvSpec spec);
  virtual ~Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const EnvSpec& spec() const { return spec_; }
  int obs_dim() const { return spec_.obs_dim; }
  int act_dim() const { return spec_.act_dim; }

  // Starts an episode; the same seed gives the same trajectory for the same actions.
  std::vector<double> reset(uint64_t seed);

  // Advances one step. Throws std::invalid_argument for a wrong-sized or non-finite
  // action and std::logic_error when no episode is running (reset first, and again
  // after terminated or truncated). Actions outside the bounds are clipped.
  StepResult step(std::span<const double> action);
  // The same, reusing out's storage (no allocation per step).
  void step(std::span<const double> action, StepResult& out);

  int elapsed_steps() const { return steps_; }
  bool episode_running() const { return running_; }

 protected:
  // Samples the initial state from rng and writes its observation.
  virtual void reset_state(Rng& rng, std::vector<double>& observation) = 0;
  // Applies the (clipped, finite) action; fills observation, reward, reward_terms,
  // terminated and unstable. The base class sets truncated.
  virtual void advance(std::span<const double> action, StepResult& out) = 0;
  // Marks the episode over (e.g. after an exception inside the simulator).
  void abort_episode() { running_ = false; }

 private:
  EnvSpec spec_;
  Rng rng_;
  std::vector<double> clipped_;
  int steps_ = 0;
  bool running_ = false;
};

}  // namespace maac::envs
