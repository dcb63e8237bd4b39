// The tape reward and alive mask against the env's own on real transitions, and a
// float64 central-difference gradient check of the tape reward.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "envs/ant.hpp"
#include "envs/differentiable_rewards.hpp"
#include "envs/registry.hpp"
#include "tests/envs/env_test_helpers.hpp"

using namespace maac;
using namespace maac::envs;

namespace {

struct Batch {
  int n = 0, obs = 0, act = 0;
  std::vector<double> s, a, s_next;
};

Batch to_batch(const std::vector<test::Transition>& ts, int obs, int act) {
  Batch b;
  b.n = static_cast<int>(ts.size());
  b.obs = obs;
  b.act = act;
  for (const auto& t : ts) {
    b.s.insert(b.s.end(), t.s.begin(), t.s.end());
    b.a.insert(b.a.end(), t.a.begin(), t.a.end());
    b.s_next.insert(b.s_next.end(), t.s_next.begin(), t.s_next.end());
  }
  return b;
}

template <class T>
std::vector<double> tape_rewards(const DifferentiableReward<T>& fn, const Batch& b, std::vector<double>* alive = nullptr) {
  Tape<T> tape;
  std::vector<T> s(b.s.begin(), b.s.end()), a(b.a.begin(), b.a.end()), sn(b.s_next.begin(), b.s_next.end());
  Var<T> vs = tape.constant(Shape{b.n, b.obs}, s.data());
  Var<T> va = tape.constant(Shape{b.n, b.act}, a.data());
  Var<T> vsn = tape.constant(Shape{b.n, b.obs}, sn.data());
  Var<T> r = fn.reward(vs, va, vsn);
  REQUIRE(r.shape() == Shape{b.n, 1});
  if (alive) {
    Var<T> m = fn.alive(vsn);
    REQUIRE(m.shape() == Shape{b.n, 1});
    REQUIRE_FALSE(m.requires_grad());
    alive->assign(m.value(), m.value() + b.n);
  }
  return std::vector<double>(r.value(), r.value() + b.n);
}

// Bounds on the mean |tape reward - env reward| per step under a uniform random policy
// (documented in docs/envs.md with the measured values).
const std::map<std::string, double> kStandInBound = {
    {"HalfCheetah", 0.35}, {"Hopper", 0.08}, {"Walker2d", 0.2}, {"Ant", 0.25}, {"Ant105", 0.25},
    {"InvertedPendulum", 0.0}, {"Pendulum", 0.0}, {"DoubleIntegrator", 0.0}};

std::unique_ptr<Env> make_named(const std::string& key) {
  if (key == "Ant105") return make_env("Ant", test::with_contact_forces(true));
  return make_env(key);
}

// The env reward with the stand-in parts replaced by what the tape uses.
double expected_tape_reward(const Env& env, const test::Transition& t) {
  const std::string& n = env.spec().name;
  const StepResult& r = t.result;
  auto replace_forward = [&](int index) { return r.reward - r.term("forward") + t.s_next[static_cast<size_t>(index)]; };
  if (n == "HalfCheetah") return replace_forward(8);
  if (n == "Hopper") return replace_forward(5);
  if (n == "Walker2d") return replace_forward(8);
  if (n == "Ant") return replace_forward(13) - (env.obs_dim() == 27 ? r.term("contact") : 0.0);
  return r.reward;
}

}  // namespace

TEST_CASE("the tape reward and alive mask agree with the env on real transitions", "[env]") {
  for (const auto& [key, bound] : kStandInBound) {
    INFO(key);
    auto env = make_named(key);
    auto ts = test::random_rollout(*env, 21, 1000);
    Batch b = to_batch(ts, env->obs_dim(), env->act_dim());
    auto fn = make_differentiable_reward<double>(*env);
    CHECK(fn->stand_in().empty() == (bound == 0.0));
    std::vector<double> alive;
    auto r = tape_rewards(*fn, b, &alive);
    double mean_abs = 0, max_abs = 0, mean_contact = 0;
    for (int i = 0; i < b.n; ++i) {
      INFO("transition " << i);
      // Everything but the stand-in is exact.
      REQUIRE(r[i] == Approx(expected_tape_reward(*env, ts[i])).margin(1e-9));
      REQUIRE(alive[i] == (ts[i].result.terminated ? 0.0 : 1.0));
      double d = std::abs(r[i] - ts[i].result.reward);
      mean_abs += d / b.n;
      if (env->spec().name == "Ant") mean_contact += std::abs(ts[i].result.term("contact")) / b.n;
      max_abs = std::max(max_abs, d);
    }
    std::printf("stand-in %-17s mean |tape - env| reward per step %.4g (max %.4g; Ant contact cost mean %.3g) "
                "over %d random-policy steps\n",
                key.c_str(), mean_abs, max_abs, mean_contact, b.n);
    CHECK(mean_abs <= bound + 1e-12);

    // float agrees with double.
    auto fn32 = make_differentiable_reward<float>(*env);
    auto r32 = tape_rewards(*fn32, b);
    for (int i = 0; i < b.n; ++i) REQUIRE(r32[i] == Approx(r[i]).epsilon(1e-4).margin(1e-4));
  }
}

TEST_CASE("the tape reward passes a float64 central-difference gradient check", "[env]") {
  for (const auto& [key, bound] : kStandInBound) {
    INFO(key);
    auto env = make_named(key);
    auto ts = test::random_rollout(*env, 5, 200, 0.9);  // actions off the clamp kinks
    std::vector<test::Transition> picked;
    for (size_t i = 0; i < ts.size() && picked.size() < 6; i += 17) {
      // Pendulum: keep away from atan2's branch cut at theta = +-pi.
      if (key == "Pendulum" && std::abs(std::atan2(ts[i].s[1], ts[i].s[0])) > 3.0) continue;
      picked.push_back(ts[i]);
    }
    Batch b = to_batch(picked, env->obs_dim(), env->act_dim());
    auto fn = make_differentiable_reward<double>(*env);
    Rng rng(3);
    std::vector<double> w(static_cast<size_t>(b.n));
    for (double& x : w) x = rng.uniform(0.5, 1.5);

    // f = sum_i w_i r_i(s, a, s')
    auto f = [&](const Batch& x, Tape<double>& tape, Var<double>* in) {
      in[0] = tape.input(Shape{x.n, x.obs}, x.s.data());
      in[1] = tape.input(Shape{x.n, x.act}, x.a.data());
      in[2] = tape.input(Shape{x.n, x.obs}, x.s_next.data());
      Var<double> vw = tape.constant(Shape{x.n, 1}, w.data());
      return sum(mul(fn->reward(in[0], in[1], in[2]), vw));
    };
    Tape<double> tape;
    Var<double> in[3];
    Var<double> out = f(b, tape, in);
    if (!out.requires_grad()) {  // InvertedPendulum: the reward is the constant alive mask
      CHECK(key == "InvertedPendulum");
      continue;
    }
    tape.backward(out);
    std::vector<double>* parts[3] = {&b.s, &b.a, &b.s_next};
    const double h = 1e-6;
    int checked = 0;
    for (int p = 0; p < 3; ++p) {
      std::vector<double> analytic(in[p].grad(), in[p].grad() + in[p].numel());
      for (size_t k = 0; k < parts[p]->size(); ++k) {
        const double x0 = (*parts[p])[k];
        Tape<double> t1, t2;
        Var<double> tmp[3];
        (*parts[p])[k] = x0 + h;
        const double fp = f(b, t1, tmp).item();
        (*parts[p])[k] = x0 - h;
        const double fm = f(b, t2, tmp).item();
        (*parts[p])[k] = x0;
        const double numeric = (fp - fm) / (2 * h);
        INFO("input " << p << " element " << k << ": analytic " << analytic[k] << ", numeric " << numeric);
        REQUIRE(std::abs(analytic[k] - numeric) <= 1e-5 + 1e-3 * std::abs(numeric));
        ++checked;
      }
    }
    CHECK(checked > 0);
  }
}

TEST_CASE("the tape alive mask follows the healthy rules at their boundaries", "[env]") {
  auto mask_of = [](const std::string& name, std::vector<double> row, EnvOptions o = {}) {
    auto env = make_env(name, o);
    row.resize(static_cast<size_t>(env->obs_dim()), 0.0);
    auto fn = make_differentiable_reward<double>(*env);
    Tape<double> tape;
    return fn->alive(tape.constant(Shape{1, env->obs_dim()}, row.data())).item();
  };
  CHECK(mask_of("Hopper", {0.7, 0.0}) == 0.0);
  CHECK(mask_of("Hopper", {0.71, 0.0}) == 1.0);
  CHECK(mask_of("Hopper", {1.2, 0.2}) == 0.0);
  CHECK(mask_of("Hopper", {1.2, 0.19}) == 1.0);
  CHECK(mask_of("Hopper", {1.2, 0.0, 100.0}) == 0.0);
  CHECK(mask_of("Walker2d", {0.8, 0.0}) == 0.0);
  CHECK(mask_of("Walker2d", {2.0, 0.0}) == 0.0);
  CHECK(mask_of("Walker2d", {1.99, 0.99}) == 1.0);
  CHECK(mask_of("Walker2d", {1.2, -1.0}) == 0.0);
  CHECK(mask_of("Ant", {0.2}) == 1.0);
  CHECK(mask_of("Ant", {1.0}) == 1.0);
  CHECK(mask_of("Ant", {1.0001}) == 0.0);
  CHECK(mask_of("Ant", {0.1999}) == 0.0);
  CHECK(mask_of("Ant", {0.5, NAN}) == 0.0);
  CHECK(mask_of("InvertedPendulum", {0.0, 0.2}) == 1.0);
  CHECK(mask_of("InvertedPendulum", {0.0, -0.2001}) == 0.0);
  CHECK(mask_of("HalfCheetah", {-50.0}) == 1.0);
}

TEST_CASE("the tape reward rejects inputs of the wrong shape", "[env]") {
  auto env = make_env("Hopper");
  auto fn = make_differentiable_reward<double>(*env);
  Tape<double> tape;
  std::vector<double> z(64, 0.0);
  Var<double> s = tape.constant(Shape{2, 11}, z.data());
  Var<double> a = tape.constant(Shape{2, 3}, z.data());
  Var<double> bad = tape.constant(Shape{2, 10}, z.data());
  CHECK_THROWS_WITH(fn->reward(s, a, bad), Catch::Contains("[2, 10]") && Catch::Contains("[n, 11]"));
  CHECK_THROWS_AS(fn->reward(s, s, s), std::invalid_argument);
  Var<double> short_rows = tape.constant(Shape{1, 3}, z.data());
  CHECK_THROWS_WITH(fn->reward(s, short_rows, s), Catch::Contains("rows"));
}

TEST_CASE("rewards that read nothing on the host are capturable", "[env]") {
  // Every reward and healthy check is tape ops, with constants on the tape's device.
  const std::map<std::string, bool> expected{{"HalfCheetah", true},     {"Hopper", true},    {"Walker2d", true},
                                             {"Ant", true},             {"InvertedPendulum", true},
                                             {"Pendulum", true},        {"DoubleIntegrator", true}};
  for (const auto& [name, capturable] : expected) {
    INFO(name);
    REQUIRE(make_differentiable_reward<float>(*make_env(name))->capturable() == capturable);
  }
}
