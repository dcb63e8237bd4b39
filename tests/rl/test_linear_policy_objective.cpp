// The MAAC objective of a linear-Gaussian policy (the gradient-error experiment's
// estimators): float64 gradient checks through the true dynamics and the ensemble, and
// the estimator's mean against the closed-form dJ/dK.
#include <catch2/catch.hpp>
#include <cmath>

#include "autodiff/gradcheck.hpp"
#include "envs/analytic/double_integrator.hpp"
#include "rl/env_reward.hpp"
#include "rl/linear_policy_objective.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

const std::vector<double> kGain{-1.0, -1.5};
constexpr double kNoiseStd = 0.3;

CriticOptions small_critic() {
  CriticOptions o;
  o.hidden = {8, 8};
  o.activation = Unary::silu;
  return o;
}

DynamicsModelOptions small_model() {
  DynamicsModelOptions o;
  o.members = 3;
  o.hidden = {6, 6};
  return o;
}

}  // namespace

TEST_CASE("linear-policy MAAC objective gradient matches finite differences", "[gradcheck]") {
  envs::DoubleIntegratorEnv env;
  EnvActionRewardModel<double> reward(env);
  LinearDynamics<double> dynamics(env.system());
  Rng rng(11);
  TwinCritic<double> critic(2, 1, small_critic(), rng);
  DynamicsModel<double> model(2, 1, small_model(), rng);
  const int64_t n = 3;
  const std::vector<double> s0 = rng.normal_vector<double>(n * 2);
  struct Case {
    const char* name;
    bool ensemble, terminal;
    int64_t H, K, P;
  };
  for (const Case& c : {Case{"true dynamics, terminal Q, H=3 K=2 P=2", false, true, 3, 2, 2},
                        Case{"true dynamics, no terminal value, H=4", false, false, 4, 1, 1},
                        Case{"true dynamics, H=0", false, true, 0, 3, 1},
                        Case{"ensemble, terminal Q, H=3 K=2", true, true, 3, 2, 1}}) {
    SECTION(c.name) {
      LinearGaussianPolicy<double> policy(2, 1, kGain, kNoiseStd);
      MaacObjectiveOptions o;
      o.horizon = c.H;
      o.terminal_samples = c.K;
      o.samples_per_state = c.P;
      o.gamma = 0.9;
      Rng noise_rng(3);
      const MaacNoise<double> noise = c.ensemble ? MaacNoise<double>::draw(o, n, model, 1, noise_rng)
                                                 : draw_policy_noise<double>(o, n, 1, noise_rng);
      TwinCritic<double>* q = c.terminal ? &critic : nullptr;
      auto fn = [&](Tape<double>& tape, const std::vector<Var<double>>& in) {
        return c.ensemble ? linear_policy_objective(tape, in[0], policy, model, q, reward, noise, o).returns
                          : linear_policy_objective(tape, in[0], policy, dynamics, q, reward, noise, o).returns;
      };
      const GradcheckReport r = gradcheck(c.name, fn, {{"s0", Shape{n, 2}, s0}}, policy.parameters());
      INFO(r.worst);
      CHECK(r.passed());
    }
  }
}

TEST_CASE("linear-policy objective: bad inputs throw naming the value", "[rl]") {
  envs::DoubleIntegratorEnv env;
  EnvActionRewardModel<double> reward(env);
  LinearDynamics<double> dynamics(env.system());
  LinearGaussianPolicy<double> policy(2, 1, kGain, kNoiseStd);
  CHECK_THROWS_WITH((LinearGaussianPolicy<double>(2, 1, kGain, 0.0)), Catch::Contains("noise_std 0"));
  MaacObjectiveOptions o;
  o.horizon = 0;
  Rng rng(1);
  const MaacNoise<double> noise = draw_policy_noise<double>(o, 2, 1, rng);
  Tape<double> tape;
  const std::vector<double> s0(4, 0.5);
  CHECK_THROWS_WITH(linear_policy_objective(tape, tape.constant(Shape{2, 2}, s0.data()), policy, dynamics, nullptr,
                                            reward, noise, o),
                    Catch::Contains("horizon 0"));
  o.horizon = 2;
  CHECK_THROWS_WITH(linear_policy_objective(tape, tape.constant(Shape{2, 2}, s0.data()), policy, dynamics, nullptr,
                                            reward, noise, o),
                    Catch::Contains("H = 2"));
}

// With H = the episode length, start states from the initial distribution and no
// terminal value, the objective is the episode's return: the mean of its gradient over
// independent batches must match the closed form within a few standard errors.
TEST_CASE("linear-policy objective through the true dynamics is unbiased for dJ/dK", "[rl]") {
  envs::DoubleIntegratorParams params;
  params.max_episode_steps = 20;
  envs::DoubleIntegratorEnv env(params);
  EnvActionRewardModel<double> reward(env);
  LinearDynamics<double> dynamics(env.system());
  LinearGaussianPolicy<double> policy(2, 1, kGain, kNoiseStd);
  MaacObjectiveOptions o;
  o.horizon = params.max_episode_steps;
  o.gamma = 0.95;
  const envs::PolicyReturn exact = envs::linear_policy_return(
      env.system(), Eigen::Map<const Eigen::MatrixXd>(kGain.data(), 1, 2), int(o.horizon), o.gamma, kNoiseStd);

  // Per-batch gradients of mean J (batches independent, so their spread gives the
  // standard error of the overall mean).
  const int64_t batches = 40, n = 250;
  Rng rng(2024);
  std::vector<std::array<double, 2>> g;
  double value = 0;
  for (int64_t b = 0; b < batches; ++b) {
    std::vector<double> s0(static_cast<size_t>(2 * n));
    for (int64_t i = 0; i < n; ++i) {
      s0[2 * i] = params.init_position + params.init_std * rng.normal();
      s0[2 * i + 1] = params.init_std * rng.normal();
    }
    const MaacNoise<double> noise = draw_policy_noise<double>(o, n, 1, rng);
    Tape<double> tape;
    zero_grad(policy.parameters());
    auto obj = linear_policy_objective(tape, tape.constant(Shape{n, 2}, s0.data()), policy, dynamics, nullptr,
                                       reward, noise, o);
    tape.backward(obj.loss);  // loss = -mean J
    const std::vector<double> grad = policy.gain_gradient();
    g.push_back({-grad[0], -grad[1]});
    value -= obj.loss.item() / double(batches);
  }
  for (int j = 0; j < 2; ++j) {
    double mean = 0, var = 0;
    for (const auto& x : g) mean += x[j] / double(batches);
    for (const auto& x : g) var += (x[j] - mean) * (x[j] - mean) / double(batches - 1);
    const double se = std::sqrt(var / double(batches));
    INFO("dJ/dK[" << j << "]: estimate " << mean << " +- " << se << ", exact " << exact.gradient(0, j));
    CHECK(std::abs(mean - exact.gradient(0, j)) <= 4 * se);
    CHECK(se < 0.02 * exact.gradient.cwiseAbs().sum());  // the check has power
  }
  INFO("J: estimate " << value << ", exact " << exact.value);
  CHECK(value == Approx(exact.value).epsilon(0.02));
}
