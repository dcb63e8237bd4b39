// Shared by the engine-vs-replay benchmarks: the (mode, threads, GEMM library) cases,
// GFLOP counters, the machine's GEMM ceiling, and a main that runs every case as
// interleaved repetitions (the 2-vCPU machines here are noisy), then prints the median
// engine / replay ratio for each case.
#pragma once
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.hpp"

namespace maac::bench {

// Args {mode (0 all members, 1 routed), threads, GEMM library (0 Eigen only, 1 the
// automatic choice: OpenBLAS for big shapes)}, for BENCHMARK(...)->Apply(modes_and_threads).
inline void modes_and_threads(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2})
    for (int gemm : {0, 1})
      for (int mode : {0, 1}) b->Args({mode, threads, gemm});
  b->ArgNames({"routed", "threads", "gemm"})->Unit(benchmark::kMillisecond)->MinTime(0.5);
}
inline const char* gemm_label(int64_t arg) { return arg ? "auto" : "eigen"; }

// Sets the case's threads and GEMM library; returns whether the case is routed.
inline bool apply_case(benchmark::State& st) {
  cpu::set_threads(static_cast<int>(st.range(1)));
  cpu::set_gemm_backend(st.range(2) ? cpu::GemmBackend::automatic : cpu::GemmBackend::eigen);
  return st.range(0) == 1;
}

// The machine's GEMM ceiling: the best OpenBLAS SGEMM rate on 2048^3 (GFLOP/s), the
// most any sequence of GEMMs can reach here.
inline double gemm_ceiling_gflops(int threads) {
  const int64_t n = 2048;
  std::vector<float> a(size_t(n * n), 0.5f), b(size_t(n * n), 0.25f), c(size_t(n * n));
  cpu::set_threads(threads);
  cpu::set_gemm_backend(cpu::GemmBackend::openblas);
  double best = 1e30;
  for (int rep = 0; rep < 4; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    cpu::gemm<float>(cpu::Trans::no, cpu::Trans::no, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  cpu::set_gemm_backend(cpu::GemmBackend::automatic);
  return 2.0 * double(n * n * n) / best * 1e-9;
}

inline void set_gflop_counters(benchmark::State& st, double flops) {
  st.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["GFLOP"] = flops * 1e-9;
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter(std::string engine, std::string replay) : engine_(std::move(engine)), replay_(std::move(replay)) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    // Medians when repetitions ran, single runs otherwise; keyed by name without suffix.
    for (const Run& r : runs) {
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (median || (r.run_type == Run::RT_Iteration && !times_.count(r.run_name.str())))
        times_[r.run_name.str()] = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    fmt::print("\n{:<10} {:>8} {:>6} {:>12} {:>12} {:>8}   (medians)\n", "mode", "threads", "gemm", "engine ms",
               "replay ms", "ratio");
    for (int threads : {1, 2})
      for (int gemm : {0, 1})
        for (int mode : {0, 1}) {
          std::string args = fmt::format("/routed:{}/threads:{}/gemm:{}", mode, threads, gemm);
          auto e = find(engine_ + args), g = find(replay_ + args);
          if (e < 0 || g < 0) continue;  // filtered out
          fmt::print("{:<10} {:>8} {:>6} {:>12.3f} {:>12.3f} {:>8.2f}\n", mode ? "routed" : "all", threads,
                     gemm_label(gemm), e, g, e / g);
        }
  }

 private:
  double find(const std::string& prefix) const {
    for (const auto& [name, t] : times_)
      if (name.rfind(prefix, 0) == 0) return t;
    return -1;
  }
  std::string engine_, replay_;
  std::map<std::string, double> times_;
};

// main() of such a benchmark: correctness check first, then the runs, then the table.
inline int run_ratio_benchmarks(int argc, char** argv, const std::string& engine, const std::string& replay,
                                const std::function<void()>& check) {
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=5", inter = "--benchmark_enable_random_interleaving=true",
              agg = "--benchmark_report_aggregates_only=true";
  bool user_reps = false;
  for (int i = 1; i < argc; ++i) user_reps = user_reps || std::string(argv[i]).rfind("--benchmark_repetitions", 0) == 0;
  if (!user_reps) {
    args.push_back(reps.data());
    args.push_back(inter.data());
    args.push_back(agg.data());
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  check();
  fmt::print("ceiling: OpenBLAS SGEMM 2048^3 = {:.1f} GFLOP/s on 1 thread, {:.1f} on 2\n", gemm_ceiling_gflops(1),
             gemm_ceiling_gflops(2));
  RatioReporter reporter(engine, replay);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace maac::bench
