// HalfCheetah, equivalent to Gymnasium HalfCheetah-v5 (see docs/envs.md).
#pragma once
#include "envs/mujoco_env.hpp"

namespace maac::envs {

class HalfCheetahEnv final : public MujocoEnv {
 public:
  static constexpr int kObsDim = 17;
  static constexpr int kActDim = 6;
  static constexpr int kFrameSkip = 5;
  static constexpr double kForwardRewardWeight = 1.0;
  static constexpr double kCtrlCostWeight = 0.1;
  static constexpr double kResetNoiseScale = 0.1;
  static constexpr int kXVelocityIndex = 8;  // obs index of qvel[0]

  explicit HalfCheetahEnv(const EnvOptions& options = {});

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
  // obs = qpos[1:] (8), qvel (9); unclipped
  void observe(std::vector<double>& obs) const;
};

}  // namespace maac::envs
