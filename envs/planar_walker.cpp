#include "envs/planar_walker.hpp"

#include "envs/planar_observation.hpp"

namespace maac::envs {

PlanarWalkerEnv::PlanarWalkerEnv(EnvSpec spec, const std::filesystem::path& model_file)
    : MujocoEnv(std::move(spec), model_file, kFrameSkip, false) {}

void PlanarWalkerEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  auto qpos_noise = uniform_noise(rng, model()->nq, kResetNoiseScale);
  auto qvel_noise = uniform_noise(rng, model()->nv, kResetNoiseScale);
  reset_to(qpos_noise, qvel_noise);
  planar_observation(qpos(), qvel(), kObsVelocityClip, obs);
}

void PlanarWalkerEnv::advance(std::span<const double> action, StepResult& out) {
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
