// What a run writes besides its checkpoint: progress.csv (a row per evaluation),
// iterations.csv (a row per iteration) and model_error.csv (the model's open-loop error by
// horizon, long format); docs/training.md documents every column. Each log keeps exactly
// the rows its checkpoint counted, so a resumed run continues it as if never stopped.
// The TensorBoard event file holds the same values: an event per progress.csv row and per
// iteration (its iterations.csv row and model error), each value the float32 nearest the
// CSV cell, so the two never disagree.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "rl/run_probe.hpp"
#include "rl/tensorboard_writer.hpp"
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

using Scalars = std::vector<std::pair<std::string, float>>;

// A CSV cell as TensorBoard's float32 ("nan" included).
float cell_value(const std::string& cell) { return static_cast<float>(std::strtod(cell.c_str(), nullptr)); }

std::vector<std::string> split_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream s(row);
  for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
  return cells;
}

// A row's cells as "<prefix>/<column>" scalars; its env_steps cell is the event's step.
Scalars row_scalars(const std::string& prefix, const std::vector<std::string>& columns,
                    const std::vector<std::string>& cells, int64_t& step) {
  Scalars out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == "env_steps") step = static_cast<int64_t>(std::strtod(cells[i].c_str(), nullptr));
    else out.emplace_back(prefix + "/" + columns[i], cell_value(cells[i]));
  }
  return out;
}

std::vector<std::string> cells_of(const std::vector<double>& values) {
  std::vector<std::string> cells;
  for (double v : values) cells.push_back(ProgressLog::cell(v));
  return cells;
}

std::string model_error_tag(const std::string& k) { return "model_error/k" + k; }

}  // namespace

std::string Trainer::event_file_path(const std::string& out_dir) {
  return (std::filesystem::path(out_dir) / "events.out.tfevents.maac").string();
}

void Trainer::open_logs(bool resume) {
  namespace fs = std::filesystem;
  const State& st = *state_;
  log_ = std::make_unique<ProgressLog>((fs::path(out_dir_) / "progress.csv").string(), kColumns,
                                       resume ? st.log_rows : 0);
  iteration_log_ = std::make_unique<ProgressLog>((fs::path(out_dir_) / "iterations.csv").string(), kIterationColumns,
                                                 resume ? st.iteration_rows : 0);
  model_error_log_ = std::make_unique<ProgressLog>((fs::path(out_dir_) / "model_error.csv").string(),
                                                   kModelErrorColumns, resume ? st.model_error_rows : 0);
  // The event file keeps its version record and one record per row each log kept.
  const std::string events = event_file_path(out_dir_);
  if (!resume || fs::exists(events)) {
    events_ = std::make_unique<EventFile>(events, resume ? 1 + st.log_rows + st.iteration_rows : 0);
    return;
  }
  // A run begun before maac wrote event files: its kept rows go into a new one.
  events_ = std::make_unique<EventFile>(events, 0);
  for (const std::string& row : log_->kept_rows()) {
    int64_t step = 0;
    Scalars values = row_scalars("progress", kColumns, split_cells(row), step);
    events_->write_scalars(step, values);
  }
  const std::vector<std::string>& errors = model_error_log_->kept_rows();
  size_t next_error = 0;
  for (const std::string& row : iteration_log_->kept_rows()) {
    const std::vector<std::string> cells = split_cells(row);
    int64_t step = 0;
    Scalars values = row_scalars("iterations", kIterationColumns, cells, step);
    // model_error.csv rows of this iteration (same iteration cell), in order.
    for (; next_error < errors.size(); ++next_error) {
      const std::vector<std::string> e = split_cells(errors[next_error]);
      if (e[0] != cells[0]) break;
      values.emplace_back(model_error_tag(e[2]), cell_value(e[3]));
    }
    events_->write_scalars(step, values);
  }
}

void Trainer::log_row() {
  State& st = *state_;
  double now = st.elapsed();
  double rate = now > st.time_at_last_row ? (st.updates - st.updates_at_last_row) / (now - st.time_at_last_row) : 0.0;
  st.updates_at_last_row = st.updates;
  st.time_at_last_row = now;
  const std::vector<double> row{static_cast<double>(st.env_steps), now, static_cast<double>(st.iteration),
                                static_cast<double>(st.episodes), st.last_train_return, st.last_eval, st.actor_loss,
                                st.critic_loss, st.model_nll, agent_->alpha(), static_cast<double>(st.updates),
                                static_cast<double>(st.skipped), rate, resident_memory_mb()};
  log_->write(row);
  int64_t step = st.env_steps;
  const Scalars values = row_scalars("progress", kColumns, cells_of(row), step);
  events_->write_scalars(step, values);
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
  const bool fitted = agent_->uses_model();
  const std::vector<double> row{static_cast<double>(st.iteration), static_cast<double>(st.env_steps), st.elapsed(),
       static_cast<double>(st.updates), static_cast<double>(st.skipped), fitted ? double(st.fit_epochs) : NAN,
       fitted ? double(st.fit_early_stop) : NAN, fitted ? double(st.fit_train_rows) : NAN,
       fitted ? double(st.fit_holdout_rows) : NAN, st.fit_nll, st.fit_mse,
       fitted ? double(st.fit_members_improved) : NAN, mean_or_nan(st.grad_norm_sum, st.grad_norm_count),
       mean_or_nan(st.terminal_share_sum, st.terminal_share_count), static_cast<double>(real_->size()),
       model_ ? static_cast<double>(model_->size()) : NAN};
  iteration_log_->write(row);
  int64_t step = st.env_steps;
  Scalars values = row_scalars("iterations", kIterationColumns, cells_of(row), step);
  for (size_t k = 0; k < st.model_error.size(); ++k) {
    model_error_log_->write({static_cast<double>(st.iteration), static_cast<double>(st.env_steps),
                             static_cast<double>(k + 1), st.model_error[k]});
    values.emplace_back(model_error_tag(std::to_string(k + 1)), cell_value(ProgressLog::cell(st.model_error[k])));
    ++st.model_error_rows;
  }
  events_->write_scalars(step, values);
  ++st.iteration_rows;
  st.model_error.clear();
  st.grad_norm_sum = st.terminal_share_sum = 0;
  st.grad_norm_count = st.terminal_share_count = 0;
}

}  // namespace maac::rl
