#include "envs/half_cheetah.hpp"

#include "envs/assets.hpp"

namespace maac::envs {

HalfCheetahEnv::HalfCheetahEnv(const EnvOptions& options)
    : MujocoEnv(make_spec("HalfCheetah", "Gymnasium HalfCheetah-v5", kObsDim, kActDim, 1000, options, {"forward", "ctrl"}),
                asset_path("half_cheetah.xml", options.asset_dir), kFrameSkip, false) {}

void HalfCheetahEnv::observe(std::vector<double>& obs) const {
  auto q = qpos();
  auto v = qvel();
  size_t k = 0;
  for (size_t i = 1; i < q.size(); ++i) obs[k++] = q[i];
  for (double x : v) obs[k++] = x;
}

void HalfCheetahEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  auto qpos_noise = uniform_noise(rng, model()->nq, kResetNoiseScale);
  auto qvel_noise = normal_noise(rng, model()->nv, kResetNoiseScale);
  reset_to(qpos_noise, qvel_noise);
  observe(obs);
}

void HalfCheetahEnv::advance(std::span<const double> action, StepResult& out) {
  const double x_before = qpos()[0];
  out.unstable = simulate(action);
  const double x_velocity = (qpos()[0] - x_before) / spec().dt;
  double ctrl_cost = 0.0;
  for (double a : action) ctrl_cost += a * a;
  ctrl_cost *= kCtrlCostWeight;
  observe(out.observation);
  out.reward_terms = {{"forward", kForwardRewardWeight * x_velocity}, {"ctrl", -ctrl_cost}};
  out.reward = kForwardRewardWeight * x_velocity - ctrl_cost;
  out.terminated = false;  // HalfCheetah never terminates (except when unstable)
}

}  // namespace maac::envs
