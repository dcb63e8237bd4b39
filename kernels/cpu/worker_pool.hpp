// The CPU backend's worker threads: one call split into parts that the calling thread and
// the workers claim one at a time. The caller never waits for a worker to arrive, only
// for parts a worker has already claimed, so a worker that the OS has descheduled (another
// job on the core) costs nothing: the caller runs the remaining parts itself. OpenMP's
// fork and join would wait at its barrier for that thread instead (5-40x slower updates
// on a loaded 2-core machine).
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace maac::cpu {

class WorkerPool {
 public:
  // workers: threads besides the caller (threads() - 1).
  explicit WorkerPool(int workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }
  // Calls fn(ctx, p) for p = 0 .. parts-1, each exactly once, and returns when all are done.
  // One call at a time (the CPU backend is driven by one thread); fn must not throw.
  void run(int parts, void (*fn)(void* ctx, int part), void* ctx);

  // The pool of the current thread count, made on first use and remade when it changes.
  static WorkerPool& shared(int threads);
  // True inside a part (a nested split runs inline).
  static bool in_part();

 private:
  void work();
  // Claims and runs parts of the posted job until none are left; returns how many it ran.
  int help(uint64_t job);

  // ticket: job number (32 bits) | parts (16) | next unclaimed part (16); one CAS claims.
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  std::vector<std::thread> threads_;
};

}  // namespace maac::cpu
