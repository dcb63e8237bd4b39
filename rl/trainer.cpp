#include "rl/trainer.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "autodiff/device.hpp"
#include "envs/registry.hpp"
#include "rl/env_reward.hpp"
#include "rl/checkpoint_file.hpp"
#include "rl/evaluation.hpp"
#include "rl/policy_video.hpp"
#include "rl/run_probe.hpp"
#include "rl/trainer_state.hpp"

namespace maac::rl {
namespace fs = std::filesystem;

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {
std::atomic<int> g_stop_signal{0};
}  // namespace

int stop_signal() { return g_stop_signal.load(); }

void install_stop_signals() {
  auto handler = [](int signo) {
    g_stop_signal.store(signo);
    stop_requested().store(true);
  };
  std::signal(SIGINT, handler);
  std::signal(SIGTERM, handler);
}

namespace {

// Episode seeds are a pure function of (run seed, episode index): no RNG state needed.
uint64_t episode_seed(uint64_t seed, int64_t episode) {
  return seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(episode) * 0xBF58476D1CE4E5B9ull + 1;
}

// The keys a resumed run may change: its length, and the device it continues on.
std::string config_without_total(const Config& c) {
  Config copy = c;
  copy.set(key::total_steps + std::string("=1"));
  copy.set(key::device + std::string("=cpu"));
  return copy.to_toml();
}

}  // namespace

namespace {

// The kill test's hook: with MAAC_TEST_KILL_IN_CHECKPOINT_WRITE=n, the n-th checkpoint
// write of this process dies by SIGKILL once half of its bytes are in the temp file.
// MAAC_TEST_KILL_IN_BEST_WRITE=n does the same to the n-th write of best.safetensors.
std::function<void(uint64_t, uint64_t)> kill_hook_for_this_write(const char* variable, int64_t& writes) {
  const char* armed = std::getenv(variable);
  ++writes;
  if (armed == nullptr || std::atoll(armed) != writes) return {};
  return [](uint64_t written, uint64_t total) {
    if (2 * written >= total && written < total) std::raise(SIGKILL);
  };
}

// Temp files of checkpoint writes that a killed process never renamed.
void remove_stale_temp_files(const std::string& out_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint.safetensors.tmp.", 0) == 0 || name.rfind("best.safetensors.tmp.", 0) == 0)
      fs::remove(entry.path(), ec);
  }
}

}  // namespace

std::string Trainer::checkpoint_path(const std::string& out_dir) { return (fs::path(out_dir) / "checkpoint.safetensors").string(); }
std::string Trainer::best_path(const std::string& out_dir) { return (fs::path(out_dir) / "best.safetensors").string(); }

Trainer::Trainer(const Config& config, std::string out_dir, bool resume, bool quiet)
    : config_(config), out_dir_(std::move(out_dir)), quiet_(quiet) {
  std::string ckpt = checkpoint_path(out_dir_);
  if (resume && !fs::exists(ckpt))
    throw std::runtime_error("--resume: no checkpoint at '" + ckpt + "'");
  if (!resume && fs::exists(ckpt))
    throw std::runtime_error("'" + out_dir_ + "' already holds a run (" + ckpt +
                             "); pass --resume to continue it or choose another --out");
  Safetensors loaded;
  if (resume) {
    // The run continues under its own configuration; only run.total_steps may change.
    loaded = load_checkpoint_file(ckpt);
    Config saved(trainer_schema());
    saved.merge_toml(loaded.metadata_or("config", ""), ckpt);
    if (config_without_total(saved) != config_without_total(config_))
      throw std::runtime_error("the configuration differs from the checkpoint's in '" + ckpt +
                               "' (only run.total_steps and run.device may change on --resume); see " + out_dir_ +
                               "/config.toml");
    // Built with fmt: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
    saved.set(fmt::format("{}={}", key::total_steps, config_.integer(key::total_steps)));
    saved.set(fmt::format("{}={}", key::device, config_.text(key::device)));
    config_ = saved;
  }
  options_ = trainer_options(config_);
  const int threads = options_.threads > 0 ? options_.threads : static_cast<int>(std::thread::hardware_concurrency());
  device::set_cpu_threads(threads);

  env_ = envs::make_env(options_.env, options_.env_options());
  const int64_t obs = env_->obs_dim(), act = env_->act_dim();
  agent_ = std::make_unique<Agent>(obs, act, agent_options(config_), std::make_unique<EnvRewardModel>(*env_), options_.seed);
  real_ = std::make_unique<ReplayBuffer>(options_.real_buffer, obs, act);
  // Model data only for the algorithms that roll the model out (STEVE and SVG(1) fit it only).
  if (agent_->rolls_out_model()) model_ = std::make_unique<ReplayBuffer>(options_.model_buffer, obs, act);
  state_ = std::make_unique<State>(options_.seed);
  phase_ = std::make_unique<PhaseMarker>();
  phase_->enter("startup");
  state_->next_eval = options_.eval_every;
  state_->next_checkpoint = options_.checkpoint_every > 0 ? options_.checkpoint_every : -1;

  fs::create_directories(out_dir_);
  remove_stale_temp_files(out_dir_);
  if (resume) load_checkpoint(loaded, ckpt);
  std::ofstream(fs::path(out_dir_) / "config.toml") << config_.to_toml();
  open_logs(resume);
}

Trainer::~Trainer() = default;

void Trainer::start_episode_if_needed() {
  State& st = *state_;
  if (env_->episode_running()) return;
  st.current_episode_seed = episode_seed(options_.seed, st.episodes);
  st.obs = env_->reset(st.current_episode_seed);
  st.episode_actions.clear();
  st.episode_return = 0;
}

void Trainer::env_step(const std::vector<float>& action) {
  State& st = *state_;
  start_episode_if_needed();
  std::vector<float> obs(st.obs.begin(), st.obs.end());
  envs::StepResult r = env_->step(to_env_action(env_->spec(), action.data()));
  std::vector<float> next(r.observation.begin(), r.observation.end());
  real_->add(obs.data(), action.data(), static_cast<float>(r.reward), next.data(), r.terminated);
  st.episode_actions.insert(st.episode_actions.end(), action.begin(), action.end());
  st.episode_return += r.reward;
  st.obs = r.observation;
  ++st.env_steps;
  if (r.terminated || r.truncated) {
    st.last_train_return = st.episode_return;
    ++st.episodes;
  }
}

void Trainer::after_unit() {
  // Runs between units of work, when every counter describes the same moment: a
  // checkpoint written here resumes to exactly this point (writing one inside env_step,
  // before the loop counted the step, made a resumed run take an extra step).
  State& st = *state_;
  if (st.env_steps >= st.next_eval) {
    st.last_eval = evaluate();
    log_row();
    // A strictly better score replaces the best agent; a tie keeps the earlier one.
    if (std::isfinite(st.last_eval) && !(st.best_eval >= st.last_eval)) {
      st.best_eval = st.last_eval;
      save_best();
    }
    st.next_eval += options_.eval_every;
  }
  if (st.next_checkpoint > 0 && st.env_steps >= st.next_checkpoint) {
    save_checkpoint();
    st.next_checkpoint += options_.checkpoint_every;
  }
}

void Trainer::random_step() {
  phase_->enter("collection");
  std::vector<float> a(static_cast<size_t>(env_->act_dim()));
  for (float& x : a) x = static_cast<float>(state_->collect_rng.uniform(-1.0, 1.0));
  env_step(a);
}

void Trainer::policy_step() {
  phase_->enter("collection");
  // The action is drawn at the current observation, so the episode must have begun.
  start_episode_if_needed();
  std::vector<float> obs(state_->obs.begin(), state_->obs.end()), a(static_cast<size_t>(env_->act_dim()));
  agent_->act(obs.data(), 1, false, state_->collect_rng, a.data());
  env_step(a);
  ++state_->iter_steps;
}

void Trainer::fit_model() {
  phase_->enter("model_fit");
  State& st = *state_;
  // The model error is measured before the fit: on the newest episode, which this model
  // has not trained on.
  st.model_error = agent_->model_error_by_horizon(*real_, diagnostic_horizon());
  ModelFitStats s = agent_->fit_model(*real_, st.model_rng);
  st.model_nll = s.holdout_nll;
  st.fit_epochs = s.epochs;
  st.fit_early_stop = s.early_stopped ? 1 : 0;
  st.fit_train_rows = s.train_rows;
  st.fit_holdout_rows = s.holdout_rows;
  st.fit_members_improved = s.members_improved;
  st.fit_nll = s.holdout_nll;
  st.fit_mse = s.holdout_mse;
}

void Trainer::update_block() {
  State& st = *state_;
  const int64_t per_block = options_.updates_per_iteration / options_.update_blocks +
                            (st.block < options_.updates_per_iteration % options_.update_blocks ? 1 : 0);
  int64_t length = options_.rollout_length(st.iteration);
  if (!st.block_rolled_out) {
    phase_->enter("rollouts");
    if (model_ && length > 0 && options_.real_share < 1.0)
      agent_->rollout(*real_, *model_, options_.rollout_starts, length, st.model_rng);
    st.block_rolled_out = 1;
    return;
  }
  if (st.block_updates < per_block) {
    phase_->enter("updates");
    const TransitionBatch batch = sample_mixed(*real_, model_.get(), options_.batch, options_.real_share, st.update_rng);
    UpdateStats u = agent_->update(batch, st.update_rng);
    ++st.updates;
    st.critic_loss = u.critic_loss;
    st.actor_loss = u.actor_loss;
    if (std::isfinite(u.actor_grad_norm)) {
      st.grad_norm_sum += u.actor_grad_norm;
      ++st.grad_norm_count;
    }
    if (std::isfinite(u.terminal_share)) {
      st.terminal_share_sum += u.terminal_share;
      ++st.terminal_share_count;
    }
    if (u.skipped()) {
      ++st.skipped;
      if (++st.nonfinite_streak >= options_.max_nonfinite_updates)
        throw std::runtime_error(fmt::format(
            "{} updates in a row had non-finite losses or gradients (critic {}, actor {}); stopping. The last good "
            "checkpoint is intact at {}",
            st.nonfinite_streak, u.critic_loss, u.actor_loss, checkpoint_path(out_dir_)));
    } else {
      st.nonfinite_streak = 0;
    }
    ++st.block_updates;
    return;
  }
  ++st.block;
  st.block_updates = 0;
  st.block_rolled_out = 0;
}

double Trainer::evaluate() {
  phase_->enter("evaluation");
  std::vector<double> r = evaluate_policy(*agent_, options_.env, options_.env_options(),
                                          static_cast<int>(options_.eval_episodes), options_.seed);
  double sum = 0;
  for (double x : r) sum += x;
  if (options_.eval_video) {
    // The same episode 0 on an env of its own; a resumed run films the same file again.
    if (!video_env_) video_env_ = envs::make_env(options_.env, options_.env_options());
    fs::create_directories(fs::path(out_dir_) / "videos");
    film_policy(*agent_, *video_env_, options_.seed, PolicyVideoOptions{},
                (fs::path(out_dir_) / "videos" / ("eval_" + std::to_string(state_->env_steps) + ".mp4")).string());
  }
  return sum / static_cast<double>(r.size());
}

// Algorithm 1 of the paper, one unit of work per call (an env step, a model fit, a block's
// rollouts, one update). Where the loop stands is State, saved whole in every checkpoint,
// so a run stops after any unit and resumes exactly there.
void Trainer::advance() {
  State& st = *state_;
  switch (st.phase) {
    case State::random:  // D_env <- initial_random_steps uniformly random steps
      if (st.env_steps < options_.initial_random_steps) random_step();
      else begin_iteration();
      break;
    case State::collect:  // each iteration: steps_per_iteration steps of pi_theta into D_env
      if (st.iter_steps < options_.steps_per_iteration) policy_step();
      else end_collection();
      break;
    case State::fit:  // fit the ensemble on D_env
      fit_model();
      st.phase = State::blocks;
      break;
    case State::blocks:  // update_blocks times: rollouts into D_model, then actor-critic updates
      if (st.block < options_.update_blocks) update_block();
      else end_iteration();
      break;
  }
}

void Trainer::begin_iteration() {
  state_->phase = State::collect;
  state_->iter_steps = 0;
}

void Trainer::end_collection() {
  State& st = *state_;
  st.phase = agent_->uses_model() ? State::fit : State::blocks;
  st.block = 0;
  st.block_updates = 0;
  st.block_rolled_out = 0;
}

void Trainer::end_iteration() {
  log_iteration();
  ++state_->iteration;
  begin_iteration();
}

TrainResult Trainer::run() {
  State& st = *state_;
  TerminalProgress progress(options_.total_steps);
  std::atomic<bool>& stop = stop_requested();
  auto reached = [&] { return st.last_eval >= options_.stop_at_return; };
  while (st.env_steps < options_.total_steps && !stop.load() && !reached()) {
    advance();
    after_unit();
    if (!quiet_) progress.update(st.env_steps, st.updates, st.elapsed(), st.last_eval);
  }
  if (!quiet_) {
    progress.update(st.env_steps, st.updates, st.elapsed(), st.last_eval, true);
    progress.finish();
  }
  save_checkpoint();
  TrainResult result;
  result.env_steps = st.env_steps;
  result.interrupted = stop.load();
  result.reached_target = reached();
  result.last_eval_return = st.last_eval;
  result.skipped_updates = st.skipped;
  return result;
}

void Trainer::save_checkpoint() {
  phase_->enter("checkpoint");
  State& st = *state_;
  st.episode_running = env_->episode_running() ? 1 : 0;
  // The clock restarts from the saved total, so the state saved is the state kept.
  st.elapsed_before = st.elapsed();
  st.started = std::chrono::steady_clock::now();
  Safetensors ck;
  ck.set_metadata("format", kCheckpointFormat);
  ck.set_metadata("config", config_.to_toml());
  ck.set_metadata("env", options_.env);
  agent_->save(ck);
  real_->save(ck, "real_buffer");
  if (model_) model_->save(ck, "model_buffer");
  st.visit(PutState{ck});
  static int64_t writes = 0;
  ck.save(checkpoint_path(out_dir_), kill_hook_for_this_write("MAAC_TEST_KILL_IN_CHECKPOINT_WRITE", writes));
}

// The agent alone (networks, normalisers, optimisers, temperature) with the run's config,
// in the run checkpoint's format and tensor names, so `maac eval` (and whatever loads a
// checkpoint's agent) reads either file. Written atomically like the run checkpoint; the
// score it holds is also State::best_eval, saved with the next run checkpoint.
void Trainer::save_best() {
  const State& st = *state_;
  Safetensors ck;
  ck.set_metadata("format", kCheckpointFormat);
  ck.set_metadata("config", config_.to_toml());
  ck.set_metadata("env", options_.env);
  ck.set_metadata("contents", "agent");
  ck.set_metadata("eval_return", fmt::format("{}", st.best_eval));
  ck.set_metadata("env_steps", std::to_string(st.env_steps));
  agent_->save(ck);
  static int64_t writes = 0;
  ck.save(best_path(out_dir_), kill_hook_for_this_write("MAAC_TEST_KILL_IN_BEST_WRITE", writes));
}

void Trainer::load_checkpoint(const Safetensors& ck, const std::string& path) {
  State& st = *state_;
  agent_->load(ck);
  real_->load(ck, "real_buffer");
  if (model_) model_->load(ck, "model_buffer");
  st.visit(GetState{ck});
  st.time_at_last_row = st.elapsed_before;
  st.updates_at_last_row = st.updates;
  // The episode in progress is rebuilt by replaying its seed and actions (MuJoCo is
  // deterministic), then checked against the saved observation.
  if (st.episode_running) {
    std::vector<double> obs = env_->reset(st.current_episode_seed);
    const int64_t ad = env_->act_dim();
    for (size_t k = 0; k < st.episode_actions.size(); k += static_cast<size_t>(ad))
      obs = env_->step(to_env_action(env_->spec(), st.episode_actions.data() + k)).observation;
    if (obs != st.obs)
      throw std::runtime_error("checkpoint '" + path + "': replaying the current episode did not reproduce its state");
  }
}

}  // namespace maac::rl
