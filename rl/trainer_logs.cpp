// What a run writes besides its checkpoint: progress.csv (a row per evaluation),
// iterations.csv (a row per iteration) and model_error.csv (the model's open-loop error by
// horizon, long format); docs/training.md documents every column. Each log keeps exactly
// the rows its checkpoint counted, so a resumed run continues it as if never stopped.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "rl/run_probe.hpp"
#include "rl/trainer.hpp"
#include "rl/trainer_state.hpp"

namespace maac::rl {
namespace {

const std::vector<std::string> kColumns{"env_steps",   "wall_time",   "iteration", "episodes",     "train_return",
                                        "eval_return", "actor_loss",  "critic_loss", "model_nll",  "alpha",
                                        "updates",     "skipped_updates", "updates_per_sec", "rss_mb"};
// iterations.csv: one row per finished iteration (docs/training.md, "Diagnostics").
const std::vector<std::string> kIterationColumns{
    "iteration",        "env_steps",       "wall_time",    "updates",         "skipped_updates",
    "fit_epochs",       "fit_early_stop",  "fit_train_rows", "fit_holdout_rows", "holdout_nll",
    "holdout_mse",      "members_improved", "actor_grad_norm", "terminal_share", "real_buffer",
    "model_buffer"};
// model_error.csv, long format: the open-loop k-step model error of each iteration.
const std::vector<std::string> kModelErrorColumns{"iteration", "env_steps", "k", "error"};

}  // namespace

void Trainer::open_logs(bool resume) {
  namespace fs = std::filesystem;
  const State& st = *state_;
  log_ = std::make_unique<ProgressLog>((fs::path(out_dir_) / "progress.csv").string(), kColumns,
                                       resume ? st.log_rows : 0);
  iteration_log_ = std::make_unique<ProgressLog>((fs::path(out_dir_) / "iterations.csv").string(), kIterationColumns,
                                                 resume ? st.iteration_rows : 0);
  model_error_log_ = std::make_unique<ProgressLog>((fs::path(out_dir_) / "model_error.csv").string(),
                                                   kModelErrorColumns, resume ? st.model_error_rows : 0);
}

void Trainer::log_row() {
  State& st = *state_;
  double now = st.elapsed();
  double rate = now > st.time_at_last_row ? (st.updates - st.updates_at_last_row) / (now - st.time_at_last_row) : 0.0;
  st.updates_at_last_row = st.updates;
  st.time_at_last_row = now;
  log_->write({static_cast<double>(st.env_steps), now, static_cast<double>(st.iteration), static_cast<double>(st.episodes),
               st.last_train_return, st.last_eval, st.actor_loss, st.critic_loss, st.model_nll, agent_->alpha(),
               static_cast<double>(st.updates), static_cast<double>(st.skipped), rate, resident_memory_mb()});
  ++st.log_rows;
}

int64_t Trainer::diagnostic_horizon() const {
  // k = 1..H of the actor's horizon, or of the longest rollout (MBPO), at least 1.
  const std::vector<double>& r = options_.rollout_schedule;
  const int64_t longest_rollout = static_cast<int64_t>(std::max(r[2], r[3]));
  return std::max<int64_t>({1, agent_->options().objective.horizon, longest_rollout});
}

void Trainer::log_iteration() {
  State& st = *state_;
  auto mean_or_nan = [](double sum, int64_t n) { return n > 0 ? sum / static_cast<double>(n) : NAN; };
  const bool fitted = model_ != nullptr;
  iteration_log_->write(
      {static_cast<double>(st.iteration), static_cast<double>(st.env_steps), st.elapsed(),
       static_cast<double>(st.updates), static_cast<double>(st.skipped), fitted ? double(st.fit_epochs) : NAN,
       fitted ? double(st.fit_early_stop) : NAN, fitted ? double(st.fit_train_rows) : NAN,
       fitted ? double(st.fit_holdout_rows) : NAN, st.fit_nll, st.fit_mse,
       fitted ? double(st.fit_members_improved) : NAN, mean_or_nan(st.grad_norm_sum, st.grad_norm_count),
       mean_or_nan(st.terminal_share_sum, st.terminal_share_count), static_cast<double>(real_->size()),
       model_ ? static_cast<double>(model_->size()) : NAN});
  ++st.iteration_rows;
  for (size_t k = 0; k < st.model_error.size(); ++k) {
    model_error_log_->write({static_cast<double>(st.iteration), static_cast<double>(st.env_steps),
                             static_cast<double>(k + 1), st.model_error[k]});
    ++st.model_error_rows;
  }
  st.model_error.clear();
  st.grad_norm_sum = st.terminal_share_sum = 0;
  st.grad_norm_count = st.terminal_share_count = 0;
}

}  // namespace maac::rl
