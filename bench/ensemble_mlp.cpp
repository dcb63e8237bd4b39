// EnsembleMLP forward + backward at HalfCheetah model shapes, all-members and routed,
// each beside a GEMM-only replay of the same GEMMs in the same run.
// Shapes: M = 7 members, in 23 (17 obs + 6 act), 4 hidden layers of 200, out 34
// (mean and log-std of 17 state deltas), batch 256; float32; 1 and 2 threads.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cmath>

#include "bench/engine_vs_replay.hpp"
#include "autodiff/modules/ensemble_mlp.hpp"
#include "kernels/cpu/gemm.hpp"

using namespace maac;
using cpu::Trans;

namespace {

constexpr int64_t kMembers = 7, kBatch = 256;
const std::vector<int64_t> kSizes{23, 200, 200, 200, 200, 34};

struct Fixture {
  Rng rng{1};
  EnsembleMLP<float> model{"model", kMembers, kSizes, Unary::silu, rng};
  std::vector<float> x = rng.normal_vector<float>(kBatch * kSizes.front());
  std::vector<float> seed = rng.normal_vector<float>(kBatch * kSizes.back());
  std::vector<int32_t> member_of_row;
  MemberRouting routing;
  Tape<float> tape;
  Fixture() {
    for (int64_t i = 0; i < kBatch; ++i) member_of_row.push_back(static_cast<int32_t>(rng.below(kMembers)));
    routing = route_rows(member_of_row, kMembers);
  }
  // One training-style pass: forward, then backward from a fixed seed gradient.
  void step(bool routed) {
    tape.reset();
    Var<float> in = tape.constant(Shape{kBatch, kSizes.front()}, x.data());
    Var<float> y = routed ? model.forward_routed(tape, in, routing) : model.forward_all(tape, in);
    if (!routed) y = reshape(y, Shape{kMembers * kBatch, kSizes.back()});
    std::vector<float>& s = routed ? seed : seed_all;
    tape.backward(y, s.data());
  }
  std::vector<float> seed_all = std::vector<float>(kMembers * kBatch * kSizes.back(), 0.01f);
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Rows each member processes in one mode.
std::vector<int64_t> member_rows(bool routed) {
  std::vector<int64_t> rows(kMembers, kBatch);
  if (routed)
    for (int64_t m = 0; m < kMembers; ++m) rows[m] = fixture().routing.offsets[m + 1] - fixture().routing.offsets[m];
  return rows;
}

// The GEMMs of one forward + backward: per layer and member, y = x W (forward),
// dW = x^T dy and, except for the first layer whose input is data, dx = dy W^T.
struct Replay {
  std::vector<std::vector<float>> acts, grads, weights, wgrads;
  std::vector<int64_t> rows;
  explicit Replay(bool routed) : rows(member_rows(routed)) {
    int64_t total = 0;
    for (int64_t r : rows) total += r;
    for (size_t l = 0; l < kSizes.size(); ++l) {
      acts.emplace_back(total * kSizes[l], 0.1f);
      grads.emplace_back(total * kSizes[l], 0.1f);
    }
    for (size_t l = 0; l + 1 < kSizes.size(); ++l) {
      weights.emplace_back(kMembers * kSizes[l] * kSizes[l + 1], 0.01f);
      wgrads.emplace_back(kMembers * kSizes[l] * kSizes[l + 1], 0.0f);
    }
  }
  double flops() const {
    double f = 0;
    for (size_t l = 0; l + 1 < kSizes.size(); ++l)
      for (int64_t m = 0; m < kMembers; ++m) f += 2.0 * rows[m] * kSizes[l] * kSizes[l + 1] * (l == 0 ? 2 : 3);
    return f;
  }
  void run() {
    for (size_t l = 0; l + 1 < kSizes.size(); ++l) {
      int64_t in = kSizes[l], out = kSizes[l + 1], r0 = 0;
      for (int64_t m = 0; m < kMembers; r0 += rows[m], ++m)
        cpu::gemm<float>(Trans::no, Trans::no, rows[m], out, in, 1.f, acts[l].data() + r0 * in, in,
                         weights[l].data() + m * in * out, out, 0.f, acts[l + 1].data() + r0 * out, out);
    }
    for (size_t l = kSizes.size() - 1; l-- > 0;) {
      int64_t in = kSizes[l], out = kSizes[l + 1], r0 = 0;
      for (int64_t m = 0; m < kMembers; r0 += rows[m], ++m) {
        cpu::gemm<float>(Trans::yes, Trans::no, in, out, rows[m], 1.f, acts[l].data() + r0 * in, in,
                         grads[l + 1].data() + r0 * out, out, 1.f, wgrads[l].data() + m * in * out, out);
        if (l > 0)
          cpu::gemm<float>(Trans::no, Trans::yes, rows[m], in, out, 1.f, grads[l + 1].data() + r0 * out, out,
                           weights[l].data() + m * in * out, out, 0.f, grads[l].data() + r0 * in, in);
      }
    }
  }
};

void BM_EnsembleMLP(benchmark::State& st) {
  bool routed = maac::bench::apply_case(st);
  Fixture& f = fixture();
  for (auto _ : st) {
    f.step(routed);
    benchmark::ClobberMemory();
  }
  maac::bench::set_gflop_counters(st, Replay(routed).flops());
}

void BM_GemmReplay(benchmark::State& st) {
  bool routed = maac::bench::apply_case(st);
  Replay replay(routed);
  for (auto _ : st) {
    replay.run();
    benchmark::ClobberMemory();
  }
  maac::bench::set_gflop_counters(st, replay.flops());
}

BENCHMARK(BM_EnsembleMLP)->Apply(maac::bench::modes_and_threads);
BENCHMARK(BM_GemmReplay)->Apply(maac::bench::modes_and_threads);

// Before timing: routed must equal all-members-then-select on these shapes.
void check_routed_matches_all() {
  Fixture& f = fixture();
  Tape<float> t;
  Var<float> in = t.constant(Shape{kBatch, kSizes.front()}, f.x.data());
  Var<float> all = f.model.forward_all(t, in);
  Var<float> routed = f.model.forward_routed(t, in, f.routing);
  double worst = 0;
  for (int64_t i = 0; i < kBatch; ++i)
    for (int64_t c = 0; c < kSizes.back(); ++c) {
      float a = all.value()[(f.member_of_row[i] * kBatch + i) * kSizes.back() + c];
      worst = std::max(worst, static_cast<double>(std::fabs(a - routed.value()[i * kSizes.back() + c])));
    }
  if (worst > 1e-4) throw std::runtime_error(fmt::format("routed differs from all-members by {}", worst));
  fmt::print("check: routed == all-members-then-select (max |diff| {:.2e})\n", worst);
}

// Prints engine time / replay time for each (mode, threads) after the runs.

}  // namespace

int main(int argc, char** argv) {
  return maac::bench::run_ratio_benchmarks(argc, argv, "BM_EnsembleMLP", "BM_GemmReplay", check_routed_matches_all);
}
