// Where one training iteration's time goes: seconds per 1000 real env steps at a preset
// (default configs/half_cheetah.toml) with the paper's measuring point of 6000 real
// transitions stored, split into the iteration's phases as rl/trainer.cpp runs them:
//   env steps      steps_per_iteration policy steps in MuJoCo (Agent::act, Env::step, add)
//   model fit      the model-error diagnostic, then Agent::fit_model on every real transition
//   rollouts       update_blocks x Agent::rollout(rollout.starts, length at this iteration)
//   updates        Agent::update on mixed batches: a subset of updates_per_iteration is
//                  timed (spread over the blocks, after each block's rollouts) and scaled
// The buffer is filled as a run fills it: (stored - steps_per_iteration) uniformly random
// steps (run.initial_random_steps at the preset), then the timed policy steps, so the fit,
// rollouts and updates see `stored` real transitions: iteration 0 at HalfCheetah's preset.
// The phases are driven here on the trainer's own objects (Agent, ReplayBuffer, Env), as
// Trainer::advance drives them; the trainer itself is unchanged.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/device.hpp"
#include "bench/preset.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One real env step into the buffer (Trainer::env_step without the episode bookkeeping).
struct Collector {
  envs::Env& env;
  ReplayBuffer& real;
  uint64_t seed;
  int64_t episodes = 0;
  std::vector<double> obs;
  std::vector<float> obs_f;
  void begin_if_needed() {
    if (env.episode_running()) return;
    obs = env.reset(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(episodes++));
    obs_f.assign(obs.begin(), obs.end());
  }
  void step(const std::vector<float>& action) {
    begin_if_needed();
    envs::StepResult r = env.step(to_env_action(env.spec(), action.data()));
    std::vector<float> next(r.observation.begin(), r.observation.end());
    real.add(obs_f.data(), action.data(), static_cast<float>(r.reward), next.data(), r.terminated);
    obs = std::move(r.observation);
    obs_f = std::move(next);
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Seconds per 1000 env steps of one training iteration, by phase (docs/benchmarks.md)"};
  std::string config_path = maac::bench::default_preset();
  std::vector<std::string> overrides;
  int threads = 2;
  int64_t timed_updates = 400, stored = 6000;
  app.add_option("--config", config_path, "preset TOML")->capture_default_str();
  app.add_option("--set", overrides, "key=value on top of the preset (repeatable)");
  app.add_option("--threads", threads, "CPU threads")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--updates", timed_updates, "updates timed, then scaled to train.updates_per_iteration")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  app.add_option("--stored", stored, "real transitions stored when the fit, rollouts and updates run")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  CLI11_PARSE(app, argc, argv);

  try {
    const rl::Config config = maac::bench::load_preset(config_path, overrides);
    device::set_cpu_threads(threads);  // before the agent, as the trainer does
    maac::bench::PresetRun run(config);
    const TrainerOptions& o = run.options.trainer;
    Agent& agent = *run.agent;
    if (!agent.uses_model()) throw std::invalid_argument("bench_iteration: the preset's algorithm has no model phases");
    if (stored < o.steps_per_iteration)
      throw std::invalid_argument(fmt::format("--stored {}: expected at least run.steps_per_iteration = {}", stored,
                                              o.steps_per_iteration));
    const int64_t obs = run.env->obs_dim(), act = run.env->act_dim();
    ReplayBuffer real(o.real_buffer, obs, act), model(o.model_buffer, obs, act);
    Rng collect_rng(o.seed ^ 0x636f6c6cull), model_rng(o.seed ^ 0x6d6f64656cull), update_rng(o.seed ^ 0x7570646174ull);
    Collector collector{*run.env, real, o.seed, 0, {}, {}};

    // The iteration whose data this is: stored = initial random steps + (iteration + 1)
    // iterations of steps (iteration 0 at the preset); it sets the rollout length.
    const int64_t iteration =
        std::max<int64_t>(0, (stored - o.initial_random_steps) / o.steps_per_iteration - 1);
    const int64_t length = o.rollout_length(iteration);
    fmt::print("config: {} ({}), {} thread(s); {} real transitions at the fit (iteration {}, rollout length {})\n",
               config_path, o.env, threads, stored, iteration, length);

    // Untimed: the random steps (Trainer::random_step).
    std::vector<float> a(static_cast<size_t>(act));
    for (int64_t i = 0; i < stored - o.steps_per_iteration; ++i) {
      for (float& x : a) x = static_cast<float>(collect_rng.uniform(-1.0, 1.0));
      collector.step(a);
    }

    // env steps (Trainer::policy_step).
    Clock::time_point t0 = Clock::now();
    for (int64_t i = 0; i < o.steps_per_iteration; ++i) {
      collector.begin_if_needed();
      agent.act(collector.obs_f.data(), 1, false, collect_rng, a.data());
      collector.step(a);
    }
    const double env_s = seconds_since(t0);

    // model fit (Trainer::fit_model): the diagnostic error on the newest episode, then the fit.
    t0 = Clock::now();
    const int64_t diagnostic_horizon = std::max<int64_t>(
        {1, run.options.agent.objective.horizon,
         static_cast<int64_t>(std::max(o.rollout_schedule[2], o.rollout_schedule[3]))});
    agent.model_error_by_horizon(real, diagnostic_horizon);
    const double error_s = seconds_since(t0);
    const ModelFitStats fit = agent.fit_model(real, model_rng);
    const double fit_s = seconds_since(t0);

    // rollouts and updates, block by block (Trainer::update_block). One untimed update
    // first: the tape's arena and the optimisers' buffers grow once per run, not per
    // iteration.
    double rollout_s = 0, update_s = 0;
    int64_t updates_done = 0, skipped = 0;
    for (int64_t block = 0; block < o.update_blocks; ++block) {
      t0 = Clock::now();
      if (length > 0 && o.real_share < 1.0) agent.rollout(real, model, o.rollout_starts, length, model_rng);
      rollout_s += seconds_since(t0);
      if (block == 0) agent.update(sample_mixed(real, &model, o.batch, o.real_share, update_rng), update_rng);
      const int64_t per_block = timed_updates / o.update_blocks + (block < timed_updates % o.update_blocks ? 1 : 0);
      t0 = Clock::now();
      for (int64_t u = 0; u < per_block; ++u) {
        UpdateStats s = agent.update(sample_mixed(real, &model, o.batch, o.real_share, update_rng), update_rng);
        skipped += s.skipped() ? 1 : 0;
        ++updates_done;
      }
      update_s += seconds_since(t0);
    }
    const double update_scale = static_cast<double>(o.updates_per_iteration) / static_cast<double>(updates_done);

    // Seconds per 1000 env steps: one iteration is steps_per_iteration of them.
    const double per_1000 = 1000.0 / static_cast<double>(o.steps_per_iteration);
    struct Row {
      std::string phase;
      double seconds;
      std::string note;
    };
    const std::vector<Row> rows = {
        {"env steps", env_s * per_1000, fmt::format("{} policy steps", o.steps_per_iteration)},
        {"model fit", fit_s * per_1000,
         fmt::format("{} epochs{}, {} + {} rows; model error {:.3f} s of it", fit.epochs,
                     fit.early_stopped ? " (early stop)" : "", fit.train_rows, fit.holdout_rows, error_s * per_1000)},
        {"rollouts", rollout_s * per_1000,
         fmt::format("{} x {} starts x {} steps", o.update_blocks, o.rollout_starts, length)},
        {"updates", update_s * update_scale * per_1000,
         fmt::format("SCALED: {} timed x {:.1f} = {}; {:.1f} ms each{}", updates_done, update_scale,
                     o.updates_per_iteration, 1e3 * update_s / static_cast<double>(updates_done),
                     skipped ? fmt::format(", {} skipped", skipped) : "")},
    };
    double total = 0;
    for (const Row& r : rows) total += r.seconds;
    fmt::print("\nseconds per 1000 env steps\n{:<10} {:>10} {:>7}   {}\n", "phase", "seconds", "share", "what");
    for (const Row& r : rows)
      fmt::print("{:<10} {:>10.2f} {:>6.1f}%   {}\n", r.phase, r.seconds, 100 * r.seconds / total, r.note);
    fmt::print("{:<10} {:>10.2f} {:>6.1f}%\n", "total", total, 100.0);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_iteration: {}\n", e.what());
    return 1;
  }
}
