// Splitting one CPU kernel call across the CPU threads (cpu::set_threads).
// Small GEMMs split badly inside the BLAS libraries (their own threading syncs per
// packed panel), so the libraries always run single-threaded and the CPU backend splits
// each large enough call itself into static, contiguous parts run by the WorkerPool: the
// same parts on every run with the same thread count (exact resume), whichever thread
// happens to run each.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cpu/worker_pool.hpp"

namespace maac::cpu {

// The thread count set by cpu::set_threads (1 by default).
int threads();

// How many parts a call of this much work should be split into: 1 when a split costs more
// than it saves, or when already inside a parallel part.
inline int parts_for(double work, double min_work_per_part) {
  const int t = threads();
  if (t <= 1 || WorkerPool::in_part()) return 1;
  return static_cast<int>(std::clamp<double>(work / min_work_per_part, 1.0, double(t)));
}

// [begin, end) of part p of `parts` over `count` items, boundaries on multiples of `align`.
struct Range {
  int64_t begin, end;
  int64_t size() const { return end - begin; }
};
inline Range part_range(int64_t count, int p, int parts, int64_t align = 1) {
  auto edge = [&](int q) {
    if (q >= parts) return count;
    const int64_t raw = count * q / parts;
    return std::min(count, (raw + align / 2) / align * align);
  };
  return {edge(p), edge(p + 1)};
}

// Calls fn(p) for p = 0 .. parts-1 on the pool's threads. fn must not throw.
template <class Fn> void run_parts(int parts, Fn&& fn) {
  if (parts <= 1) return fn(0);
  WorkerPool::shared(threads()).run(
      parts, [](void* ctx, int p) { (*static_cast<std::remove_reference_t<Fn>*>(ctx))(p); }, &fn);
}

// Below this many FLOPs per part a GEMM stays on one thread: a part handed to a worker
// costs about a microsecond, a tenth of what 1 MFLOP takes at a single-thread SGEMM rate.
constexpr double kMinFlopsPerPart = 1e6;

// Element-wise work below this many elements per part stays on one thread (a few
// microseconds of copying or arithmetic, about a fork and a join).
constexpr int64_t kMinElementsPerPart = 16384;

// fn(begin, end) over [0, count) in contiguous parts, when count items of `elements_per_item`
// each are worth splitting. Each item is handled by one thread: no partial sums to combine.
template <class Fn> void parallel_range(int64_t count, int64_t elements_per_item, Fn&& fn) {
  const int parts = static_cast<int>(
      std::min<int64_t>(parts_for(double(count) * double(elements_per_item), double(kMinElementsPerPart)), count));
  run_parts(std::max(parts, 1), [&](int p) {
    const Range r = part_range(count, p, std::max(parts, 1));
    if (r.size() > 0) fn(r.begin, r.end);
  });
}

}  // namespace maac::cpu
