// Pendulum swing-up, equivalent to Gymnasium Pendulum-v1: torque-limited, never
// terminates, 200-step time limit. The reward uses the state before the step.
#pragma once
#include "envs/env.hpp"

namespace maac::envs {

class PendulumEnv final : public Env {
 public:
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kGravity = 10.0;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;
  static constexpr double kVelocityCostWeight = 0.1;
  static constexpr double kTorqueCostWeight = 0.001;

  explicit PendulumEnv(const EnvOptions& options = {});

  // Sets the internal state (theta, theta_dot) directly, e.g. to test the dynamics.
  void set_state(double theta, double theta_dot);
  double theta() const { return theta_; }
  double theta_dot() const { return theta_dot_; }

  // Gymnasium's angle_normalize: into [-pi, pi) with a floor modulo.
  static double angle_normalize(double x);

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;
  void observe(std::vector<double>& obs) const;  // cos, sin, theta_dot

  double theta_ = 0.0, theta_dot_ = 0.0;
};

}  // namespace maac::envs
