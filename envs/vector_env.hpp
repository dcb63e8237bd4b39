// N environments stepped in parallel threads (OpenMP, a static partition), for
// evaluation. Each env is touched by one thread per call and envs share nothing
// mutable, so results are identical to stepping them one by one.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "envs/env.hpp"

namespace maac::envs {

class VectorEnv {
 public:
  // threads <= 0: one per hardware thread (capped at the number of envs).
  VectorEnv(std::vector<std::unique_ptr<Env>> envs, int threads = 0);
  // n envs made by factory(i).
  VectorEnv(int n, const std::function<std::unique_ptr<Env>(int)>& factory, int threads = 0);

  int size() const { return static_cast<int>(envs_.size()); }
  int threads() const { return threads_; }
  void set_threads(int threads);
  Env& env(int i) { return *envs_.at(static_cast<size_t>(i)); }

  // Resets env i with seeds[i]; returns the observations [N, obs_dim] row-major.
  std::vector<double> reset(std::span<const uint64_t> seeds);
  // Steps every env whose episode is running with its row of `actions` [N, act_dim];
  // envs whose episode has ended are skipped and keep their last result (running()
  // says which stepped). An exception in any env is rethrown after all threads finish.
  const std::vector<StepResult>& step(std::span<const double> actions);

  const std::vector<StepResult>& results() const { return results_; }
  bool running(int i) const { return envs_.at(static_cast<size_t>(i))->episode_running(); }
  bool any_running() const;

 private:
  std::vector<std::unique_ptr<Env>> envs_;
  std::vector<StepResult> results_;
  int threads_ = 1;
  int obs_dim_ = 0, act_dim_ = 0;
};

}  // namespace maac::envs
