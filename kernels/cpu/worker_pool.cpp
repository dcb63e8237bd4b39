#include "kernels/cpu/worker_pool.hpp"

#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace maac::cpu {
namespace {

thread_local bool t_in_part = false;

constexpr uint64_t job_of(uint64_t t) { return t >> 32; }
constexpr int parts_of(uint64_t t) { return int((t >> 16) & 0xffff); }
constexpr int next_of(uint64_t t) { return int(t & 0xffff); }

// A worker spins this long for the next job before it sleeps: within an update jobs come
// every few to few hundred microseconds (the serial stretches between them: noise draws,
// small ops), and waking a sleeper costs the caller a syscall and the worker tens of
// microseconds, by when the caller has often run every part itself.
constexpr auto kSpinTime = std::chrono::milliseconds(2);

}  // namespace

WorkerPool::WorkerPool(int workers) {
  if (workers < 0 || workers > 255)
    throw std::invalid_argument("WorkerPool: " + std::to_string(workers) + " workers, expected 0 to 255");
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  stop_.store(true);
  ticket_.fetch_add(uint64_t(1) << 32);  // wakes every sleeper with a job that has no parts
  ticket_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::in_part() { return t_in_part; }

int WorkerPool::help(uint64_t job) {
  int ran = 0;
  uint64_t t = ticket_.load(std::memory_order_acquire);
  while (job_of(t) == job && next_of(t) < parts_of(t)) {
    if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) continue;
    // The part is ours; the caller waits for it, so fn_ and ctx_ stay this job's.
    t_in_part = true;
    fn_(ctx_, next_of(t));
    t_in_part = false;
    done_.fetch_add(1, std::memory_order_release);
    ++ran;
    t = ticket_.load(std::memory_order_acquire);
  }
  return ran;
}

void WorkerPool::work() {
  // Debian's OpenBLAS (OpenMP build) sizes its own team from the calling thread's OpenMP
  // setting, which a new thread takes from the core count: one thread, as on the caller.
  omp_set_num_threads(1);
  uint64_t seen = ticket_.load(std::memory_order_acquire);
  while (!stop_.load(std::memory_order_relaxed)) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    for (int spin = 1; job_of(t) == job_of(seen); ++spin) {
      _mm_pause();
      t = ticket_.load(std::memory_order_acquire);
      if (spin % 256 == 0 && std::chrono::steady_clock::now() > spin_until) break;
    }
    if (job_of(t) == job_of(seen)) {
      sleepers_.fetch_add(1);
      ticket_.wait(t);  // returns when the ticket changes (a new job, a claim or stop)
      sleepers_.fetch_sub(1);
      continue;
    }
    seen = t;
    help(job_of(t));
  }
}

void WorkerPool::run(int parts, void (*fn)(void*, int), void* ctx) {
  if (parts <= 0) return;
  if (threads_.empty() || parts == 1 || t_in_part) {
    for (int p = 0; p < parts; ++p) fn(ctx, p);
    return;
  }
  if (parts > 0xffff) throw std::invalid_argument("WorkerPool::run: " + std::to_string(parts) + " parts, expected <= 65535");
  fn_ = fn;
  ctx_ = ctx;
  done_.store(0, std::memory_order_relaxed);
  const uint64_t job = job_of(ticket_.load(std::memory_order_relaxed)) + 1;
  ticket_.store((job << 32) | (uint64_t(parts) << 16));
  if (sleepers_.load() > 0) ticket_.notify_all();
  help(job);
  // Only parts a worker has claimed remain: wait for those.
  while (done_.load(std::memory_order_acquire) < parts) _mm_pause();
}

WorkerPool& WorkerPool::shared(int threads) {
  static std::mutex mutex;
  static std::unique_ptr<WorkerPool> pool;
  std::lock_guard<std::mutex> lock(mutex);
  if (!pool || pool->workers() != threads - 1) {
    pool.reset();
    pool = std::make_unique<WorkerPool>(threads - 1);
  }
  return *pool;
}

}  // namespace maac::cpu
