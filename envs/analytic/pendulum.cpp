#include "envs/analytic/pendulum.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace maac::envs {

PendulumEnv::PendulumEnv(const EnvOptions& options)
    : Env([&] {
        EnvSpec s = make_spec("Pendulum", "Gymnasium Pendulum-v1", 3, 1, 200, options, {"angle", "velocity", "torque"});
        s.action_low = {-kMaxTorque};
        s.action_high = {kMaxTorque};
        s.dt = kDt;
        return s;
      }()) {}

double PendulumEnv::angle_normalize(double x) {
  const double two_pi = 2.0 * std::numbers::pi;
  double y = x + std::numbers::pi;
  return y - two_pi * std::floor(y / two_pi) - std::numbers::pi;
}

void PendulumEnv::set_state(double theta, double theta_dot) {
  theta_ = theta;
  theta_dot_ = theta_dot;
}

void PendulumEnv::observe(std::vector<double>& obs) const {
  obs[0] = std::cos(theta_);
  obs[1] = std::sin(theta_);
  obs[2] = theta_dot_;
}

void PendulumEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  theta_ = rng.uniform(-std::numbers::pi, std::numbers::pi);
  theta_dot_ = rng.uniform(-1.0, 1.0);
  observe(obs);
}

void PendulumEnv::advance(std::span<const double> action, StepResult& out) {
  const double u = action[0];  // already clipped to [-2, 2]
  const double th = angle_normalize(theta_);
  const double angle_cost = th * th;
  const double velocity_cost = kVelocityCostWeight * theta_dot_ * theta_dot_;
  const double torque_cost = kTorqueCostWeight * u * u;
  // Semi-implicit Euler, velocity clipped before the position update (as Pendulum-v1).
  double new_theta_dot = theta_dot_ + (3.0 * kGravity / (2.0 * kLength) * std::sin(theta_) +
                                       3.0 / (kMass * kLength * kLength) * u) * kDt;
  new_theta_dot = std::clamp(new_theta_dot, -kMaxSpeed, kMaxSpeed);
  theta_ = theta_ + new_theta_dot * kDt;
  theta_dot_ = new_theta_dot;
  observe(out.observation);
  out.reward_terms = {{"angle", -angle_cost}, {"velocity", -velocity_cost}, {"torque", -torque_cost}};
  out.reward = -(angle_cost + velocity_cost + torque_cost);
  out.terminated = false;
}

}  // namespace maac::envs
