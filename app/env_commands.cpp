// `maac envs` (list the environments) and `maac rollout` (roll one out with random or
// given actions and write the trajectory to CSV).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "envs/actions_csv.hpp"
#include "envs/registry.hpp"
#include "envs/rng.hpp"

namespace maac::app {
namespace {

struct EnvCommandOptions {
  std::string assets;
  bool ant_contact_forces = false;
  envs::EnvOptions env_options() const {
    envs::EnvOptions o;
    o.asset_dir = assets;
    o.ant_contact_forces = ant_contact_forces;
    return o;
  }
};

std::string bounds_text(const envs::EnvSpec& s) {
  bool uniform = true;
  for (int i = 0; i < s.act_dim; ++i)
    uniform = uniform && s.action_low[i] == s.action_low[0] && s.action_high[i] == s.action_high[0];
  if (uniform) return fmt::format("[{:g}, {:g}]", s.action_low[0], s.action_high[0]);
  return "per dimension";
}

void list_envs(const EnvCommandOptions& opts) {
  fmt::print("{:<17} {:>4} {:>4} {:>10} {:>7} {:>6}  {:<28} {}\n", "name", "obs", "act", "actions", "dt (s)", "limit",
             "reward terms", "equivalent to");
  for (const std::string& name : envs::env_names()) {
    auto env = envs::make_env(name, opts.env_options());
    const envs::EnvSpec& s = env->spec();
    fmt::print("{:<17} {:>4} {:>4} {:>10} {:>7.3g} {:>6}  {:<28} {}\n", s.name, s.obs_dim, s.act_dim, bounds_text(s), s.dt,
               s.max_episode_steps, fmt::format("{}", fmt::join(s.reward_term_names, ",")), s.reference);
  }
  fmt::print("\nAnt: 27-dim observation by default, 105 with --ant-contact-forces (rollout). Steps past the limit "
             "are truncated, not terminated.\n");
}

struct RolloutOptions {
  std::string env;
  int64_t seed = 0;
  int steps = -1;
  std::string actions;
  std::string out;
};

void rollout(const RolloutOptions& ro, const EnvCommandOptions& opts) {
  auto env = envs::make_env(ro.env, opts.env_options());
  const envs::EnvSpec& spec = env->spec();
  std::vector<std::vector<double>> given;
  if (!ro.actions.empty()) given = envs::read_actions_csv(ro.actions, spec.act_dim);
  int steps = ro.steps >= 0 ? ro.steps : (given.empty() ? spec.max_episode_steps : static_cast<int>(given.size()));
  if (!given.empty() && steps > static_cast<int>(given.size()))
    throw std::invalid_argument(
        fmt::format("--steps {} but the actions file '{}' holds {} actions", steps, ro.actions, given.size()));

  std::ofstream out(ro.out);
  if (!out) throw std::runtime_error(fmt::format("cannot write '{}'", ro.out));
  // Header: the observation the action was taken in, the action, the outcome, then s'.
  std::vector<std::string> header{"step"};
  for (int i = 0; i < spec.obs_dim; ++i) header.push_back(fmt::format("obs_{}", i));
  for (int i = 0; i < spec.act_dim; ++i) header.push_back(fmt::format("act_{}", i));
  header.push_back("reward");
  for (const auto& t : spec.reward_term_names) header.push_back("reward_" + t);
  for (const char* h : {"terminated", "truncated", "unstable"}) header.push_back(h);
  for (int i = 0; i < spec.obs_dim; ++i) header.push_back(fmt::format("next_obs_{}", i));
  out << fmt::format("{}\n", fmt::join(header, ","));

  envs::Rng rng(static_cast<uint64_t>(ro.seed) ^ 0x5eed5eed5eedULL);  // the action stream, apart from the env's own
  std::vector<double> obs = env->reset(static_cast<uint64_t>(ro.seed)), action(static_cast<size_t>(spec.act_dim));
  double total = 0;
  int t = 0;
  std::string ended = "step budget reached";
  for (; t < steps; ++t) {
    if (given.empty())
      for (int i = 0; i < spec.act_dim; ++i) action[i] = rng.uniform(spec.action_low[i], spec.action_high[i]);
    else
      action = given[static_cast<size_t>(t)];
    // Record the action the env applies: it clips into the bounds.
    for (int i = 0; i < spec.act_dim; ++i) action[i] = std::clamp(action[i], spec.action_low[i], spec.action_high[i]);
    envs::StepResult r = env->step(action);
    std::string line = fmt::format("{},{:.17g},{:.17g},{:.17g}", t, fmt::join(obs, ","), fmt::join(action, ","), r.reward);
    for (const auto& term : r.reward_terms) line += fmt::format(",{:.17g}", term.value);
    line += fmt::format(",{:d},{:d},{:d},{:.17g}\n", r.terminated, r.truncated, r.unstable, fmt::join(r.observation, ","));
    out << line;
    total += r.reward;
    obs = r.observation;
    if (r.terminated || r.truncated) {
      ended = r.unstable ? "unstable (terminated)" : r.terminated ? "terminated" : "truncated (time limit)";
      ++t;
      break;
    }
  }
  out.close();
  if (!out) throw std::runtime_error(fmt::format("writing '{}' failed", ro.out));
  fmt::print("{}: {} steps, return {:.6g}, {}; {} actions; trajectory written to {}\n", spec.name, t, total, ended,
             given.empty() ? fmt::format("uniform random (seed {})", ro.seed) : "given", ro.out);
}

}  // namespace

void add_env_commands(CLI::App& app) {
  auto opts = std::make_shared<EnvCommandOptions>();

  CLI::App* list = app.add_subcommand("envs", "List the environments: sizes, action bounds, dt, time limit");
  list->add_option("--assets", opts->assets, "Folder of the MJCF model files (default: MAAC_ENVS_ASSET_DIR or the source tree)");
  list->callback([opts] { list_envs(*opts); });

  auto ro = std::make_shared<RolloutOptions>();
  CLI::App* roll = app.add_subcommand("rollout", "Roll out one episode with random or given actions; write it to CSV");
  roll->add_option("--env", ro->env, "Environment name (see `maac envs`)")->required();
  roll->add_option("--seed", ro->seed, "Seed of the reset noise and of the random actions")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 62));
  roll->add_option("--steps", ro->steps, "Steps at most (default: the time limit, or the number of given actions)")
      ->check(CLI::Range(1, 100000000));
  roll->add_option("--actions", ro->actions, "CSV of actions, one per row (default: uniform random in the bounds)")
      ->check(CLI::ExistingFile);
  roll->add_option("--out", ro->out, "Trajectory CSV to write")->required();
  roll->add_option("--assets", opts->assets, "Folder of the MJCF model files");
  roll->add_flag("--ant-contact-forces", opts->ant_contact_forces, "Ant: 105-dim observation with contact forces");
  roll->callback([ro, opts] { rollout(*ro, *opts); });
}

}  // namespace maac::app
