// One whole agent update, rl::Agent::update(batch, rng): critic targets (STEVE), the
// critic step, the actor step (MAAC's pathwise objective), the temperature step and the
// Polyak step, at the settings of a training preset (default configs/half_cheetah.toml:
// obs 17, act 6, 8 members of 4 x 200 SiLU, batch 256, actor horizon 4 with 5 terminal
// samples through the routed ensemble, STEVE with steve_horizon 2 through all 8
// members), beside a GEMM-only replay of exactly the GEMMs one such update calls
// (recorded by cpu::GemmRecorder), on 1 and 2 threads, the GEMM library on its automatic
// choice. The agent is built from the preset through the config module, as the trainer
// builds it; `--config=PATH` and `--set=key=value` (repeatable) choose another;
// `--list_gemms` prints the recorded GEMMs by shape.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "autodiff/device.hpp"
#include "bench/engine_vs_replay.hpp"
#include "bench/gemm_replay.hpp"
#include "bench/preset.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

std::string g_config_path = maac::bench::default_preset();
std::vector<std::string> g_overrides;
bool g_list_gemms = false;

// Random but plausible transitions, fixed seed: standardised observations, next
// observations a small step away, actions inside the policy's (-1, 1), unit-scale rewards,
// nothing terminated (HalfCheetah never terminates).
TransitionBatch plausible_batch(int64_t n, int64_t obs, int64_t act) {
  Rng rng(12345);
  TransitionBatch b;
  b.resize(n, obs, act);
  b.obs = rng.normal_vector<float>(n * obs);
  std::vector<float> step = rng.normal_vector<float>(n * obs);
  for (size_t i = 0; i < b.next_obs.size(); ++i) b.next_obs[i] = b.obs[i] + 0.1f * step[i];
  b.action = rng.uniform_vector<float>(n * act, -0.99, 0.99);
  b.reward = rng.normal_vector<float>(n);
  std::fill(b.terminated.begin(), b.terminated.end(), 0.f);
  return b;
}

struct Fixture {
  rl::Config config = maac::bench::load_preset(g_config_path, g_overrides);
  maac::bench::PresetRun run{config};
  TransitionBatch batch = plausible_batch(run.options.agent.batch, run.env->obs_dim(), run.env->act_dim());
  Rng update_rng{run.options.trainer.seed ^ 0x7570646174ull};
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// The GEMMs of one update of the fixture's agent. The routed actor draws its members
// afresh every update, so the per-member row counts (not the FLOPs) vary between updates;
// the replay repeats those of the recorded one.
maac::bench::GemmReplay& replay() {
  static std::optional<maac::bench::GemmReplay> r;
  if (!r) {
    Fixture& f = fixture();
    r.emplace(maac::bench::GemmReplay::record([&] { f.run.agent->update(f.batch, f.update_rng); }));
  }
  return *r;
}

void BM_TrainUpdate(benchmark::State& st) {
  maac::bench::apply_threads(st);
  Fixture& f = fixture();
  for (auto _ : st) {
    UpdateStats s = f.run.agent->update(f.batch, f.update_rng);
    benchmark::DoNotOptimize(s);
    benchmark::ClobberMemory();
  }
  maac::bench::set_gflop_counters(st, replay().flops());
}

void BM_GemmReplay(benchmark::State& st) {
  maac::bench::apply_threads(st);
  maac::bench::GemmReplay& r = replay();
  for (auto _ : st) {
    r.run();
    benchmark::ClobberMemory();
  }
  maac::bench::set_gflop_counters(st, r.flops());
}

BENCHMARK(BM_TrainUpdate)->Apply(maac::bench::threads_only);
BENCHMARK(BM_GemmReplay)->Apply(maac::bench::threads_only);

// ---- Correctness before timing ------------------------------------------------------
//
// The agent has no float64 path, so the reference is the same update under other
// settings: fresh agents built from the same preset and seed (identical state), the same
// batch and update Rng, run on 1 thread with the automatic GEMM choice (the reference),
// on 2 threads, and with every GEMM through Eigen (a different GEMM library for the big
// shapes, whose sums run in another order) on 1 and 2 threads. What it guarantees: every
// timed setting computes the same update, up to float32 rounding, and its losses are
// finite and nothing was skipped. What it does not: that the update's mathematics is
// right; the tests check that against float64 central differences and plain loops
// (tests/rl/test_reference_values.cpp, tests/autodiff/test_gradcheck_ops.cpp).
//
// Tolerances. Gradients: after one Adam step the first moment is exactly (1 - beta1) g,
// so comparing the saved `*_adam.m.*` tensors compares the critic, policy and temperature
// gradients; each tensor must agree to kGradRelTol in relative L2 norm. Parameters: the
// first Adam step moves each element by lr * m / (sqrt(v) + eps), at most lr, and its
// sign follows its gradient's, which rounding can flip for a gradient near zero; so
// elements agree to 2 lr + 1e-6 (and the number that differ by more than lr / 100 is
// printed). Losses agree to kLossRelTol.
constexpr double kGradRelTol = 1e-4, kLossRelTol = 1e-4;

std::vector<float> floats(const StoredTensor& t) {
  std::vector<float> v(t.bytes.size() / sizeof(float));
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

struct Outcome {
  Safetensors before, after;
  UpdateStats stats;
};

Outcome one_update(int threads, cpu::GemmBackend gemm) {
  device::set_cpu_threads(threads);
  cpu::set_gemm_backend(gemm);
  rl::Config config = maac::bench::load_preset(g_config_path, g_overrides);
  maac::bench::PresetRun run(config);
  TransitionBatch batch = plausible_batch(run.options.agent.batch, run.env->obs_dim(), run.env->act_dim());
  Rng rng(run.options.trainer.seed ^ 0x7570646174ull);
  Outcome o;
  run.agent->save(o.before);
  o.stats = run.agent->update(batch, rng);
  run.agent->save(o.after);
  cpu::set_gemm_backend(cpu::GemmBackend::automatic);
  return o;
}

void check_settings_agree() {
  Fixture& f = fixture();
  const AgentOptions& a = f.run.options.agent;
  fmt::print("config: {} (env {}, batch {}, {} members of {} x {}, actor H = {} K = {} {}, critic {} H_c = {})\n",
             g_config_path, f.run.options.trainer.env, a.batch, a.model.members, a.model.hidden.size(),
             a.model.hidden.empty() ? 0 : a.model.hidden.front(), a.objective.horizon, a.objective.terminal_samples,
             a.objective.evaluation == EnsembleEvaluation::routed ? "routed" : "all members",
             a.critic_target == CriticTarget::steve ? "STEVE" : "TD", a.steve.horizon);
  const double lr = std::max({a.policy_lr, a.critic_lr, a.alpha_lr});
  const Outcome ref = one_update(1, cpu::GemmBackend::automatic);
  if (ref.stats.skipped() || !std::isfinite(ref.stats.critic_loss) || !std::isfinite(ref.stats.actor_loss))
    throw std::runtime_error(fmt::format("reference update skipped or not finite: critic loss {}, actor loss {}",
                                         ref.stats.critic_loss, ref.stats.actor_loss));
  struct Setting {
    int threads;
    cpu::GemmBackend gemm;
  };
  for (Setting s : {Setting{2, cpu::GemmBackend::automatic}, Setting{1, cpu::GemmBackend::eigen},
                    Setting{2, cpu::GemmBackend::eigen}}) {
    const Outcome o = one_update(s.threads, s.gemm);
    const std::string name = fmt::format("{} thread{}, {} GEMMs", s.threads, s.threads > 1 ? "s" : "", cpu::gemm_backend_name(s.gemm));
    auto loss_ok = [](double x, double r) { return std::isfinite(x) && std::fabs(x - r) <= kLossRelTol * (1 + std::fabs(r)); };
    if (o.stats.skipped() || !loss_ok(o.stats.critic_loss, ref.stats.critic_loss) ||
        !loss_ok(o.stats.actor_loss, ref.stats.actor_loss))
      throw std::runtime_error(fmt::format("{}: losses critic {} actor {} (skipped: {}), reference {} {}", name,
                                           o.stats.critic_loss, o.stats.actor_loss, o.stats.skipped(),
                                           ref.stats.critic_loss, ref.stats.actor_loss));
    double worst_grad = 0, worst_param = 0;
    int64_t differing = 0, tensors = 0;
    std::string worst_grad_name;
    for (const auto& [key, t] : ref.after.tensors()) {
      const StoredTensor& u = o.after.tensor(key);
      if (t.type != StoredType::f32) {
        if (t.bytes != u.bytes) throw std::runtime_error(fmt::format("{}: '{}' differs from the reference", name, key));
        continue;
      }
      ++tensors;
      const std::vector<float> r = floats(t), x = floats(u);
      if (key.find("_adam.v.") != std::string::npos) continue;  // (1 - beta2) g^2: follows from m
      if (key.find("_adam.m.") != std::string::npos) {
        double diff = 0, norm = 0;
        for (size_t i = 0; i < r.size(); ++i) {
          diff += (double(x[i]) - r[i]) * (double(x[i]) - r[i]);
          norm += double(r[i]) * r[i];
        }
        const double rel = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
        if (!(rel <= kGradRelTol))
          throw std::runtime_error(fmt::format("{}: gradient '{}' differs by {:.2e} (relative L2), tolerance {:.0e}",
                                               name, key, rel, kGradRelTol));
        if (rel > worst_grad) worst_grad = rel, worst_grad_name = key;
        continue;
      }
      for (size_t i = 0; i < r.size(); ++i) {
        const double d = std::fabs(double(x[i]) - r[i]);
        if (!(d <= 2 * lr + 1e-6))
          throw std::runtime_error(fmt::format("{}: '{}'[{}] = {} vs reference {}: beyond two Adam steps of lr {}", name,
                                               key, i, x[i], r[i], lr));
        worst_param = std::max(worst_param, d);
        if (d > lr / 100) ++differing;
      }
    }
    fmt::print("check: {} == 1 thread, automatic: losses {:.6g} / {:.6g}; gradients within {:.1e} (worst {}); "
               "parameters within {:.1e}, {} elements differ by > lr/100 ({} tensors)\n",
               name, o.stats.critic_loss, o.stats.actor_loss, worst_grad, worst_grad_name, worst_param, differing,
               tensors);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // --config=PATH, --set=key=value and --list_gemms are ours; the rest goes to Google Benchmark.
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) g_config_path = arg.substr(9);
    else if (arg.rfind("--set=", 0) == 0) g_overrides.push_back(arg.substr(6));
    else if (arg == "--list_gemms") g_list_gemms = true;
    else rest.push_back(argv[i]);
  }
  try {
    return maac::bench::run_ratio_benchmarks(
        static_cast<int>(rest.size()), rest.data(), "BM_TrainUpdate", "BM_GemmReplay",
        [] {
          check_settings_agree();
          const maac::bench::GemmReplay& r = replay();
          fmt::print("one update: {:.3f} GFLOP in {} GEMM calls (replay working set {:.1f} MB)\n", r.flops() * 1e-9,
                     r.calls().size(), r.bytes() * 1e-6);
          if (g_list_gemms) maac::bench::print_gemm_shapes(r.calls());
        },
        maac::bench::threads_table());
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_train_update: {}\n", e.what());
    return 1;
  }
}
