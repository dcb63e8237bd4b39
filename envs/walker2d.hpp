// Walker2d, equivalent to Gymnasium Walker2d-v5 (see docs/envs.md).
#pragma once
#include "envs/planar_walker.hpp"

namespace maac::envs {

class Walker2dEnv final : public PlanarWalkerEnv {
 public:
  static constexpr int kObsDim = 17;
  static constexpr int kActDim = 6;
  // Healthy: z in (0.8, 2.0) and angle in (-1, 1), open intervals; no state check.
  static constexpr double kHealthyZMin = 0.8;
  static constexpr double kHealthyZMax = 2.0;
  static constexpr double kHealthyAngleBound = 1.0;
  // Temperatures of the smooth alive probability (differentiable_rewards.hpp): 5% of each
  // healthy interval's width.
  static constexpr double kAliveTemperatureZ = 0.05 * (kHealthyZMax - kHealthyZMin);
  static constexpr double kAliveTemperatureAngle = 0.05 * 2 * kHealthyAngleBound;
  static constexpr int kXVelocityIndex = 8;

  explicit Walker2dEnv(const EnvOptions& options = {});
  bool is_healthy() const override;
};

}  // namespace maac::envs
