// The Env interface: sizes, seeding, the time limit, clipping.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "envs/ant.hpp"
#include "envs/assets.hpp"
#include "envs/mujoco_env.hpp"
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

TEST_CASE("the same seed gives the same trajectory, another seed another one", "[env]") {
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

TEST_CASE("reset noise has the documented distribution", "[env]") {
  struct Noise {
    const char* name;
    double qpos_scale;  // U(-s, s) on qpos
    double qvel_scale;  // U(-s, s) or s N(0, 1) on qvel
    bool qvel_normal;
  };
  const Noise cases[] = {{"HalfCheetah", 0.1, 0.1, true},
                         {"Hopper", 5e-3, 5e-3, false},
                         {"Walker2d", 5e-3, 5e-3, false},
                         {"Ant", 0.1, 0.1, true},
                         {"InvertedPendulum", 0.01, 0.01, false}};
  const int resets = 1500;
  for (const auto& c : cases) {
    INFO(c.name);
    auto env = make_env(c.name);
    auto& mj = dynamic_cast<MujocoEnv&>(*env);
    const mjModel* m = mj.model();
    double max_qpos_dev = 0, sum_sq_qvel = 0, max_qvel = 0;
    long count_qvel = 0;
    for (int k = 0; k < resets; ++k) {
      env->reset(static_cast<uint64_t>(1000 + k));
      for (int i = 0; i < m->nq; ++i) {
        // Ant's free-joint quaternion (qpos[3:7]) is renormalised by mj_forward after the
        // noise is added (as in Gymnasium), so it can move further than the noise scale.
        if (m->jnt_type[0] == mjJNT_FREE && i >= 3 && i < 7) continue;
        max_qpos_dev = std::max(max_qpos_dev, std::abs(mj.qpos()[i] - m->qpos0[i]));
      }
      for (double v : mj.qvel()) {
        sum_sq_qvel += v * v;
        max_qvel = std::max(max_qvel, std::abs(v));
        ++count_qvel;
      }
    }
    CHECK(max_qpos_dev <= c.qpos_scale);
    CHECK(max_qpos_dev > 0.95 * c.qpos_scale);
    const double qvel_std = std::sqrt(sum_sq_qvel / count_qvel);
    const double expected_std = c.qvel_normal ? c.qvel_scale : c.qvel_scale / std::sqrt(3.0);
    CHECK(qvel_std == Approx(expected_std).epsilon(0.05));
    if (!c.qvel_normal) CHECK(max_qvel <= c.qvel_scale);
    else CHECK(max_qvel > 2.5 * c.qvel_scale);  // Gaussian tails, not a uniform box
  }
}

TEST_CASE("the asset folder: explicit argument, then MAAC_ENVS_ASSET_DIR, then the source tree", "[env]") {
  const char* old = std::getenv("MAAC_ENVS_ASSET_DIR");
  std::string saved = old ? old : "";
  ::setenv("MAAC_ENVS_ASSET_DIR", "/nonexistent/maac_assets", 1);
  CHECK(asset_dir() == std::filesystem::path("/nonexistent/maac_assets"));
  CHECK_THROWS_WITH(make_env("Hopper"), Catch::Contains("/nonexistent/maac_assets/hopper.xml"));
  CHECK(asset_dir(MAAC_TEST_SOURCE_ASSET_DIR) == std::filesystem::path(MAAC_TEST_SOURCE_ASSET_DIR));
  CHECK_NOTHROW(make_env("Hopper", test::with_asset_dir(MAAC_TEST_SOURCE_ASSET_DIR)));
  ::unsetenv("MAAC_ENVS_ASSET_DIR");
  CHECK(asset_dir() == std::filesystem::path(MAAC_TEST_SOURCE_ASSET_DIR));
  CHECK_NOTHROW(make_env("Hopper"));
  if (old) ::setenv("MAAC_ENVS_ASSET_DIR", saved.c_str(), 1);
}
