// The Env interface: sizes, seeding, the time limit, clipping.
#include <catch2/catch.hpp>

#include <cmath>

#include "envs/ant.hpp"
#include "envs/registry.hpp"
#include "tests/envs/env_test_helpers.hpp"

using namespace maac::envs;

namespace {

struct ExpectedSpec {
  const char* name;
  int obs, act;
  double dt, low, high;
  int max_steps;
};

}  // namespace

TEST_CASE("every env has the documented sizes, bounds, dt and time limit", "[env]") {
  const ExpectedSpec expected[] = {
      {"HalfCheetah", 17, 6, 0.05, -1, 1, 1000},     {"Hopper", 11, 3, 0.008, -1, 1, 1000},
      {"Walker2d", 17, 6, 0.008, -1, 1, 1000},       {"Ant", 27, 8, 0.05, -1, 1, 1000},
      {"InvertedPendulum", 4, 1, 0.04, -3, 3, 1000}, {"Pendulum", 3, 1, 0.05, -2, 2, 200},
      {"DoubleIntegrator", 2, 1, 0.1, -10, 10, 100},
  };
  REQUIRE(env_names().size() == std::size(expected));
  for (const auto& e : expected) {
    INFO(e.name);
    auto env = make_env(e.name);
    const EnvSpec& s = env->spec();
    CHECK(s.name == e.name);
    CHECK(s.obs_dim == e.obs);
    CHECK(s.act_dim == e.act);
    CHECK(s.dt == Approx(e.dt).epsilon(1e-12));
    CHECK(s.max_episode_steps == e.max_steps);
    for (int i = 0; i < e.act; ++i) {
      CHECK(s.action_low[i] == e.low);
      CHECK(s.action_high[i] == e.high);
    }
    auto obs = env->reset(1);
    CHECK(static_cast<int>(obs.size()) == e.obs);
    auto r = env->step(std::vector<double>(static_cast<size_t>(e.act), 0.0));
    CHECK(static_cast<int>(r.observation.size()) == e.obs);
    CHECK(r.reward_terms.size() == s.reward_term_names.size());
    for (size_t k = 0; k < r.reward_terms.size(); ++k) CHECK(r.reward_terms[k].name == s.reward_term_names[k]);
  }
  AntEnv ant_with_contacts(test::with_contact_forces(true));
  CHECK(ant_with_contacts.obs_dim() == 105);
  CHECK(ant_with_contacts.reset(0).size() == 105u);
  CHECK(make_env("HalfCheetah-v5")->spec().name == "HalfCheetah");
  CHECK_THROWS_WITH(make_env("Humanoid"), Catch::Contains("Humanoid") && Catch::Contains("HalfCheetah"));
}

TEST_CASE("the same seed gives the same trajectory; another seed another one", "[env]") {
  for (const auto& name : env_names()) {
    INFO(name);
    auto a = make_env(name);
    auto b = make_env(name);
    auto ta = test::random_rollout(*a, 7, 60);
    auto tb = test::random_rollout(*b, 7, 60);
    for (size_t t = 0; t < ta.size(); ++t) {
      REQUIRE(ta[t].s == tb[t].s);
      REQUIRE(ta[t].s_next == tb[t].s_next);
      REQUIRE(ta[t].result.reward == tb[t].result.reward);
      REQUIRE(ta[t].result.terminated == tb[t].result.terminated);
    }
    // Re-seeding the same env object replays it exactly too.
    auto again = test::random_rollout(*a, 7, 60);
    for (size_t t = 0; t < ta.size(); ++t) REQUIRE(ta[t].s_next == again[t].s_next);
    CHECK(a->reset(7) != a->reset(8));
  }
}

TEST_CASE("the time limit truncates and never terminates", "[env]") {
  for (const auto& name : env_names()) {
    INFO(name);
    auto env = make_env(name, test::with_max_steps(5));
    REQUIRE(env->spec().max_episode_steps == 5);
    env->reset(3);
    std::vector<double> zero(static_cast<size_t>(env->act_dim()), 0.0);
    StepResult r;
    for (int t = 1; t <= 5; ++t) {
      r = env->step(zero);
      if (r.terminated) break;  // e.g. a falling env; then the limit is not tested here
      CHECK(r.truncated == (t == 5));
    }
    if (!r.terminated) {
      CHECK(r.truncated);
      CHECK_FALSE(env->episode_running());
      CHECK_THROWS_AS(env->step(zero), std::logic_error);
    }
  }
  // At the default limit (Pendulum: 200 steps, never terminates).
  auto pendulum = make_env("Pendulum");
  pendulum->reset(0);
  StepResult r;
  for (int t = 1; t <= 200; ++t) {
    r = pendulum->step(std::vector<double>{0.5});
    REQUIRE_FALSE(r.terminated);
    REQUIRE(r.truncated == (t == 200));
  }
}

TEST_CASE("actions outside the bounds are clipped", "[env]") {
  for (const auto& name : env_names()) {
    INFO(name);
    auto a = make_env(name);
    auto b = make_env(name);
    a->reset(5);
    b->reset(5);
    std::vector<double> big, clipped;
    for (int i = 0; i < a->act_dim(); ++i) {
      double sign = i % 2 ? -1.0 : 1.0;
      big.push_back(sign * 1e3);
      clipped.push_back(sign > 0 ? a->spec().action_high[i] : a->spec().action_low[i]);
    }
    auto ra = a->step(big);
    auto rb = b->step(clipped);
    CHECK(ra.observation == rb.observation);
    CHECK(ra.reward == rb.reward);
  }
}
