// Env steps per second for each MuJoCo env beside raw mj_step x frame_skip on the same
// model and the same physics (a recorded script of actions and episode starts is
// replayed by both), and the VectorEnv's scaling from 1 to 2 threads.
// Resets are excluded from the timing in both (PauseTiming), so both time stepping only.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/mujoco_env.hpp"
#include "envs/registry.hpp"
#include "envs/rng.hpp"
#include "envs/vector_env.hpp"

using namespace maac::envs;

namespace {

constexpr int kScriptSteps = 2000;

// A fixed action sequence and where the env's episodes start on it (with the state
// each start resets to), recorded once per env.
struct Script {
  std::vector<std::vector<double>> actions;
  std::vector<int> start_seed;  // per step: the reset seed of an episode starting here, or -1
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> start_state;  // step -> (qpos, qvel)
  std::vector<double> final_qpos;  // the env's qpos after the last step (correctness check)
};

Script record_script(const std::string& name) {
  auto env = make_env(name);
  auto& mj = dynamic_cast<MujocoEnv&>(*env);
  Rng rng(42);
  Script s;
  int seed = 0;
  for (int t = 0; t < kScriptSteps; ++t) {
    s.start_seed.push_back(-1);
    if (t == 0 || !env->episode_running()) {
      env->reset(static_cast<uint64_t>(seed));
      s.start_seed.back() = seed++;
      s.start_state[t] = {std::vector<double>(mj.qpos().begin(), mj.qpos().end()),
                          std::vector<double>(mj.qvel().begin(), mj.qvel().end())};
    }
    std::vector<double> a;
    for (int i = 0; i < env->act_dim(); ++i) a.push_back(rng.uniform(-1, 1) * env->spec().action_high[i]);
    env->step(a);
    s.actions.push_back(std::move(a));
  }
  s.final_qpos.assign(mj.qpos().begin(), mj.qpos().end());
  return s;
}

const Script& script(const std::string& name) {
  static std::map<std::string, Script> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, record_script(name)).first;
  return it->second;
}

// Raw MuJoCo on the env's own model: restore each episode's start state, then
// ctrl + frame_skip mj_steps per env step.
struct RawSim {
  std::unique_ptr<Env> env;  // owns the model
  const mjModel* m;
  DataPtr d;
  int frame_skip;
  explicit RawSim(const std::string& name)
      : env(make_env(name)), m(dynamic_cast<MujocoEnv&>(*env).model()), d(make_data(m)),
        frame_skip(dynamic_cast<MujocoEnv&>(*env).frame_skip()) {}
  void start(const std::vector<double>& qpos, const std::vector<double>& qvel) {
    mj_resetData(m, d.get());
    std::copy(qpos.begin(), qpos.end(), d->qpos);
    std::copy(qvel.begin(), qvel.end(), d->qvel);
    mj_forward(m, d.get());
  }
  void step(const std::vector<double>& a) {
    std::copy(a.begin(), a.end(), d->ctrl);
    for (int k = 0; k < frame_skip; ++k) mj_step(m, d.get());
  }
};

// Correctness before timing: the raw replay must reproduce the env's trajectory.
bool raw_replay_matches(const std::string& name) {
  const Script& s = script(name);
  RawSim raw(name);
  for (int t = 0; t < kScriptSteps; ++t) {
    if (s.start_seed[t] >= 0) raw.start(s.start_state.at(t).first, s.start_state.at(t).second);
    raw.step(s.actions[t]);
  }
  for (size_t i = 0; i < s.final_qpos.size(); ++i)
    if (std::abs(raw.d->qpos[i] - s.final_qpos[i]) > 1e-9) return false;
  return true;
}

void BM_RawMjStep(benchmark::State& state, const std::string& name) {
  if (!raw_replay_matches(name)) {
    state.SkipWithError("raw replay differs from the env's trajectory");
    return;
  }
  const Script& s = script(name);
  RawSim raw(name);
  int t = 0;
  for (auto _ : state) {
    if (s.start_seed[t] >= 0) {
      state.PauseTiming();
      raw.start(s.start_state.at(t).first, s.start_state.at(t).second);
      state.ResumeTiming();
    }
    raw.step(s.actions[t]);
    benchmark::DoNotOptimize(raw.d->qpos[0]);
    t = (t + 1) % kScriptSteps;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["env_steps_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_EnvStep(benchmark::State& state, const std::string& name) {
  const Script& s = script(name);
  auto env = make_env(name);
  StepResult r;
  int t = 0;
  for (auto _ : state) {
    if (s.start_seed[t] >= 0) {
      state.PauseTiming();
      env->reset(static_cast<uint64_t>(s.start_seed[t]));
      state.ResumeTiming();
    }
    env->step(s.actions[t], r);
    benchmark::DoNotOptimize(r.reward);
    t = (t + 1) % kScriptSteps;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["env_steps_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// 8 HalfCheetahs (no early termination) stepped together; items = env steps.
void BM_VectorEnvHalfCheetah(benchmark::State& state) {
  const int n = 8, threads = static_cast<int>(state.range(0));
  VectorEnv v(n, [](int) { return make_env("HalfCheetah"); }, threads);
  std::vector<uint64_t> seeds{1, 2, 3, 4, 5, 6, 7, 8};
  v.reset(seeds);
  Rng rng(5);
  std::vector<double> actions(static_cast<size_t>(n * 6));
  for (double& a : actions) a = rng.uniform(-1, 1);
  for (auto _ : state) {
    if (!v.any_running()) {
      state.PauseTiming();
      v.reset(seeds);
      state.ResumeTiming();
    }
    v.step(actions);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["threads"] = threads;
}

int register_all() {
  for (const char* name : {"HalfCheetah", "Hopper", "Walker2d", "Ant", "InvertedPendulum"}) {
    benchmark::RegisterBenchmark((std::string("RawMjStep/") + name).c_str(), BM_RawMjStep, std::string(name));
    benchmark::RegisterBenchmark((std::string("EnvStep/") + name).c_str(), BM_EnvStep, std::string(name));
  }
  benchmark::RegisterBenchmark("VectorEnv/HalfCheetah_x8", BM_VectorEnvHalfCheetah)->Arg(1)->Arg(2)->UseRealTime();
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
