// Hopper, equivalent to Gymnasium Hopper-v5 (see docs/envs.md).
#pragma once
#include "envs/mujoco_env.hpp"

namespace maac::envs {

class HopperEnv final : public MujocoEnv {
 public:
  static constexpr int kObsDim = 11;
  static constexpr int kActDim = 3;
  static constexpr int kFrameSkip = 4;
  static constexpr double kForwardRewardWeight = 1.0;
  static constexpr double kCtrlCostWeight = 1e-3;
  static constexpr double kHealthyReward = 1.0;
  static constexpr double kResetNoiseScale = 5e-3;
  static constexpr double kObsVelocityClip = 10.0;
  // Healthy: every state_vector()[2:] element in (-100, 100), z in (0.7, inf),
  // angle in (-0.2, 0.2); all open intervals.
  static constexpr double kHealthyStateBound = 100.0;
  static constexpr double kHealthyZMin = 0.7;
  static constexpr double kHealthyAngleBound = 0.2;
  static constexpr int kXVelocityIndex = 5;

  explicit HopperEnv(const EnvOptions& options = {});
  // The healthy rule on the full (unclipped) state, as Gymnasium's is_healthy.
  bool is_healthy() const;

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
};

}  // namespace maac::envs
