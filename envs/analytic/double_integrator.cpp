#include "envs/analytic/double_integrator.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace maac::envs {

LinearQuadraticSystem double_integrator_system(const DoubleIntegratorParams& p) {
  if (!(p.dt > 0) || !(p.state_cost >= 0) || !(p.action_cost > 0) || !(p.init_std >= 0) || !(p.action_bound > 0))
    throw std::invalid_argument(fmt::format("DoubleIntegratorParams: dt {}, state_cost {}, action_cost {}, init_std {}, "
                                            "action_bound {}: expected dt > 0, costs >= 0 (action_cost > 0), "
                                            "init_std >= 0, action_bound > 0",
                                            p.dt, p.state_cost, p.action_cost, p.init_std, p.action_bound));
  LinearQuadraticSystem s;
  s.A = Eigen::MatrixXd{{1.0, p.dt}, {0.0, 1.0}};
  s.B = Eigen::MatrixXd{{0.5 * p.dt * p.dt}, {p.dt}};
  s.Q = p.state_cost * Eigen::MatrixXd::Identity(2, 2);
  s.R = Eigen::MatrixXd::Constant(1, 1, p.action_cost);
  s.init_mean.resize(2);
  s.init_mean << p.init_position, 0.0;
  s.init_cov = p.init_std * p.init_std * Eigen::MatrixXd::Identity(2, 2);
  return s;
}

DoubleIntegratorEnv::DoubleIntegratorEnv(const DoubleIntegratorParams& params, const EnvOptions& options)
    : Env([&] {
        EnvOptions o = options;
        if (!o.max_episode_steps) o.max_episode_steps = params.max_episode_steps;
        EnvSpec s = make_spec("DoubleIntegrator", "MAAC paper section 5.2 (linear-quadratic)", 2, 1,
                              params.max_episode_steps, o, {"state", "action"});
        s.action_low = {-params.action_bound};
        s.action_high = {params.action_bound};
        s.dt = params.dt;
        return s;
      }()),
      params_(params),
      sys_(double_integrator_system(params)) {
  init_chol_ = params.init_std * Eigen::MatrixXd::Identity(2, 2);  // init_cov = init_std^2 I
}

void DoubleIntegratorEnv::set_state(double position, double velocity) { x_ = Eigen::Vector2d(position, velocity); }

void DoubleIntegratorEnv::reset_state(Rng& rng, std::vector<double>& obs) {
  Eigen::Vector2d z(rng.normal(), rng.normal());
  x_ = sys_.init_mean + init_chol_ * z;
  obs[0] = x_[0];
  obs[1] = x_[1];
}

void DoubleIntegratorEnv::advance(std::span<const double> action, StepResult& out) {
  const double u = action[0];
  const double state_cost = x_.dot(sys_.Q * x_);
  const double action_cost = u * sys_.R(0, 0) * u;
  x_ = sys_.A * x_ + sys_.B.col(0) * u;
  out.observation[0] = x_[0];
  out.observation[1] = x_[1];
  out.reward_terms = {{"state", -state_cost}, {"action", -action_cost}};
  out.reward = -(state_cost + action_cost);
  out.terminated = false;
}

}  // namespace maac::envs
