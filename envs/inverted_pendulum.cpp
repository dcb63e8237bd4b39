#include "envs/inverted_pendulum.hpp"

#include <cmath>

#include "envs/assets.hpp"

namespace maac::envs {

InvertedPendulumEnv::InvertedPendulumEnv(const EnvOptions& options)
    : MujocoEnv(make_spec("InvertedPendulum", "Gymnasium InvertedPendulum-v5", kObsDim, kActDim, 1000, options, {"survive"}),
                asset_path("inverted_pendulum.xml", options.asset_dir), kFrameSkip, false) {}

void InvertedPendulumEnv::observe(std::vector<double>& obs) const {
  obs[0] = qpos()[0];
  obs[1] = qpos()[1];
  obs[2] = qvel()[0];
  obs[3] = qvel()[1];
}

void InvertedPendulumEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  auto qpos_noise = uniform_noise(rng, model()->nq, kResetNoiseScale);
  auto qvel_noise = uniform_noise(rng, model()->nv, kResetNoiseScale);
  reset_to(qpos_noise, qvel_noise);
  observe(obs);
}

void InvertedPendulumEnv::advance(std::span<const double> action, StepResult& out) {
  out.unstable = simulate(action);
  observe(out.observation);
  bool finite = true;
  for (double x : out.observation) finite = finite && std::isfinite(x);
  out.terminated = !finite || std::abs(out.observation[1]) > kMaxPoleAngle;
  // v5: 1 while the pole is up, 0 on the terminating step.
  const double survive = out.terminated ? 0.0 : 1.0;
  out.reward_terms = {{"survive", survive}};
  out.reward = survive;
}

}  // namespace maac::envs
