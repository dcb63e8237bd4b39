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
  static constexpr int kXVelocityIndex = 5;

  explicit HopperEnv(const EnvOptions& options = {});
  bool is_healthy() const override;
};

}  // namespace maac::envs
