// Rewards, observations and termination of the MuJoCo envs against the documented
// Gymnasium v5 formulas, recomputed here from the simulator state on recorded steps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "envs/ant.hpp"
#include "envs/half_cheetah.hpp"
#include "envs/hopper.hpp"
#include "envs/inverted_pendulum.hpp"
#include "envs/walker2d.hpp"
#include "tests/envs/env_test_helpers.hpp"

using namespace maac::envs;

namespace {

double sum_squares(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return s;
}

double sum_terms(const StepResult& r) {
  double s = 0;
  for (const auto& t : r.reward_terms) s += t.value;
  return s;
}

// Steps `env` with uniform random actions (scaled 1.3x to exercise clipping) and calls
// check(x_before, clipped action, result) after each step.
template <class E, class Check>
void check_steps(E& env, int steps, Check check) {
  Rng rng(99);
  env.reset(4);
  for (int t = 0; t < steps; ++t) {
    std::vector<double> a, clipped;
    for (int i = 0; i < env.act_dim(); ++i) {
      double hi = env.spec().action_high[i];
      a.push_back(rng.uniform(-1.3 * hi, 1.3 * hi));
      clipped.push_back(std::clamp(a.back(), -hi, hi));
    }
    const double x_before = env.qpos()[0];
    const double torso_x_before = env.data()->xpos[3];
    StepResult r = env.step(a);
    INFO("step " << t);
    REQUIRE(r.reward == Approx(sum_terms(r)).margin(1e-12));
    check(x_before, torso_x_before, clipped, r);
    if (r.terminated || r.truncated) env.reset(static_cast<uint64_t>(t));
  }
}

}  // namespace

TEST_CASE("HalfCheetah: observation layout and reward formula", "[env]") {
  HalfCheetahEnv env;
  check_steps(env, 300, [&](double x0, double, const std::vector<double>& a, const StepResult& r) {
    auto q = env.qpos();
    auto v = env.qvel();
    for (int i = 0; i < 8; ++i) REQUIRE(r.observation[i] == q[i + 1]);
    for (int i = 0; i < 9; ++i) REQUIRE(r.observation[8 + i] == v[i]);  // not clipped
    double forward = (q[0] - x0) / 0.05;
    REQUIRE(r.term("forward") == Approx(forward).margin(1e-9));
    REQUIRE(r.term("ctrl") == Approx(-0.1 * sum_squares(a)).margin(1e-12));
    REQUIRE_FALSE(r.terminated);
  });
}

TEST_CASE("Hopper: observation layout, reward formula and healthy rule", "[env]") {
  HopperEnv env;
  int terminations = 0;
  check_steps(env, 600, [&](double x0, double, const std::vector<double>& a, const StepResult& r) {
    auto q = env.qpos();
    auto v = env.qvel();
    for (int i = 0; i < 5; ++i) REQUIRE(r.observation[i] == q[i + 1]);
    for (int i = 0; i < 6; ++i) REQUIRE(r.observation[5 + i] == std::clamp(v[i], -10.0, 10.0));
    bool healthy = q[1] > 0.7 && std::abs(q[2]) < 0.2;
    for (int i = 2; i < 6; ++i) healthy = healthy && std::abs(q[i]) < 100;
    for (int i = 0; i < 6; ++i) healthy = healthy && std::abs(v[i]) < 100;
    REQUIRE(r.terminated == !healthy);
    REQUIRE(r.term("forward") == Approx((q[0] - x0) / 0.008).margin(1e-9));
    REQUIRE(r.term("ctrl") == Approx(-1e-3 * sum_squares(a)).margin(1e-12));
    REQUIRE(r.term("survive") == (healthy ? 1.0 : 0.0));
    terminations += r.terminated;
  });
  CHECK(terminations > 0);  // random actions make the hopper fall within 600 steps
}

TEST_CASE("Walker2d: observation layout, reward formula and healthy rule", "[env]") {
  Walker2dEnv env;
  int terminations = 0;
  check_steps(env, 600, [&](double x0, double, const std::vector<double>& a, const StepResult& r) {
    auto q = env.qpos();
    auto v = env.qvel();
    for (int i = 0; i < 8; ++i) REQUIRE(r.observation[i] == q[i + 1]);
    for (int i = 0; i < 9; ++i) REQUIRE(r.observation[8 + i] == std::clamp(v[i], -10.0, 10.0));
    bool healthy = q[1] > 0.8 && q[1] < 2.0 && q[2] > -1.0 && q[2] < 1.0;
    REQUIRE(r.terminated == !healthy);
    REQUIRE(r.term("forward") == Approx((q[0] - x0) / 0.008).margin(1e-9));
    REQUIRE(r.term("ctrl") == Approx(-1e-3 * sum_squares(a)).margin(1e-12));
    REQUIRE(r.term("survive") == (healthy ? 1.0 : 0.0));
    terminations += r.terminated;
  });
  CHECK(terminations > 0);
}

TEST_CASE("Ant: observation layout (27 and 105), reward formula and healthy rule", "[env]") {
  for (bool contacts : {false, true}) {
    INFO("contact forces in observation: " << contacts);
    AntEnv env(test::with_contact_forces(contacts));
    double max_contact_cost = 0;
    check_steps(env, 200, [&](double, double torso_x0, const std::vector<double>& a, const StepResult& r) {
      auto q = env.qpos();
      auto v = env.qvel();
      const mjData* d = env.data();
      for (int i = 0; i < 13; ++i) REQUIRE(r.observation[i] == q[i + 2]);
      for (int i = 0; i < 14; ++i) REQUIRE(r.observation[13 + i] == v[i]);
      double contact = 0;
      for (int i = 0; i < 6 * 14; ++i) {
        double f = std::clamp(d->cfrc_ext[i], -1.0, 1.0);
        contact += f * f;
        if (contacts && i >= 6) REQUIRE(r.observation[27 + i - 6] == f);
      }
      for (int i = 0; i < 6; ++i) REQUIRE(d->cfrc_ext[i] == 0.0);  // the world body's row
      bool healthy = q[2] >= 0.2 && q[2] <= 1.0;
      REQUIRE(r.terminated == !healthy);
      REQUIRE(r.term("forward") == Approx((d->xpos[3] - torso_x0) / 0.05).margin(1e-9));
      REQUIRE(r.term("ctrl") == Approx(-0.5 * sum_squares(a)).margin(1e-12));
      REQUIRE(r.term("contact") == Approx(-5e-4 * contact).margin(1e-12));
      REQUIRE(r.term("survive") == (healthy ? 1.0 : 0.0));
      max_contact_cost = std::max(max_contact_cost, 5e-4 * contact);
    });
    CHECK(max_contact_cost > 0);  // the feet touch the floor
  }
}

TEST_CASE("InvertedPendulum: observation, reward and termination", "[env]") {
  InvertedPendulumEnv env;
  int terminations = 0;
  check_steps(env, 400, [&](double, double, const std::vector<double>&, const StepResult& r) {
    auto q = env.qpos();
    auto v = env.qvel();
    REQUIRE(r.observation == std::vector<double>{q[0], q[1], v[0], v[1]});
    bool down = std::abs(q[1]) > 0.2;
    REQUIRE(r.terminated == down);
    REQUIRE(r.reward == (down ? 0.0 : 1.0));
    terminations += r.terminated;
  });
  CHECK(terminations > 0);
}

TEST_CASE("healthy rules at their boundaries (open and closed intervals)", "[env]") {
  auto at = [](MujocoEnv& env, std::vector<std::pair<int, double>> qpos_values, std::vector<std::pair<int, double>> qvel_values = {}) {
    env.reset(0);
    std::vector<double> q(env.qpos().begin(), env.qpos().end()), v(env.qvel().size(), 0.0);
    for (auto [i, x] : qpos_values) q[i] = x;
    for (auto [i, x] : qvel_values) v[i] = x;
    env.set_state(q, v);
  };
  HopperEnv hopper;
  at(hopper, {{1, 0.7}});
  CHECK_FALSE(hopper.is_healthy());
  at(hopper, {{1, 0.7 + 1e-9}});
  CHECK(hopper.is_healthy());
  at(hopper, {{1, 1.25}, {2, 0.2}});
  CHECK_FALSE(hopper.is_healthy());
  at(hopper, {{1, 1.25}, {2, -0.2 + 1e-9}});
  CHECK(hopper.is_healthy());
  at(hopper, {{1, 1.25}}, {{3, 100.0}});
  CHECK_FALSE(hopper.is_healthy());
  at(hopper, {{1, 1.25}}, {{3, 99.999}});
  CHECK(hopper.is_healthy());
  at(hopper, {{1, 1.25}}, {{0, 500.0}, {1, -500.0}});  // qvel[0] counts, qpos[0] not
  CHECK_FALSE(hopper.is_healthy());
  at(hopper, {{0, 500.0}, {1, 1.25}});
  CHECK(hopper.is_healthy());

  Walker2dEnv walker;
  at(walker, {{1, 0.8}});
  CHECK_FALSE(walker.is_healthy());
  at(walker, {{1, 0.8 + 1e-9}});
  CHECK(walker.is_healthy());
  at(walker, {{1, 2.0}});
  CHECK_FALSE(walker.is_healthy());
  at(walker, {{1, 1.25}, {2, -1.0}});
  CHECK_FALSE(walker.is_healthy());
  at(walker, {{1, 1.25}, {2, 0.999}});
  CHECK(walker.is_healthy());

  AntEnv ant;
  at(ant, {{2, 0.2}});
  CHECK(ant.is_healthy());  // closed interval
  at(ant, {{2, 0.2 - 1e-9}});
  CHECK_FALSE(ant.is_healthy());
  at(ant, {{2, 1.0}});
  CHECK(ant.is_healthy());
  at(ant, {{2, 1.0 + 1e-9}});
  CHECK_FALSE(ant.is_healthy());

  // Through step(): a hopper started below the healthy height terminates at once and
  // earns no survive bonus; truncated stays false.
  at(hopper, {{1, 0.5}});
  auto r = hopper.step(std::vector<double>{0, 0, 0});
  CHECK(r.terminated);
  CHECK_FALSE(r.truncated);
  CHECK(r.term("survive") == 0.0);

  InvertedPendulumEnv pendulum;
  at(pendulum, {{1, 0.25}});
  r = pendulum.step(std::vector<double>{0});
  CHECK(r.terminated);
  CHECK(r.reward == 0.0);
  at(pendulum, {{1, 0.0}});
  r = pendulum.step(std::vector<double>{0});
  CHECK_FALSE(r.terminated);
  CHECK(r.reward == 1.0);
}
