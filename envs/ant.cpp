#include "envs/ant.hpp"

#include <algorithm>
#include <cmath>

#include "envs/assets.hpp"

namespace maac::envs {

AntEnv::AntEnv(const EnvOptions& options)
    : MujocoEnv(make_spec("Ant", "Gymnasium Ant-v5", kBaseObsDim + (options.ant_contact_forces ? kContactObsDim : 0),
                          kActDim, 1000, options, {"forward", "ctrl", "contact", "survive"}),
                asset_path("ant.xml", options.asset_dir), kFrameSkip, true),
      contact_obs_(options.ant_contact_forces) {}

bool AntEnv::is_healthy() const {
  for (double x : qpos())
    if (!std::isfinite(x)) return false;
  for (double x : qvel())
    if (!std::isfinite(x)) return false;
  const double z = qpos()[2];
  return kHealthyZMin <= z && z <= kHealthyZMax;
}

double AntEnv::contact_cost() const {
  const mjData* d = data();
  double sum = 0.0;
  for (int i = 0; i < 6 * model()->nbody; ++i) {
    double f = std::clamp(d->cfrc_ext[i], -kContactForceClip, kContactForceClip);
    sum += f * f;
  }
  return kContactCostWeight * sum;
}

void AntEnv::observe(std::vector<double>& obs) const {
  size_t k = 0;
  auto q = qpos();
  for (size_t i = 2; i < q.size(); ++i) obs[k++] = q[i];
  for (double v : qvel()) obs[k++] = v;
  if (contact_obs_) {
    const mjData* d = data();
    for (int i = 6; i < 6 * model()->nbody; ++i)  // bodies 1.. (the world is dropped)
      obs[k++] = std::clamp(d->cfrc_ext[i], -kContactForceClip, kContactForceClip);
  }
}

void AntEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  auto qpos_noise = uniform_noise(rng, model()->nq, kResetNoiseScale);
  auto qvel_noise = normal_noise(rng, model()->nv, kResetNoiseScale);
  reset_to(qpos_noise, qvel_noise);
  // cfrc_ext after a reset, as Gymnasium's observation reads it: zero (mj_resetData)
  // since mj_forward does not compute it.
  observe(obs);
}

void AntEnv::advance(std::span<const double> action, StepResult& out) {
  // Gymnasium reads the torso's xpos, which mj_step leaves at the kinematics of the
  // last substep's start; reading it here the same way keeps the reward identical.
  const double x_before = data()->xpos[3 * kMainBody];
  out.unstable = simulate(action);
  const double x_velocity = (data()->xpos[3 * kMainBody] - x_before) / spec().dt;
  double ctrl_cost = 0.0;
  for (double a : action) ctrl_cost += a * a;
  ctrl_cost *= kCtrlCostWeight;
  const double contact = contact_cost();
  const bool healthy = is_healthy();
  const double survive = healthy ? kHealthyReward : 0.0;  // v5: only while healthy
  observe(out.observation);
  out.reward_terms = {{"forward", kForwardRewardWeight * x_velocity},
                      {"ctrl", -ctrl_cost},
                      {"contact", -contact},
                      {"survive", survive}};
  out.reward = kForwardRewardWeight * x_velocity + survive - ctrl_cost - contact;
  out.terminated = !healthy;
}

}  // namespace maac::envs
