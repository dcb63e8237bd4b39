// Shared by the engine-vs-replay benchmarks: the cases ((mode, threads, GEMM library), or
// threads alone), GFLOP counters, the machine's GEMM ceiling, and a main that runs every
// case as interleaved repetitions (the 2-vCPU machines here are noisy), then prints the
// median engine / replay ratio for each case, and where asked the engine against the
// floor that the SGEMM ceiling sets.
#pragma once
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
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

// Args {threads} alone, the GEMM library left on its automatic choice: for benchmarks of
// work that has one mode (a whole agent update).
inline void threads_only(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) b->Args({threads});
  b->ArgNames({"threads"})->Unit(benchmark::kMillisecond)->MinTime(0.5);
}

// Sets the case's threads and GEMM library; returns whether the case is routed.
inline bool apply_case(benchmark::State& st) {
  cpu::set_threads(static_cast<int>(st.range(1)));
  cpu::set_gemm_backend(st.range(2) ? cpu::GemmBackend::automatic : cpu::GemmBackend::eigen);
  return st.range(0) == 1;
}

// The same for threads_only cases.
inline void apply_threads(benchmark::State& st) {
  cpu::set_threads(static_cast<int>(st.range(0)));
  cpu::set_gemm_backend(cpu::GemmBackend::automatic);
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

// The closing table: one row per case, found by the argument suffix of its benchmark
// names ("/threads:2"), shown with a preformatted label under label_header.
struct RatioRow {
  std::string args, label;
  int threads;
};
struct RatioTable {
  std::string label_header;
  std::vector<RatioRow> rows;
  // Also the GFLOP count, the engine's GFLOP/s and engine / floor, where floor = the
  // engine run's GFLOP counter at the SGEMM ceiling of 2 threads (and, on 1-thread rows,
  // of 1 thread): the least time any code could take for these FLOPs on this machine.
  bool vs_floor = false;
};

// The table of modes_and_threads cases.
inline RatioTable modes_and_threads_table() {
  RatioTable t{fmt::format("{:<10} {:>8} {:>6}", "mode", "threads", "gemm"), {}, false};
  for (int threads : {1, 2})
    for (int gemm : {0, 1})
      for (int mode : {0, 1})
        t.rows.push_back({fmt::format("/routed:{}/threads:{}/gemm:{}", mode, threads, gemm),
                          fmt::format("{:<10} {:>8} {:>6}", mode ? "routed" : "all", threads, gemm_label(gemm)), threads});
  return t;
}

// The table of threads_only cases, against the floor.
inline RatioTable threads_table() {
  RatioTable t{fmt::format("{:>8}", "threads"), {}, true};
  for (int threads : {1, 2}) t.rows.push_back({fmt::format("/threads:{}", threads), fmt::format("{:>8}", threads), threads});
  return t;
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter(std::string engine, std::string replay, RatioTable table, double ceiling_1t, double ceiling_2t)
      : engine_(std::move(engine)), replay_(std::move(replay)), table_(std::move(table)), ceiling_{ceiling_1t, ceiling_2t} {}
  void ReportRuns(const std::vector<Run>& runs) override {
    // Medians when repetitions ran, single runs otherwise; keyed by name without suffix.
    for (const Run& r : runs) {
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (median || (r.run_type == Run::RT_Iteration && !times_.count(r.run_name.str()))) {
        times_[r.run_name.str()] = r.GetAdjustedRealTime();
        auto g = r.counters.find("GFLOP");
        if (g != r.counters.end()) gflop_[r.run_name.str()] = g->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (!table_.vs_floor) {
      fmt::print("\n{} {:>12} {:>12} {:>8}   (medians)\n", table_.label_header, "engine ms", "replay ms", "ratio");
    } else {
      fmt::print("\nfloor = GFLOP at the SGEMM ceiling ({:.1f} GFLOP/s on 1 thread, {:.1f} on 2)\n", ceiling_[0],
                 ceiling_[1]);
      fmt::print("{} {:>12} {:>12} {:>8} {:>8} {:>8} {:>12} {:>12}   (medians)\n", table_.label_header, "engine ms",
                 "replay ms", "ratio", "GFLOP", "GFLOP/s", "/floor(2T)", "/floor(1T)");
    }
    for (const RatioRow& row : table_.rows) {
      auto e = find(times_, engine_ + row.args), g = find(times_, replay_ + row.args);
      if (e < 0 || g < 0) continue;  // filtered out
      if (!table_.vs_floor) {
        fmt::print("{} {:>12.3f} {:>12.3f} {:>8.2f}\n", row.label, e, g, e / g);
        continue;
      }
      const double gflop = find(gflop_, engine_ + row.args);
      const double floor_2t_ms = gflop / ceiling_[1] * 1e3, floor_1t_ms = gflop / ceiling_[0] * 1e3;
      fmt::print("{} {:>12.3f} {:>12.3f} {:>8.2f} {:>8.3f} {:>8.1f} {:>12.2f} {:>12}\n", row.label, e, g, e / g, gflop,
                 gflop / (e * 1e-3), e / floor_2t_ms, row.threads == 1 ? fmt::format("{:.2f}", e / floor_1t_ms) : "");
    }
  }

 private:
  static double find(const std::map<std::string, double>& values, const std::string& prefix) {
    for (const auto& [name, v] : values)
      if (name.rfind(prefix, 0) == 0) return v;
    return -1;
  }
  std::string engine_, replay_;
  RatioTable table_;
  double ceiling_[2];
  std::map<std::string, double> times_, gflop_;
};

// main() of such a benchmark: correctness check first, then the runs, then the table.
inline int run_ratio_benchmarks(int argc, char** argv, const std::string& engine, const std::string& replay,
                                const std::function<void()>& check, RatioTable table = modes_and_threads_table()) {
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
  const double ceiling_1t = gemm_ceiling_gflops(1), ceiling_2t = gemm_ceiling_gflops(2);
  fmt::print("ceiling: OpenBLAS SGEMM 2048^3 = {:.1f} GFLOP/s on 1 thread, {:.1f} on 2\n", ceiling_1t, ceiling_2t);
  RatioReporter reporter(engine, replay, std::move(table), ceiling_1t, ceiling_2t);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace maac::bench
