// Algorithm 1 end to end: random exploration, then iterations of real data collection,
// ensemble fitting, model rollouts and actor-critic updates on mixed batches, with
// evaluation, progress.csv, checkpoints and exact resume.
//
// The loop is a resumable state machine: its position (phase, counters, the current
// episode's seed and actions) is part of every checkpoint, so a run stopped anywhere
// (step limit, SIGINT, SIGTERM) continues exactly as if never stopped.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "envs/env.hpp"
#include "rl/agent.hpp"
#include "rl/progress_log.hpp"
#include "rl/run_probe.hpp"
#include "rl/tensorboard_writer.hpp"
#include "rl/trainer_config.hpp"

namespace maac::rl {

// Set by SIGINT / SIGTERM (install_stop_signals); the trainer checks it often.
std::atomic<bool>& stop_requested();
void install_stop_signals();
// The signal that set stop_requested (0: none): `maac train` exits 128 + it after the
// checkpoint, so a scheduler (Slurm) sees the run as stopped, not finished.
int stop_signal();

struct TrainResult {
  int64_t env_steps = 0;
  bool interrupted = false;
  bool reached_target = false;  // stopped early: an evaluation reached run.stop_at_return
  double last_eval_return = NAN;
  int64_t skipped_updates = 0;
};

class Trainer {
 public:
  // out_dir receives config.toml, progress.csv (and the other logs, the TensorBoard event
  // file), checkpoint.safetensors and best.safetensors.
  // resume: continue from out_dir's checkpoint (its config must match, except
  // run.total_steps, which may grow).
  Trainer(const Config& config, std::string out_dir, bool resume, bool quiet = false);
  ~Trainer();
  TrainResult run();

  Agent& agent() { return *agent_; }
  const TrainerOptions& options() const { return options_; }
  static std::string checkpoint_path(const std::string& out_dir);
  // best.safetensors: the agent at the best evaluation so far (a maac-checkpoint-2 file
  // holding the agent and config only, no trainer state or buffers).
  static std::string best_path(const std::string& out_dir);
  // The TensorBoard event file beside progress.csv.
  static std::string event_file_path(const std::string& out_dir);

 private:
  struct State;
  void advance();  // Algorithm 1, one unit of work
  void begin_iteration();
  void end_collection();
  void end_iteration();
  void start_episode_if_needed();
  void random_step();
  void policy_step();
  void env_step(const std::vector<float>& action);
  void after_unit();
  void fit_model();
  int64_t diagnostic_horizon() const;
  void log_iteration();
  void update_block();
  double evaluate();
  void open_logs(bool resume);
  void log_row();
  void save_checkpoint();
  void save_best();
  void load_checkpoint(const Safetensors& ck, const std::string& path);

  Config config_;
  std::string out_dir_;
  bool quiet_;
  TrainerOptions options_;
  std::unique_ptr<envs::Env> env_;
  std::unique_ptr<envs::Env> video_env_;  // run.eval_video's, made at the first evaluation
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<ReplayBuffer> real_, model_;
  std::unique_ptr<State> state_;
  std::unique_ptr<ProgressLog> log_, iteration_log_, model_error_log_;
  std::unique_ptr<EventFile> events_;
  std::unique_ptr<PhaseMarker> phase_;
};

}  // namespace maac::rl
