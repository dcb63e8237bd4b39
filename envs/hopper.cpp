#include "envs/hopper.hpp"

#include "envs/assets.hpp"
#include "envs/planar_observation.hpp"

namespace maac::envs {

HopperEnv::HopperEnv(const EnvOptions& options)
    : MujocoEnv(make_spec("Hopper", "Gymnasium Hopper-v5", kObsDim, kActDim, 1000, options, {"forward", "ctrl", "survive"}),
                asset_path("hopper.xml", options.asset_dir), kFrameSkip, false) {}

bool HopperEnv::is_healthy() const {
  auto q = qpos();
  auto v = qvel();
  auto inside = [](double x) { return -kHealthyStateBound < x && x < kHealthyStateBound; };
  for (size_t i = 2; i < q.size(); ++i)
    if (!inside(q[i])) return false;
  for (double x : v)
    if (!inside(x)) return false;
  const double z = q[1], angle = q[2];
  return kHealthyZMin < z && -kHealthyAngleBound < angle && angle < kHealthyAngleBound;
}

void HopperEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  auto qpos_noise = uniform_noise(rng, model()->nq, kResetNoiseScale);
  auto qvel_noise = uniform_noise(rng, model()->nv, kResetNoiseScale);
  reset_to(qpos_noise, qvel_noise);
  planar_observation(qpos(), qvel(), kObsVelocityClip, obs);
}

void HopperEnv::advance(std::span<const double> action, StepResult& out) {
  const double x_before = qpos()[0];
  out.unstable = simulate(action);
  const double x_velocity = (qpos()[0] - x_before) / spec().dt;
  double ctrl_cost = 0.0;
  for (double a : action) ctrl_cost += a * a;
  ctrl_cost *= kCtrlCostWeight;
  const bool healthy = is_healthy();
  // v5: the healthy reward is paid only while healthy.
  const double survive = healthy ? kHealthyReward : 0.0;
  planar_observation(qpos(), qvel(), kObsVelocityClip, out.observation);
  out.reward_terms = {{"forward", kForwardRewardWeight * x_velocity}, {"ctrl", -ctrl_cost}, {"survive", survive}};
  out.reward = kForwardRewardWeight * x_velocity + survive - ctrl_cost;
  out.terminated = !healthy;
}

}  // namespace maac::envs
