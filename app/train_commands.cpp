// `maac train` and `maac eval`: parse, build an rl::Trainer or load an agent, report.
#include <fmt/core.h>

#include <cmath>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/mpc_eval.hpp"
#include "rl/evaluation.hpp"
#include "rl/trainer.hpp"

namespace maac::app {
namespace {

// Options that are absent stay empty: every given value goes through the config
// schema's checks, so `--steps -5` is an error naming the option, never a default.
struct TrainArgs {
  std::string env, config_file, out;
  std::vector<std::string> sets;
  std::optional<std::string> seed, steps;
  std::string device;
  bool resume = false, quiet = false, print_config = false;
};

// key=value through the schema, an error there named after the command-line option.
void set_from_option(rl::Config& config, const std::string& option, const std::string& key, const std::string& value) {
  config.set(key + "=" + value, option + " " + value);
}

void run_train(const TrainArgs& a) {
  rl::Config config(rl::trainer_schema());
  // Layers: schema defaults <- --config file <- --env/--seed/--steps <- --set.
  if (!a.config_file.empty()) config.merge_toml_file(a.config_file);
  if (!a.env.empty()) config.set(rl::key::env_name + ("=" + a.env));
  if (a.seed) set_from_option(config, "--seed", rl::key::seed, *a.seed);
  if (a.steps) set_from_option(config, "--steps", rl::key::total_steps, *a.steps);
  if (!a.device.empty()) config.set(rl::key::device + ("=" + a.device));
  for (const std::string& s : a.sets) config.set(s);
  std::string changed = rl::apply_ablation(config);
  if (a.print_config) {  // every key resolved, as config.toml of the run would hold it
    fmt::print("{}", config.to_toml());
    return;
  }
  // The default directory is new for every run, so repeating a command never collides.
  std::string out = a.out;
  if (out.empty()) {
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    out = fmt::format("runs/{}-{}-s{}-{}", config.text(rl::key::env_name), config.text(rl::key::algo), config.integer(rl::key::seed),
                      stamp);
  }
  fmt::print("maac train: {} on {}{}, seed {}, {} env steps, device {} -> {}\n", config.text(rl::key::algo),
             config.text(rl::key::env_name),
             changed.empty() ? "" : " (ablation " + config.text(rl::key::ablation) + ": " + changed + ")",
             config.integer(rl::key::seed), config.integer(rl::key::total_steps), config.text(rl::key::device), out);
  rl::install_stop_signals();
  rl::Trainer trainer(config, out, a.resume, a.quiet);
  if (!trainer.agent().graph_summary().empty()) fmt::print("updates: {}\n", trainer.agent().graph_summary());
  rl::TrainResult r = trainer.run();
  fmt::print("{} at {} env steps; last eval return {:.1f}; {} skipped updates; checkpoint {}\n",
             r.interrupted ? "interrupted (checkpoint written)" : "done", r.env_steps, r.last_eval_return,
             r.skipped_updates, rl::Trainer::checkpoint_path(out));
  // Stopped by a signal: 128 + its number, as a shell reports it (SIGTERM: 143), so a
  // scheduler or `maac sweep` tells a stopped run from a finished one.
  if (r.interrupted && rl::stop_signal() != 0) throw CLI::RuntimeError(128 + rl::stop_signal());
}

void run_eval(const std::string& checkpoint, int episodes, uint64_t seed, const MpcArgs& mpc) {
  rl::LoadedAgent loaded = rl::load_agent(checkpoint);
  rl::TrainerOptions t = rl::trainer_options(*loaded.config);
  std::vector<double> returns = rl::evaluate_policy(*loaded.agent, t.env, t.env_options(), episodes, seed);
  double mean = 0, var = 0;
  for (double r : returns) mean += r;
  mean /= static_cast<double>(returns.size());
  for (double r : returns) var += (r - mean) * (r - mean);
  fmt::print("{} ({}), {} episodes, deterministic policy: return {:.1f} +- {:.1f} (std)\n", t.env,
             loaded.config->text(rl::key::algo), episodes, mean, std::sqrt(var / static_cast<double>(returns.size())));
  for (size_t i = 0; i < returns.size(); ++i) fmt::print("  episode {}: {:.1f}\n", i, returns[i]);
  if (mpc.enabled) report_mpc(*loaded.agent, t.env, t.env_options(), episodes, seed, mpc, returns);
}

}  // namespace

void add_train_commands(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* train = app.add_subcommand("train", "Train an agent (MAAC by default) on an environment");
  train->add_option("--env", args->env, "Environment (maac envs lists them)");
  train->add_option("--config", args->config_file, "TOML config file (configs/ has a preset per environment)")
      ->check(CLI::ExistingFile);
  train->add_option("--set", args->sets, "Override a config key: --set actor.horizon=3 (repeatable)");
  train->add_option("--seed", args->seed, "Seed (overrides the config)");
  train->add_option("--steps", args->steps, "Total env steps (overrides run.total_steps)");
  train->add_option("--out", args->out, "Run directory (default runs/<env>-<algo>-s<seed>-<date>-<time>)");
  train->add_option("--device", args->device, "Where the networks and updates run: cpu or cuda (overrides run.device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  train->add_flag("--resume", args->resume, "Continue the run in --out from its checkpoint");
  train->add_flag("--quiet", args->quiet, "No live progress line");
  train->add_flag("--print-config", args->print_config,
                  "Print the resolved config (every key, as the run's config.toml) and exit without training");
  train->callback([args] { run_train(*args); });

  auto checkpoint = std::make_shared<std::string>();
  auto episodes = std::make_shared<int>(10);
  auto seed = std::make_shared<int64_t>(12345);
  auto* eval = app.add_subcommand("eval", "Evaluate a checkpoint's deterministic policy");
  eval->add_option("--checkpoint", *checkpoint,
                   "A run's checkpoint.safetensors, or its best.safetensors (the agent at its best evaluation)")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--episodes", *episodes, "Episodes")->capture_default_str()->check(CLI::Range(1, 100000));
  eval->add_option("--seed", *seed, "Seed of the evaluation episodes")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 62));
  auto mpc = std::make_shared<MpcArgs>();
  add_mpc_options(*eval, *mpc);
  eval->callback([=] { run_eval(*checkpoint, *episodes, static_cast<uint64_t>(*seed), *mpc); });
}

}  // namespace maac::app
