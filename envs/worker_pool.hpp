// A fixed set of threads that run one job together and block (no spinning) between
// jobs. The VectorEnv uses it instead of OpenMP: on a machine shared with other work,
// OpenMP's spin-waiting workers were 3-4x slower than one thread (docs/envs.md).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace maac::envs {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);  // threads >= 1; the calling thread is worker 0
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return threads_; }
  // Calls job(w) once for every worker w in [0, size()) in parallel and returns when all
  // are done. job must not throw (catch inside and report back).
  void run(const std::function<void(int)>& job);

 private:
  void loop(int worker);

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace maac::envs
