#include "envs/walker2d.hpp"

#include "envs/assets.hpp"
#include "envs/planar_observation.hpp"

namespace maac::envs {

Walker2dEnv::Walker2dEnv(const EnvOptions& options)
    : MujocoEnv(make_spec("Walker2d", "Gymnasium Walker2d-v5", kObsDim, kActDim, 1000, options, {"forward", "ctrl", "survive"}),
                asset_path("walker2d.xml", options.asset_dir), kFrameSkip, false) {}

bool Walker2dEnv::is_healthy() const {
  const double z = qpos()[1], angle = qpos()[2];
  return kHealthyZMin < z && z < kHealthyZMax && -kHealthyAngleBound < angle && angle < kHealthyAngleBound;
}

void Walker2dEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  auto qpos_noise = uniform_noise(rng, model()->nq, kResetNoiseScale);
  auto qvel_noise = uniform_noise(rng, model()->nv, kResetNoiseScale);
  reset_to(qpos_noise, qvel_noise);
  planar_observation(qpos(), qvel(), kObsVelocityClip, obs);
}

void Walker2dEnv::advance(std::span<const double> action, StepResult& out) {
  const double x_before = qpos()[0];
  out.unstable = simulate(action);
  const double x_velocity = (qpos()[0] - x_before) / spec().dt;
  double ctrl_cost = 0.0;
  for (double a : action) ctrl_cost += a * a;
  ctrl_cost *= kCtrlCostWeight;
  const bool healthy = is_healthy();
  const double survive = healthy ? kHealthyReward : 0.0;  // v5: only while healthy
  planar_observation(qpos(), qvel(), kObsVelocityClip, out.observation);
  out.reward_terms = {{"forward", kForwardRewardWeight * x_velocity}, {"ctrl", -ctrl_cost}, {"survive", survive}};
  out.reward = kForwardRewardWeight * x_velocity + survive - ctrl_cost;
  out.terminated = !healthy;
}

}  // namespace maac::envs
