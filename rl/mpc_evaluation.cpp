#include "rl/mpc_evaluation.hpp"

#include <chrono>
#include <cmath>

#include "envs/registry.hpp"
#include "envs/vector_env.hpp"
#include "rl/env_reward.hpp"

namespace maac::rl {

MpcEvaluation evaluate_mpc(MpcPlanner& planner, const std::string& env_name, const envs::EnvOptions& env_options,
                           int episodes, uint64_t seed) {
  envs::VectorEnv vec(episodes, [&](int) { return envs::make_env(env_name, env_options); }, 1);
  const envs::EnvSpec& spec = vec.env(0).spec();
  const int64_t od = spec.obs_dim, ad = spec.act_dim;
  // The seeds of evaluate_policy (rl/evaluation.cpp), so both see the same initial states.
  std::vector<uint64_t> seeds;
  for (int i = 0; i < episodes; ++i) seeds.push_back(seed * 1000003ull + 7919ull * static_cast<uint64_t>(i) + 17);
  std::vector<double> obs = vec.reset(seeds);
  std::vector<float> obs_f(obs.begin(), obs.end());
  MpcEvaluation out;
  out.returns.assign(static_cast<size_t>(episodes), 0.0);
  std::vector<double> actions(static_cast<size_t>(episodes * ad), 0.0);
  std::vector<float> run_obs, run_act;
  std::vector<int> running;
  while (vec.any_running()) {
    // Only the running episodes are planned; the others keep their last result.
    running.clear();
    run_obs.clear();
    for (int i = 0; i < episodes; ++i)
      if (vec.running(i)) {
        running.push_back(i);
        run_obs.insert(run_obs.end(), obs_f.begin() + i * od, obs_f.begin() + (i + 1) * od);
      }
    const int64_t n = static_cast<int64_t>(running.size());
    run_act.resize(static_cast<size_t>(n * ad));
    auto t0 = std::chrono::steady_clock::now();
    planner.plan(run_obs.data(), n, run_act.data());
    out.plan_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++out.plans;
    out.actions += n;
    for (int64_t k = 0; k < n; ++k) {
      std::vector<double> ea = to_env_action(spec, run_act.data() + k * ad);
      std::copy(ea.begin(), ea.end(), actions.begin() + running[k] * ad);
    }
    const auto& results = vec.step(actions);
    for (int i : running) {
      out.returns[i] += results[i].reward;
      std::copy(results[i].observation.begin(), results[i].observation.end(), obs_f.begin() + i * od);
    }
  }
  return out;
}

ReturnStats return_stats(const std::vector<double>& returns) {
  ReturnStats s;
  if (returns.empty()) return s;
  for (double r : returns) s.mean += r;
  s.mean /= static_cast<double>(returns.size());
  for (double r : returns) s.std += (r - s.mean) * (r - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(returns.size()));
  return s;
}

}  // namespace maac::rl
