// Hopper, equivalent to Gymnasium Hopper-v5 (see docs/envs.md).
#pragma once
#include "envs/planar_walker.hpp"

namespace maac::envs {

class HopperEnv final : public PlanarWalkerEnv {
 public:
  static constexpr int kObsDim = 11;
  static constexpr int kActDim = 3;
  // Healthy: every state_vector()[2:] element in (-100, 100), z in (0.7, inf),
  // angle in (-0.2, 0.2); all open intervals.
  static constexpr double kHealthyStateBound = 100.0;
  static constexpr double kHealthyZMin = 0.7;
  static constexpr double kHealthyAngleBound = 0.2;
  // Temperatures of the smooth alive probability (differentiable_rewards.hpp): 5% of each
  // healthy interval's width; z's interval is open above, so its width is taken from the
  // bound to the torso's rest height 1.25.
  static constexpr double kAliveTemperatureZ = 0.05 * (1.25 - kHealthyZMin);
  static constexpr double kAliveTemperatureAngle = 0.05 * 2 * kHealthyAngleBound;
  static constexpr double kAliveTemperatureState = 0.05 * 2 * kHealthyStateBound;
  static constexpr int kXVelocityIndex = 5;

  explicit HopperEnv(const EnvOptions& options = {});
  bool is_healthy() const override;
};

}  // namespace maac::envs
