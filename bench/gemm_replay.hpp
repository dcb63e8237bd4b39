// A GEMM-only replay of exactly the GEMMs some engine code calls: record them once with
// cpu::GemmRecorder (shape, transposes, batch), then replay the same calls through
// cpu::gemm / cpu::gemm_strided_batched with nothing else in between. The baseline of the
// engine-vs-replay benchmarks (bench_maac_update, bench_train_update).
#pragma once
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/gemm.hpp"

namespace maac::bench {

class GemmReplay {
 public:
  // Records every CPU GEMM that fn() calls on this thread (fn runs once, for real).
  template <class Fn> static GemmReplay record(Fn&& fn) {
    std::vector<cpu::GemmCall> calls;
    const int threads = cpu::threads();
    cpu::set_threads(1);  // the recorder sees this thread's GEMMs only
    {
      cpu::GemmRecorder recorder;
      fn();
      calls = recorder.calls();
    }
    cpu::set_threads(threads);
    return GemmReplay(std::move(calls));
  }

  explicit GemmReplay(std::vector<cpu::GemmCall> calls) : calls_(std::move(calls)) {
    // Every call reads and writes its own buffers, as the engine's GEMMs do: one shared
    // buffer would keep the replay's operands hot in cache and flatter it. What the
    // recorder does not keep, the replay cannot repeat: operands are dense (no padded
    // leading dimensions), a batch's matrices are distinct (the engine broadcasts one
    // input to every member with stride 0 in all-members layers), and beta is 0 (the
    // engine's backward GEMMs accumulate, beta 1, which also reads C).
    for (const cpu::GemmCall& g : calls_) {
      if (g.is_double)
        throw std::logic_error("GemmReplay: a double-precision GEMM was recorded (" + std::to_string(g.m) + " x " +
                               std::to_string(g.n) + " x " + std::to_string(g.k) + "); the replay is float32 only");
      a_.emplace_back(static_cast<size_t>(g.batch * g.m * g.k), 0.01f);
      b_.emplace_back(static_cast<size_t>(g.batch * g.k * g.n), 0.01f);
      c_.emplace_back(static_cast<size_t>(g.batch * g.m * g.n), 0.0f);
      flops_ += g.flops();
    }
  }

  void run() {
    using cpu::Trans;
    for (size_t i = 0; i < calls_.size(); ++i) {
      const cpu::GemmCall& g = calls_[i];
      const int64_t lda = g.ta == Trans::no ? g.k : g.m, ldb = g.tb == Trans::no ? g.n : g.k;
      if (g.batch == 1)
        cpu::gemm<float>(g.ta, g.tb, g.m, g.n, g.k, 1.f, a_[i].data(), lda, b_[i].data(), ldb, 0.f, c_[i].data(), g.n);
      else
        cpu::gemm_strided_batched<float>(g.ta, g.tb, g.m, g.n, g.k, 1.f, a_[i].data(), lda, g.m * g.k, b_[i].data(),
                                         ldb, g.k * g.n, 0.f, c_[i].data(), g.n, g.m * g.n, g.batch);
    }
  }

  const std::vector<cpu::GemmCall>& calls() const { return calls_; }
  double flops() const { return flops_; }
  // Operand and result bytes the replay touches per run (its working set).
  double bytes() const {
    double n = 0;
    for (size_t i = 0; i < calls_.size(); ++i) n += double(a_[i].size() + b_[i].size() + c_[i].size());
    return 4 * n;
  }

 private:
  std::vector<cpu::GemmCall> calls_;
  std::vector<std::vector<float>> a_, b_, c_;  // operands of call i
  double flops_ = 0;
};

// The recorded calls grouped by shape (transposes, m x n x k, batch), biggest FLOP share first.
inline void print_gemm_shapes(const std::vector<cpu::GemmCall>& calls) {
  std::map<std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t>, std::pair<int64_t, double>> shapes;
  double total = 0;
  for (const cpu::GemmCall& g : calls) {
    auto& [count, flops] = shapes[{g.ta == cpu::Trans::yes, g.tb == cpu::Trans::yes, g.m, g.n, g.k, g.batch}];
    ++count;
    flops += g.flops();
    total += g.flops();
  }
  std::vector<std::pair<double, std::string>> lines;
  for (const auto& [s, v] : shapes) {
    const auto& [ta, tb, m, n, k, batch] = s;
    lines.emplace_back(v.second, fmt::format("{:>5} x  {}{} {:>5} x {:>5} x {:>5}  batch {:>3}  {:>8.4f} GFLOP {:>5.1f}%",
                                             v.first, ta ? "T" : "N", tb ? "T" : "N", m, n, k, batch, v.second * 1e-9,
                                             100 * v.second / total));
  }
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  fmt::print("GEMMs by shape (calls x  op(A)op(B) m x n x k, batch, FLOPs):\n");
  for (const auto& l : lines) fmt::print("  {}\n", l.second);
}

}  // namespace maac::bench
