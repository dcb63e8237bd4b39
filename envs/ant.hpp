// Ant, equivalent to Gymnasium Ant-v5 (see docs/envs.md). The observation is 27-dim by
// default (v5's include_cfrc_ext_in_observation=False); EnvOptions::ant_contact_forces
// gives v5's default 105-dim one. The contact cost is always in the reward, as in v5.
#pragma once
#include "envs/mujoco_env.hpp"

namespace maac::envs {

class AntEnv final : public MujocoEnv {
 public:
  static constexpr int kBaseObsDim = 27;          // qpos[2:] (13) + qvel (14)
  static constexpr int kContactObsDim = 13 * 6;   // cfrc_ext of bodies 1..13, clipped
  static constexpr int kActDim = 8;
  static constexpr int kFrameSkip = 5;
  static constexpr int kMainBody = 1;  // torso
  static constexpr double kForwardRewardWeight = 1.0;
  static constexpr double kCtrlCostWeight = 0.5;
  static constexpr double kContactCostWeight = 5e-4;
  static constexpr double kContactForceClip = 1.0;
  static constexpr double kHealthyReward = 1.0;
  static constexpr double kHealthyZMin = 0.2;  // closed interval [0.2, 1.0]
  static constexpr double kHealthyZMax = 1.0;
  // Temperature of the smooth alive probability (differentiable_rewards.hpp): 5% of the
  // healthy z interval's width.
  static constexpr double kAliveTemperatureZ = 0.05 * (kHealthyZMax - kHealthyZMin);
  static constexpr double kResetNoiseScale = 0.1;
  static constexpr int kXVelocityIndex = 13;  // obs index of qvel[0]

  explicit AntEnv(const EnvOptions& options = {});
  bool is_healthy() const;
  bool contact_forces_in_observation() const { return contact_obs_; }
  // 5e-4 * sum(clip(cfrc_ext, -1, 1)^2) over all bodies (the world's row is zero).
  double contact_cost() const;

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
  void observe(std::vector<double>& obs) const;

  bool contact_obs_;
};

}  // namespace maac::envs
