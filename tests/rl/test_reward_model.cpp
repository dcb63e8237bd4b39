// The reward model's smooth termination (Termination::smooth): the QuadraticReward's alive
// probability against its hard rule and float64 central differences, the checks on what
// a model returns, the env models' forwarding, and the MAAC objective's gradient through
// the probability where the hard mask gives none.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "autodiff/gradcheck.hpp"
#include "envs/registry.hpp"
#include "rl/env_reward.hpp"
#include "rl/maac_objective.hpp"
#include "rl_fixture.hpp"

using namespace maac;
using namespace maac::rl;
using maac::rl::test::TinySetup;

namespace {

std::vector<double> probabilities(const RewardModel<double>& reward, const std::vector<double>& x0) {
  // Rows [x0_i, 0.3, -0.2]: only column 0 is bounded.
  std::vector<double> rows;
  for (double x : x0) rows.insert(rows.end(), {x, 0.3, -0.2});
  Tape<double> tape;
  Var<double> p = checked_alive(reward, tape, tape.constant(Shape{int64_t(x0.size()), 3}, rows.data()),
                                Termination::smooth);
  return p.to_host();
}

// Returns what it is told to, for the contract checks.
struct FixedProbability : RewardModel<double> {
  double value;
  int64_t cols = 1;
  explicit FixedProbability(double v) : value(v) {}
  Var<double> reward(Tape<double>& tape, Var<double>, Var<double>, Var<double> s_next) const override {
    return tape.filled(Shape{s_next.rows(), 1}, 0.0);
  }
  Var<double> alive_probability(Tape<double>& tape, Var<double> s_next) const override {
    return tape.filled(Shape{s_next.rows(), cols}, value);
  }
};

bool all_zero(const ParameterList<double>& ps) {
  for (Parameter<double>* p : ps)
    for (double g : p->grad().host())
      if (g != 0.0) return false;
  return true;
}

}  // namespace

TEST_CASE("QuadraticReward's alive probability agrees with its hard rule away from the bound") {
  const double c = 2.0, tau = 0.1 * c;  // terminates when |s'_0| > c
  QuadraticReward<double> reward(0.5, 0.1, 0.0, c);
  // 4.6 temperatures inside: > 0.99; 4.6 outside: < 0.01; on the bound: 1/2.
  auto p = probabilities(reward, {0.0, c - 5 * tau, -c + 5 * tau, c + 5 * tau, -c - 5 * tau, c, -c, 1e6});
  CHECK(p[0] > 0.99);
  CHECK(p[1] > 0.99);
  CHECK(p[2] > 0.99);
  CHECK(p[3] < 0.01);
  CHECK(p[4] < 0.01);
  CHECK(p[5] == Approx(0.5).epsilon(1e-6));
  CHECK(p[6] == Approx(0.5).epsilon(1e-6));
  CHECK(p[7] < 1e-300);  // 0 up to the cpu exp's denormals
  // The hard path is unchanged: 0/1 and no gradient.
  Tape<double> tape;
  std::vector<double> rows{0.0, 0, 0, 2.5, 0, 0};
  Var<double> hard = checked_alive(reward, tape, tape.constant(Shape{2, 3}, rows.data()), Termination::hard);
  CHECK(hard.to_host() == std::vector<double>{1, 0});
  CHECK_FALSE(hard.requires_grad());
  // Without termination the probability is the mask: ones.
  QuadraticReward<double> never(0.5, 0.1);
  CHECK(probabilities(never, {0.0, 1e6}) == std::vector<double>{1, 1});
}

TEST_CASE("QuadraticReward's alive probability passes a float64 central-difference gradient check") {
  QuadraticReward<double> reward(0.5, 0.1, 0.0, 1.5);
  // Column 0 within a few temperatures of either bound; the other columns too (zero gradient).
  std::vector<double> rows{1.4, 0.2, 0.1, -1.6, -0.3, 0.5, 1.7, 0.0, 1.0, -1.3, 2.0, -2.0, 0.05, 0.4, 0.4};
  GradcheckFn f = [&](Tape<double>& tape, const std::vector<Var<double>>& in) {
    return reward.alive_probability(tape, in[0]);
  };
  GradcheckReport r = gradcheck("QuadraticReward alive_probability", f, {{"s_next", Shape{5, 3}, rows}});
  INFO(r.name << ": " << r.checked << " entries, " << r.failed << " failed, worst " << r.worst);
  REQUIRE(r.passed());
}

TEST_CASE("checked_alive refuses probabilities of the wrong shape or outside [0, 1]") {
  Tape<double> tape;
  std::vector<double> rows(6, 0.0);
  Var<double> s = tape.constant(Shape{2, 3}, rows.data());
  FixedProbability ok(0.25), above(1.5), below(-0.1), nan(NAN), wide(0.5);
  wide.cols = 2;
  CHECK(checked_alive<double>(ok, tape, s, Termination::smooth).to_host() == std::vector<double>{0.25, 0.25});
  CHECK_THROWS_WITH(checked_alive<double>(above, tape, s, Termination::smooth),
                    Catch::Contains("1.5") && Catch::Contains("[0, 1]"));
  CHECK_THROWS_AS(checked_alive<double>(below, tape, s, Termination::smooth), std::invalid_argument);
  CHECK_THROWS_WITH(checked_alive<double>(wide, tape, s, Termination::smooth),
                    Catch::Contains("[2, 2]") && Catch::Contains("[2, 1]"));
  // A NaN state is the update guard's to skip, not an error.
  CHECK(std::isnan(checked_alive<double>(nan, tape, s, Termination::smooth).to_host()[0]));
  // The default probability is the hard mask (here: never terminating).
  QuadraticReward<double> never(0.5, 0.1);
  CHECK_FALSE(never.alive_probability(tape, s).requires_grad());
}

TEST_CASE("the env reward models forward the env's alive probability") {
  for (const char* name : {"Hopper", "Walker2d", "Ant", "InvertedPendulum", "HalfCheetah"}) {
    INFO(name);
    auto env = envs::make_env(name);
    EnvRewardModel model(*env);
    auto own = envs::make_differentiable_reward<float>(*env);
    std::vector<float> s = [&] {
      std::vector<double> o = env->reset(3);
      return std::vector<float>(o.begin(), o.end());
    }();
    s[0] = std::string(name) == "Ant" ? 0.21f : s[0];  // near Ant's z bound
    Tape<float> tape;
    Var<float> x = tape.input(Shape{1, env->obs_dim()}, s.data());
    Var<float> p = checked_alive(model, tape, x, Termination::smooth);
    CHECK(p.item() == own->alive_probability(x).item());
    CHECK(p.requires_grad() == (std::string(name) != "HalfCheetah"));
    // Every env's masks and probabilities are tape ops.
    CHECK(model.capturable());
  }
}

TEST_CASE("smooth termination gives the MAAC objective a gradient through the alive probability") {
  // J = gamma^H m_H Q with r = 0, alpha = 0 and a constant critic (output weights 0, bias
  // 5): the only way the policy reaches J is the termination factor m_H.
  TinySetup t;
  for (Parameter<double>* p : t.critic.parameters()) {
    if (p->shape() == Shape{8, 1}) std::fill(p->value().host().begin(), p->value().host().end(), 0.0);
    if (p->shape() == Shape{1, 1}) p->value().host()[0] = 5.0;
  }
  MaacObjectiveOptions o;
  o.horizon = 2;
  o.terminal_samples = 2;
  o.samples_per_state = 3;
  Rng noise_rng(37);
  auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
  const int64_t N = o.samples_per_state * t.n;

  // Put the bound c between the middle two |s_1,0| of the paths, so that some first steps
  // end near it (but none on it, where the hard mask jumps).
  Tape<double> tape;
  Var<double> s = tile_rows(tape.constant(Shape{t.n, t.obs}, t.s0.data()), o.samples_per_state);
  auto pi = t.policy.sample(tape, s, tape.constant(Shape{N, t.act}, noise.action_eps[0].data()));
  Var<double> s1 = t.model.next_state_rows(tape, s, pi.action, noise.members[0],
                                           tape.constant(Shape{N, t.obs}, noise.model_eps[0].data()));
  std::vector<double> x0;
  for (int64_t i = 0; i < N; ++i) x0.push_back(std::abs(s1.value()[i * t.obs]));
  std::vector<double> sorted = x0;
  std::sort(sorted.begin(), sorted.end());
  const double c = 0.5 * (sorted[size_t(N / 2 - 1)] + sorted[size_t(N / 2)]);
  QuadraticReward<double> reward(0.0, 0.0, 0.0, c);  // r = 0
  int near = 0;
  for (double p : probabilities(reward, x0)) near += p > 0.05 && p < 0.95;
  INFO("bound " << c << ", first steps near it: " << near);
  REQUIRE(near >= 2);

  auto loss_fn = [&](Termination termination) -> GradcheckFn {
    return [&, termination](Tape<double>& tp, const std::vector<Var<double>>&) {
      MaacObjectiveOptions oo = o;
      oo.termination = termination;
      return maac_policy_objective(tp, tp.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                   reward, 0.0, noise, oo)
          .loss;
    };
  };
  for (Termination termination : {Termination::hard, Termination::smooth}) {
    const bool smooth = termination == Termination::smooth;
    INFO((smooth ? "smooth" : "hard"));
    // The tape's gradient agrees with central differences of the objective itself ...
    GradcheckReport r = gradcheck(smooth ? "maac smooth" : "maac hard", loss_fn(termination), {},
                                  t.policy.parameters());
    INFO(r.name << ": " << r.checked << " entries, " << r.failed << " failed, worst " << r.worst);
    REQUIRE(r.checked == parameter_count(t.policy.parameters()));
    REQUIRE(r.passed());
    // ... and is zero with the hard mask (a constant: no fall is seen), not with the smooth one.
    Tape<double> tp;
    zero_grad(t.policy.parameters());
    tp.backward(loss_fn(termination)(tp, {}));
    REQUIRE(all_zero(t.policy.parameters()) == !smooth);
    REQUIRE(all_zero(t.model.parameters()));
    REQUIRE(all_zero(t.critic.parameters()));
  }
}

TEST_CASE("the smooth objective passes a float64 gradient check with every term present") {
  TinySetup t;
  QuadraticReward<double> reward(0.5, 0.1, 1.0, 0.7);
  MaacObjectiveOptions o;
  o.horizon = 3;
  o.terminal_samples = 2;
  o.samples_per_state = 2;
  o.termination = Termination::smooth;
  Rng noise_rng(41);
  auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
  GradcheckFn fn = [&](Tape<double>& tape, const std::vector<Var<double>>&) {
    return maac_policy_objective(tape, tape.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                 reward, 0.2, noise, o)
        .loss;
  };
  GradcheckReport r = gradcheck("maac smooth, all terms", fn, {}, t.policy.parameters());
  INFO(r.name << ": " << r.checked << " entries, " << r.failed << " failed, worst " << r.worst);
  REQUIRE(r.passed());
  // The graph-mode entry point threads the option the same way.
  o.evaluation = EnsembleEvaluation::all_then_select;
  Tape<double> a, b;
  const double alpha = 0.2;
  double host = maac_policy_objective(a, a.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                      reward, alpha, noise, o)
                    .loss.item();
  MaacNoiseVars<double> z = MaacNoiseVars<double>::from_host(b, noise, t.act, t.model.out_dim());
  double graph = maac_policy_objective(b, b.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                       reward, b.constant(Shape{1, 1}, &alpha), z, o)
                     .loss.item();
  REQUIRE(graph == Approx(host).epsilon(1e-12));
}
