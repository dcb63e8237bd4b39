// What Hopper-v5 and Walker2d-v5 share: reset noise U(-5e-3, 5e-3) on qpos and qvel,
// 4 frames per step, reward = dx/dt + healthy reward (v5: only while healthy)
// - 1e-3 |a|^2, termination when unhealthy, planar observation with velocities clipped
// to [-10, 10]. Each subclass supplies its model, sizes and healthy rule.
#pragma once
#include "envs/mujoco_env.hpp"

namespace maac::envs {

class PlanarWalkerEnv : public MujocoEnv {
 public:
  static constexpr int kFrameSkip = 4;
  static constexpr double kForwardRewardWeight = 1.0;
  static constexpr double kCtrlCostWeight = 1e-3;
  static constexpr double kHealthyReward = 1.0;
  static constexpr double kResetNoiseScale = 5e-3;
  static constexpr double kObsVelocityClip = 10.0;

  // The healthy rule on the full (unclipped) state, as Gymnasium's is_healthy.
  virtual bool is_healthy() const = 0;

 protected:
  PlanarWalkerEnv(EnvSpec spec, const std::filesystem::path& model_file);

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
};

}  // namespace maac::envs
