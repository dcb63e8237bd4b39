// One MAAC policy update (objective forward, backward, Adam step on the policy) at
// HalfCheetah sizes, routed and all-members-then-select, each beside a GEMM-only
// replay of exactly the GEMMs the update calls (recorded by cpu::GemmRecorder) in the
// same run.
// Sizes: obs 17, act 6, M = 7 members of 4 x 200 (SiLU), policy and twin Q 256 x 256
// (ReLU), batch 256 start states, H = 10, K = 1; float32; 1 and 2 threads.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cmath>
#include <optional>

#include "bench/engine_vs_replay.hpp"
#include "bench/gemm_replay.hpp"
#include "autodiff/optim/adam.hpp"
#include "kernels/cpu/gemm.hpp"
#include "rl/maac_objective.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

constexpr int64_t kObs = 17, kAct = 6, kMembers = 7, kBatch = 256, kH = 10, kK = 1;

MaacObjectiveOptions objective_options(bool routed) {
  MaacObjectiveOptions o;
  o.horizon = kH;
  o.terminal_samples = kK;
  o.evaluation = routed ? EnsembleEvaluation::routed : EnsembleEvaluation::all_then_select;
  return o;
}

struct Fixture {
  Rng rng{1};
  DynamicsModel<float> model{kObs, kAct, DynamicsModelOptions{}, rng};
  SquashedGaussianPolicy<float> policy{kObs, kAct, PolicyOptions{}, rng};
  TwinCritic<float> critic{kObs, kAct, CriticOptions{}, rng};
  QuadraticReward<float> reward{0.01, 0.1, 1.0};
  Adam<float> adam{policy.parameters(), AdamOptions{3e-4}};
  std::vector<float> s0 = rng.normal_vector<float>(kBatch * kObs);
  MaacNoise<float> noise;
  Tape<float> tape{size_t(1) << 26};
  Fixture() {
    Rng noise_rng(2);
    noise = MaacNoise<float>::draw(objective_options(true), kBatch, model, kAct, noise_rng);
  }
  // Loss and policy gradients of one objective evaluation (no optimiser step).
  float evaluate(bool routed) {
    tape.reset();
    adam.zero_grad();
    auto obj = maac_policy_objective(tape, tape.constant(Shape{kBatch, kObs}, s0.data()), policy, model, critic, reward,
                                     0.2, noise, objective_options(routed));
    tape.backward(obj.loss);
    return obj.loss.item();
  }
  void update(bool routed) {
    evaluate(routed);
    adam.step();
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// The GEMMs of one update, recorded from a real one (bench/gemm_replay.hpp), per mode.
// Which rows go to which member is drawn once in the fixture's noise, so every update
// of a mode calls the same GEMMs.
maac::bench::GemmReplay& replay(bool routed) {
  static std::optional<maac::bench::GemmReplay> replays[2];
  if (!replays[routed]) replays[routed].emplace(maac::bench::GemmReplay::record([&] { fixture().update(routed); }));
  return *replays[routed];
}

void BM_MaacUpdate(benchmark::State& st) {
  bool routed = maac::bench::apply_case(st);
  Fixture& f = fixture();
  for (auto _ : st) {
    f.update(routed);
    benchmark::ClobberMemory();
  }
  maac::bench::set_gflop_counters(st, replay(routed).flops());
}

void BM_GemmReplay(benchmark::State& st) {
  bool routed = maac::bench::apply_case(st);
  maac::bench::GemmReplay& r = replay(routed);
  for (auto _ : st) {
    r.run();
    benchmark::ClobberMemory();
  }
  maac::bench::set_gflop_counters(st, r.flops());
}

BENCHMARK(BM_MaacUpdate)->Apply(maac::bench::modes_and_threads);
BENCHMARK(BM_GemmReplay)->Apply(maac::bench::modes_and_threads);

// Before timing: both modes give the same loss and policy gradient, and they are finite.
void check_modes_agree() {
  Fixture& f = fixture();
  auto grads = [&] {
    std::vector<float> g;
    for (Parameter<float>* p : f.policy.parameters())
      g.insert(g.end(), p->grad().host().begin(), p->grad().host().end());
    return g;
  };
  float routed = f.evaluate(true);
  std::vector<float> g_routed = grads();
  float all = f.evaluate(false);
  std::vector<float> g_all = grads();
  // The tape's size is the launch budget on a GPU: each record is one to four kernels.
  fmt::print("tape of one all-members objective: {} records, {} nodes\n", f.tape.record_count(), f.tape.node_count());
  double worst = 0, scale = 0;
  for (size_t i = 0; i < g_all.size(); ++i) {
    worst = std::max(worst, double(std::fabs(g_all[i] - g_routed[i])));
    scale = std::max(scale, double(std::fabs(g_all[i])));
  }
  if (!std::isfinite(routed) || std::fabs(routed - all) > 1e-4 * (1 + std::fabs(all)) || !(worst <= 1e-3 * scale))
    throw std::runtime_error(fmt::format(
        "routed and all-members disagree: loss {} vs {}, max |dgrad| {} (max |grad| {})", routed, all, worst, scale));
  fmt::print("check: routed == all-members-then-select (loss {:.6f} vs {:.6f}, max |dgrad| {:.2e} of {:.2e})\n", routed,
             all, worst, scale);
}


}  // namespace

int main(int argc, char** argv) {
  return maac::bench::run_ratio_benchmarks(argc, argv, "BM_MaacUpdate", "BM_GemmReplay", check_modes_agree);
}
