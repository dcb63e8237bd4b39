// InvertedPendulum, equivalent to Gymnasium InvertedPendulum-v5 (see docs/envs.md).
#pragma once
#include "envs/mujoco_env.hpp"

namespace maac::envs {

class InvertedPendulumEnv final : public MujocoEnv {
 public:
  static constexpr int kObsDim = 4;
  static constexpr int kActDim = 1;
  static constexpr int kFrameSkip = 2;
  static constexpr double kResetNoiseScale = 0.01;
  static constexpr double kMaxPoleAngle = 0.2;  // terminated when |angle| > 0.2
  // Temperature of the smooth alive probability (differentiable_rewards.hpp): 5% of the
  // healthy angle interval's width.
  static constexpr double kAliveTemperatureAngle = 0.05 * 2 * kMaxPoleAngle;

  explicit InvertedPendulumEnv(const EnvOptions& options = {});

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
  void observe(std::vector<double>& obs) const;  // qpos (2), qvel (2)
};

}  // namespace maac::envs
