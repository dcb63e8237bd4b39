// DoubleIntegrator: a point mass on a line (MAAC paper section 5.2). State (position,
// velocity), x' = A x + B u with the exact zero-order-hold discretisation
// A = [[1, dt], [0, 1]], B = [[dt^2/2], [dt]]; reward r = -(x'Qx + u'Ru) on the state
// before the step; never terminates. linear_policy_return() gives the closed-form
// expected return of u = Kx (+ noise) and its gradient for this system.
#pragma once
#include "envs/analytic/linear_policy_return.hpp"
#include "envs/env.hpp"

namespace maac::envs {

struct DoubleIntegratorParams {
  double dt = 0.1;
  double state_cost = 1.0;         // Q = state_cost * I
  double action_cost = 0.1;        // R = action_cost
  double init_position = 1.0;      // initial mean (position, 0)
  double init_std = 0.1;           // initial covariance init_std^2 * I
  double action_bound = 10.0;      // |u| <= bound (clipped); the closed form assumes it is not reached
  int max_episode_steps = 100;
};

// The system above as matrices.
LinearQuadraticSystem double_integrator_system(const DoubleIntegratorParams& p);

class DoubleIntegratorEnv final : public Env {
 public:
  explicit DoubleIntegratorEnv(const DoubleIntegratorParams& params = {}, const EnvOptions& options = {});

  const DoubleIntegratorParams& params() const { return params_; }
  const LinearQuadraticSystem& system() const { return sys_; }
  void set_state(double position, double velocity);

 private:
  void reset_state(Rng& rng, std::vector<double>& obs) override;
  void advance(std::span<const double> action, StepResult& out) override;

  DoubleIntegratorParams params_;
  LinearQuadraticSystem sys_;
  Eigen::MatrixXd init_chol_;  // L with L L' = init_cov
  Eigen::Vector2d x_ = Eigen::Vector2d::Zero();
};

}  // namespace maac::envs
