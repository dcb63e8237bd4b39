// Walker2d, equivalent to Gymnasium Walker2d-v5 (see docs/envs.md).
#pragma once
#include "envs/mujoco_env.hpp"

namespace maac::envs {

class Walker2dEnv final : public MujocoEnv {
 public:
  static constexpr int kObsDim = 17;
  static constexpr int kActDim = 6;
  static constexpr int kFrameSkip = 4;
  static constexpr double kForwardRewardWeight = 1.0;
  static constexpr double kCtrlCostWeight = 1e-3;
  static constexpr double kHealthyReward = 1.0;
  static constexpr double kResetNoiseScale = 5e-3;
  static constexpr double kObsVelocityClip = 10.0;
  // Healthy: z in (0.8, 2.0) and angle in (-1, 1), open intervals; no state check.
  static constexpr double kHealthyZMin = 0.8;
  static constexpr double kHealthyZMax = 2.0;
  static constexpr double kHealthyAngleBound = 1.0;
  static constexpr int kXVelocityIndex = 8;

  explicit Walker2dEnv(const EnvOptions& options = {});
  bool is_healthy() const;

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
};

}  // namespace maac::envs
