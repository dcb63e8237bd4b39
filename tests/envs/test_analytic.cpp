// Pendulum and DoubleIntegrator: dynamics and reward formulas; the closed-form return of
// a linear policy against finite differences and Monte Carlo.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "envs/analytic/double_integrator.hpp"
#include "envs/analytic/pendulum.hpp"

using namespace maac::envs;

TEST_CASE("Pendulum: dynamics and reward as Pendulum-v1", "[env]") {
  CHECK(PendulumEnv::angle_normalize(0.5) == Approx(0.5));
  CHECK(PendulumEnv::angle_normalize(std::numbers::pi) == Approx(-std::numbers::pi));
  CHECK(PendulumEnv::angle_normalize(-std::numbers::pi) == Approx(-std::numbers::pi));
  CHECK(PendulumEnv::angle_normalize(7.0) == Approx(7.0 - 2 * std::numbers::pi));
  CHECK(PendulumEnv::angle_normalize(-4.0) == Approx(-4.0 + 2 * std::numbers::pi));

  PendulumEnv env;
  auto obs = env.reset(12);
  CHECK(std::abs(env.theta()) <= std::numbers::pi);
  CHECK(std::abs(env.theta_dot()) <= 1.0);
  CHECK(obs == std::vector<double>{std::cos(env.theta()), std::sin(env.theta()), env.theta_dot()});
  maac::envs::Rng rng(1);
  for (int t = 0; t < 150; ++t) {
    const double th = env.theta(), thdot = env.theta_dot();
    const double u_raw = rng.uniform(-3, 3);
    const double u = std::clamp(u_raw, -2.0, 2.0);
    auto r = env.step(std::vector<double>{u_raw});
    double thn = PendulumEnv::angle_normalize(th);
    double expected_reward = -(thn * thn + 0.1 * thdot * thdot + 0.001 * u * u);
    double new_thdot = std::clamp(thdot + (3 * 10.0 / 2 * std::sin(th) + 3.0 * u) * 0.05, -8.0, 8.0);
    double new_th = th + new_thdot * 0.05;
    REQUIRE(r.reward == Approx(expected_reward).margin(1e-12));
    REQUIRE(r.observation[0] == Approx(std::cos(new_th)).margin(1e-12));
    REQUIRE(r.observation[1] == Approx(std::sin(new_th)).margin(1e-12));
    REQUIRE(r.observation[2] == Approx(new_thdot).margin(1e-12));
    REQUIRE_FALSE(r.terminated);
  }
}

TEST_CASE("DoubleIntegrator: linear dynamics and quadratic reward", "[env]") {
  DoubleIntegratorParams p;
  DoubleIntegratorEnv env(p);
  env.reset(3);
  env.set_state(0.7, -0.3);
  auto r = env.step(std::vector<double>{2.0});
  const double dt = p.dt;
  CHECK(r.observation[0] == Approx(0.7 - 0.3 * dt + 0.5 * dt * dt * 2.0));
  CHECK(r.observation[1] == Approx(-0.3 + dt * 2.0));
  CHECK(r.reward == Approx(-(0.7 * 0.7 + 0.3 * 0.3) * p.state_cost - p.action_cost * 4.0));
  CHECK(r.term("state") + r.term("action") == Approx(r.reward));
}

namespace {

LinearQuadraticSystem test_system() { return double_integrator_system(DoubleIntegratorParams{}); }

}  // namespace

TEST_CASE("DoubleIntegrator: closed-form gradient matches finite differences of the closed-form return", "[env]") {
  const auto sys = test_system();
  Eigen::MatrixXd K(1, 2);
  K << -0.8, -1.3;
  for (double noise : {0.0, 0.3}) {
    for (int horizon : {1, 7, 60}) {
      INFO("noise " << noise << ", horizon " << horizon);
      const double gamma = 0.97;
      PolicyReturn pr = linear_policy_return(sys, K, horizon, gamma, noise);
      REQUIRE(pr.gradient.rows() == 1);
      REQUIRE(pr.gradient.cols() == 2);
      const double h = 1e-6;
      for (int j = 0; j < 2; ++j) {
        Eigen::MatrixXd kp = K, km = K;
        kp(0, j) += h;
        km(0, j) -= h;
        const double numeric = (linear_policy_return(sys, kp, horizon, gamma, noise).value -
                                linear_policy_return(sys, km, horizon, gamma, noise).value) / (2 * h);
        INFO("dJ/dK[" << j << "]: analytic " << pr.gradient(0, j) << ", numeric " << numeric);
        CHECK(std::abs(pr.gradient(0, j) - numeric) <= 1e-5 + 1e-3 * std::abs(numeric));
        CHECK(std::abs(numeric) > 1e-3);  // a gradient that is not trivially zero
      }
    }
  }
  // A multi-dimensional system too (3 states, 2 actions), to exercise the matrix shapes.
  LinearQuadraticSystem big;
  big.A = Eigen::MatrixXd{{1.0, 0.1, 0.0}, {0.0, 0.95, 0.2}, {0.1, 0.0, 0.9}};
  big.B = Eigen::MatrixXd{{0.0, 0.1}, {0.1, 0.0}, {0.05, 0.05}};
  big.Q = Eigen::MatrixXd{{1.0, 0.2, 0.0}, {0.2, 2.0, 0.0}, {0.0, 0.0, 0.5}};
  big.R = Eigen::MatrixXd{{0.3, 0.05}, {0.05, 0.2}};
  big.init_mean = Eigen::Vector3d(0.5, -1.0, 0.2);
  big.init_cov = 0.04 * Eigen::MatrixXd::Identity(3, 3);
  Eigen::MatrixXd K2{{-0.5, 0.1, -0.2}, {0.3, -0.7, 0.05}};
  PolicyReturn pr = linear_policy_return(big, K2, 25, 0.99, 0.1);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      Eigen::MatrixXd kp = K2, km = K2;
      kp(i, j) += 1e-6;
      km(i, j) -= 1e-6;
      const double numeric =
          (linear_policy_return(big, kp, 25, 0.99, 0.1).value - linear_policy_return(big, km, 25, 0.99, 0.1).value) / 2e-6;
      CHECK(std::abs(pr.gradient(i, j) - numeric) <= 1e-5 + 1e-3 * std::abs(numeric));
    }
  CHECK_THROWS_AS(linear_policy_return(big, K, 5, 0.99), std::invalid_argument);  // K of the wrong shape
}

TEST_CASE("DoubleIntegrator: the closed-form return matches a Monte Carlo estimate from the env", "[env]") {
  DoubleIntegratorParams p;
  p.init_std = 0.3;
  p.max_episode_steps = 40;
  DoubleIntegratorEnv env(p);
  Eigen::MatrixXd K(1, 2);
  K << -1.0, -1.5;
  const double gamma = 0.98, noise = 0.5;
  const int episodes = 4000;
  Rng rng(77);
  double sum = 0, sum_sq = 0;
  for (int e = 0; e < episodes; ++e) {
    auto x = env.reset(static_cast<uint64_t>(e));
    double ret = 0, discount = 1;
    for (int t = 0; t < p.max_episode_steps; ++t) {
      double u = K(0, 0) * x[0] + K(0, 1) * x[1] + noise * rng.normal();
      REQUIRE(std::abs(u) < p.action_bound);  // the closed form assumes no clipping
      auto r = env.step(std::vector<double>{u});
      ret += discount * r.reward;
      discount *= gamma;
      x = r.observation;
    }
    sum += ret;
    sum_sq += ret * ret;
  }
  const double mean = sum / episodes;
  const double std_err = std::sqrt((sum_sq / episodes - mean * mean) / episodes);
  const double closed = linear_policy_return(env.system(), K, p.max_episode_steps, gamma, noise).value;
  INFO("Monte Carlo " << mean << " +- " << std_err << ", closed form " << closed);
  CHECK(std::abs(mean - closed) < 4 * std_err);
  CHECK(std_err < 0.05 * std::abs(closed));  // the test has power
}
