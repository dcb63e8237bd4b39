// One piece of device work run op by op a few times, then captured once as a CUDA graph
// and replayed (DESIGN decision 2: an update has static shapes). The captured updates of
// rl/ use it; it links in every build. The fallback: without the CUDA backend, with
// capture turned off, or for work on the default stream (a cpu tape's), every run is op
// by op and nothing is ever captured.
//
// Warm-up rule: the first kWarmupRuns = 2 runs are op by op, the third captures. A cuda
// tape's arenas (autodiff/device_arena.hpp) grow by adding chunks during the first run;
// the second run's tape.reset() merges them into one chunk of the peak size, which waits
// for the stream and calls cudaMalloc, neither of which a capture allows, and then runs
// at the addresses every later run reuses. One-time allocations made on first use (the
// cuBLAS handle and workspace, Adam's device step count) also happen in the first run.
// From the third run on, reset() only rewinds: the work allocates nothing, never waits
// for the host, and records the same kernels at the same addresses, so it can be
// captured and the graph stays valid. Every run, warm-up or replay, does the real work.
//
// Rules for the work (docs/cuda.md, "CUDA graphs of the updates"): it runs on a stream
// the caller created (a cuda tape's), allocates nothing once warmed up, never reads
// device values on the host nor uploads pageable host data; inputs that change between
// replays are written to fixed device addresses before run(), and noise comes from
// generators whose counter lives on the device (DeviceNoise).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "autodiff/device.hpp"

namespace maac {

class CapturedGraph {
 public:
  static constexpr int64_t kWarmupRuns = 2;  // op-by-op runs before the capture (see above)

  // `who` names the owner in error messages; `on_capture_failure` is appended to the
  // message of a failed capture (what in the work may read or upload host data).
  // capture = false: every run is op by op (tests compare the two paths with it).
  explicit CapturedGraph(std::string who, std::string on_capture_failure = {}, bool capture = true);
  ~CapturedGraph();
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;

  // One run of `work`, whose device work is queued on `stream`: op by op during the
  // warm-up (or always: the fallback above), else the graph,
  // captured from `work` on the first such run. Returns true when the graph was launched
  // (asynchronously: read results after a wait on `stream`). A failed capture throws
  // std::runtime_error naming `who`; nothing of the work has run then, and the next run
  // tries to capture again.
  bool run(cuda::Stream stream, const std::function<void()>& work);
  // Runs `work` op by op now, even once captured (benchmarks, tests). It counts as a run;
  // the graph stays valid as long as `work` records the same kernels at the same addresses.
  void run_op_by_op(const std::function<void()>& work);
  // Drops the graph: a kernel argument of the work changed (a size, a count). The next run
  // captures again, without a new warm-up (the arenas are already sized).
  void recapture();

  bool captured() const;
  size_t graph_nodes() const;  // 0 until captured
  int64_t runs() const { return runs_; }
  bool capture_enabled() const { return capture_; }

 private:
  struct Graph;  // a cuda::Graph in CUDA builds, empty otherwise
  std::string who_, on_failure_;
  bool capture_;
  std::unique_ptr<Graph> graph_;
  int64_t runs_ = 0;
};

}  // namespace maac
