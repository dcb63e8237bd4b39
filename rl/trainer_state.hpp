// The training loop's state, by name (private to rl/trainer.cpp): where Algorithm 1
// stands and everything it carries between units of work. Every checkpointed field is
// listed once in visit(); save and load walk that list.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "autodiff/safetensors.hpp"
#include "rl/trainer.hpp"

namespace maac::rl {

// A field added to State after maac-checkpoint-2 files were first written: an older
// checkpoint that lacks it loads it as `absent` (docs/training.md, "Checkpoints").
struct AddedLater {
  double& value;
  double absent;
};

// Where the loop is and everything it carries between units of work.
struct Trainer::State {
  enum Phase : int64_t { random = 0, collect = 1, fit = 2, blocks = 3 };
  int64_t phase = random;
  int64_t env_steps = 0, iteration = 0, iter_steps = 0, block = 0, block_updates = 0, block_rolled_out = 0;
  int64_t episodes = 0, nonfinite_streak = 0, skipped = 0, updates = 0;
  int64_t next_eval = 0, next_checkpoint = 0;
  int64_t log_rows = 0;          // progress.csv rows written; a resumed run keeps exactly these
  int64_t iteration_rows = 0, model_error_rows = 0;  // the same for iterations.csv, model_error.csv
  // This iteration's diagnostics, written at its end: the model fit, the model error
  // before the fit, and sums over the actor steps.
  int64_t fit_epochs = 0, fit_early_stop = 0, fit_train_rows = 0, fit_holdout_rows = 0, fit_members_improved = 0;
  double fit_nll = NAN, fit_mse = NAN;
  std::vector<double> model_error;
  double grad_norm_sum = 0, terminal_share_sum = 0;
  int64_t grad_norm_count = 0, terminal_share_count = 0;
  int64_t episode_running = 0;   // the env was mid-episode (it is rebuilt by replay on load)
  uint64_t current_episode_seed = 0;
  std::vector<float> episode_actions;  // policy-space actions since the episode began
  std::vector<double> obs;
  double episode_return = 0, last_train_return = NAN, last_eval = NAN;
  double best_eval = NAN;        // the best evaluation so far, whose agent best.safetensors holds
  double actor_loss = NAN, critic_loss = NAN, model_nll = NAN;
  double elapsed_before = 0;
  Rng collect_rng, update_rng, model_rng;
  // Not checkpointed: this process's clock and rate bookkeeping.
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  int64_t updates_at_last_row = 0;
  double time_at_last_row = 0;

  explicit State(uint64_t seed) : collect_rng(seed * 3 + 1), update_rng(seed * 3 + 2), model_rng(seed * 3 + 3) {}
  double elapsed() const {
    return elapsed_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  // Every piece of checkpointed state, once, by name: save and load both walk this list,
  // so they cannot disagree. f receives (name, int64_t& | uint64_t& | double& | Rng& |
  // std::vector<float>& | std::vector<double>& | AddedLater).
  template <class F> void visit(F&& f) {
    f("phase", phase);
    f("env_steps", env_steps);
    f("iteration", iteration);
    f("iter_steps", iter_steps);
    f("block", block);
    f("block_updates", block_updates);
    f("block_rolled_out", block_rolled_out);
    f("episodes", episodes);
    f("nonfinite_streak", nonfinite_streak);
    f("skipped_updates", skipped);
    f("updates", updates);
    f("next_eval", next_eval);
    f("next_checkpoint", next_checkpoint);
    f("log_rows", log_rows);
    f("iteration_rows", iteration_rows);
    f("model_error_rows", model_error_rows);
    f("fit_epochs", fit_epochs);
    f("fit_early_stop", fit_early_stop);
    f("fit_train_rows", fit_train_rows);
    f("fit_holdout_rows", fit_holdout_rows);
    f("fit_members_improved", fit_members_improved);
    f("fit_nll", fit_nll);
    f("fit_mse", fit_mse);
    f("model_error", model_error);
    f("grad_norm_sum", grad_norm_sum);
    f("terminal_share_sum", terminal_share_sum);
    f("grad_norm_count", grad_norm_count);
    f("terminal_share_count", terminal_share_count);
    f("episode_running", episode_running);
    f("episode_seed", current_episode_seed);
    f("collect_rng", collect_rng);
    f("update_rng", update_rng);
    f("model_rng", model_rng);
    f("episode_return", episode_return);
    f("last_train_return", last_train_return);
    f("last_eval", last_eval);
    f("best_eval_return", AddedLater{best_eval, NAN});  // absent: no best yet (none before the resume counts)
    f("actor_loss", actor_loss);
    f("critic_loss", critic_loss);
    f("model_nll", model_nll);
    f("elapsed_seconds", elapsed_before);
    f("episode_actions", episode_actions);
    f("obs", obs);
  }
};

// One checkpoint tensor "trainer.<name>" per piece of State (unsigned values and Rng
// positions stored bit for bit as I64).
struct PutState {
  Safetensors& ck;
  void operator()(const char* name, int64_t& v) const { ck.put<int64_t>(key(name), {v}); }
  void operator()(const char* name, uint64_t& v) const { ck.put<int64_t>(key(name), {static_cast<int64_t>(v)}); }
  void operator()(const char* name, Rng& r) const { ck.put<int64_t>(key(name), {static_cast<int64_t>(r.counter())}); }
  void operator()(const char* name, double& v) const { ck.put<double>(key(name), {v}); }
  void operator()(const char* name, AddedLater a) const { (*this)(name, a.value); }
  template <class T> void operator()(const char* name, std::vector<T>& v) const { ck.put<T>(key(name), v); }
  static std::string key(const char* name) { return std::string("trainer.") + name; }
};
struct GetState {
  const Safetensors& ck;
  void operator()(const char* name, int64_t& v) const { v = ck.get<int64_t>(PutState::key(name), 1)[0]; }
  void operator()(const char* name, uint64_t& v) const {
    v = static_cast<uint64_t>(ck.get<int64_t>(PutState::key(name), 1)[0]);
  }
  void operator()(const char* name, Rng& r) const {
    r.set_counter(static_cast<uint64_t>(ck.get<int64_t>(PutState::key(name), 1)[0]));
  }
  void operator()(const char* name, double& v) const { v = ck.get<double>(PutState::key(name), 1)[0]; }
  void operator()(const char* name, AddedLater a) const {
    if (ck.has(PutState::key(name))) (*this)(name, a.value);
    else a.value = a.absent;
  }
  template <class T> void operator()(const char* name, std::vector<T>& v) const { v = ck.get<T>(PutState::key(name)); }
};

}  // namespace maac::rl
