// The tape reward and alive mask against the env's own on real transitions, a float64
// central-difference gradient check of the tape reward, and the smooth alive probability
// against the env's healthy rule away from its bounds, with its own gradient check.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "autodiff/gradcheck.hpp"
#include "envs/ant.hpp"
#include "envs/differentiable_rewards.hpp"
#include "envs/hopper.hpp"
#include "envs/inverted_pendulum.hpp"
#include "envs/planar_observation.hpp"
#include "envs/registry.hpp"
#include "envs/walker2d.hpp"
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

// ---- The smooth alive probability (the actor's differentiable termination) ----

namespace {

// One healthy condition of the surrogate as the test reads it from the header docs:
// lo < obs[col] < hi, temperature tau (an infinite bound is no condition).
struct Bound {
  int col;
  double lo, hi, tau;
};

std::vector<Bound> healthy_bounds(const std::string& name, int obs_dim) {
  const double inf = INFINITY;
  if (name == "Hopper") {
    std::vector<Bound> b{{0, HopperEnv::kHealthyZMin, inf, HopperEnv::kAliveTemperatureZ},
                         {1, -HopperEnv::kHealthyAngleBound, HopperEnv::kHealthyAngleBound,
                          HopperEnv::kAliveTemperatureAngle}};
    for (int j = 1; j < obs_dim; ++j)
      b.push_back({j, -HopperEnv::kHealthyStateBound, HopperEnv::kHealthyStateBound, HopperEnv::kAliveTemperatureState});
    return b;
  }
  if (name == "Walker2d")
    return {{0, Walker2dEnv::kHealthyZMin, Walker2dEnv::kHealthyZMax, Walker2dEnv::kAliveTemperatureZ},
            {1, -Walker2dEnv::kHealthyAngleBound, Walker2dEnv::kHealthyAngleBound, Walker2dEnv::kAliveTemperatureAngle}};
  if (name == "Ant") return {{0, AntEnv::kHealthyZMin, AntEnv::kHealthyZMax, AntEnv::kAliveTemperatureZ}};
  if (name == "InvertedPendulum")
    return {{1, -InvertedPendulumEnv::kMaxPoleAngle, InvertedPendulumEnv::kMaxPoleAngle,
             InvertedPendulumEnv::kAliveTemperatureAngle}};
  return {};
}

// The smallest margin inside any bound, in temperatures (negative: outside by that much).
double min_margin(const std::vector<Bound>& bounds, const double* obs) {
  double m = INFINITY;
  for (const Bound& b : bounds) m = std::min({m, (obs[b.col] - b.lo) / b.tau, (b.hi - obs[b.col]) / b.tau});
  return m;
}

template <class T>
std::vector<double> alive_probabilities(const DifferentiableReward<T>& fn, const std::vector<double>& rows, int obs) {
  Tape<T> tape;
  std::vector<T> x(rows.begin(), rows.end());
  Var<T> p = fn.alive_probability(tape.constant(Shape{int64_t(rows.size()) / obs, obs}, x.data()));
  REQUIRE(p.shape() == Shape{int64_t(rows.size()) / obs, 1});
  return std::vector<double>(p.value(), p.value() + p.numel());
}

// Random physical states around the healthy bounds, set in the env (so its own
// is_healthy() judges them) and observed as the env observes them.
template <class E>
void sample_states(E& env, int count, uint64_t seed, std::vector<double>& obs_rows, std::vector<bool>& healthy) {
  envs::Rng rng(seed);
  const std::string& name = env.spec().name;
  env.reset(seed);
  std::vector<double> q0(env.qpos().begin(), env.qpos().end()), obs(static_cast<size_t>(env.obs_dim()));
  for (int i = 0; i < count; ++i) {
    std::vector<double> q = q0, v(env.qvel().size());
    for (double& x : v) x = rng.uniform(-8.0, 8.0);  // inside the observation's velocity clip
    // Each bounded entry: mostly well inside its interval, else anywhere around it.
    auto draw = [&](double lo_inside, double hi_inside, double lo, double hi) {
      return rng.uniform01() < 0.75 ? rng.uniform(lo_inside, hi_inside) : rng.uniform(lo, hi);
    };
    if (name == "Hopper") {
      q[1] = draw(0.9, 1.5, 0.3, 1.6);
      q[2] = draw(-0.1, 0.1, -0.6, 0.6);
      for (int j = 3; j < 6; ++j) q[j] = rng.uniform(-1.0, 1.0);
      if (rng.uniform01() < 0.2) q[3 + static_cast<size_t>(rng.uniform(0.0, 3.0))] = rng.uniform(-250.0, 250.0);
    } else if (name == "Walker2d") {
      q[1] = draw(1.0, 1.8, 0.3, 2.5);
      q[2] = draw(-0.5, 0.5, -2.0, 2.0);
    } else {  // Ant: z only
      q[2] = draw(0.5, 0.7, -0.4, 1.6);
    }
    env.set_state(q, v);
    healthy.push_back(env.is_healthy());
    if (name == "Ant") {
      std::copy(q.begin() + 2, q.end(), obs.begin());
      std::copy(v.begin(), v.end(), obs.begin() + long(q.size()) - 2);
    } else {
      planar_observation(env.qpos(), env.qvel(), PlanarWalkerEnv::kObsVelocityClip, obs);
    }
    obs_rows.insert(obs_rows.end(), obs.begin(), obs.end());
  }
}

// Well inside: every margin at least 7 temperatures (each sigmoid > 0.999); well outside:
// one margin at most -5 (that sigmoid < 0.007). Returns {inside, outside} counts.
std::pair<int, int> check_agreement(const std::vector<Bound>& bounds, const std::vector<double>& rows, int obs,
                                    const std::vector<double>& p, const std::vector<bool>& healthy) {
  int inside = 0, outside = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double m = min_margin(bounds, &rows[i * size_t(obs)]);
    INFO("row " << i << ": min margin " << m << " temperatures, p " << p[i] << ", healthy " << healthy[i]);
    REQUIRE(p[i] >= 0.0);
    REQUIRE(p[i] <= 1.0);
    if (m >= 7.0) {
      REQUIRE(healthy[i]);
      REQUIRE(p[i] > 0.99);
      ++inside;
    } else if (m <= -5.0) {
      REQUIRE_FALSE(healthy[i]);
      REQUIRE(p[i] < 0.01);
      ++outside;
    }
  }
  return {inside, outside};
}

}  // namespace

TEST_CASE("the smooth alive probability agrees with the env's healthy rule away from the bounds", "[env]") {
  auto run = [](auto& env) {
    const std::string name = env.spec().name;
    INFO(name);
    const int obs = env.obs_dim();
    std::vector<double> rows;
    std::vector<bool> healthy;
    sample_states(env, 3000, 41, rows, healthy);
    auto fn = make_differentiable_reward<double>(env);
    auto p = alive_probabilities(*fn, rows, obs);
    auto [inside, outside] = check_agreement(healthy_bounds(name, obs), rows, obs, p, healthy);
    std::printf("smooth alive %-9s %d states well inside, %d well outside, %d near a bound\n", name.c_str(), inside,
                outside, int(p.size()) - inside - outside);
    CHECK(inside >= 200);
    CHECK(outside >= 200);
    // float agrees with double.
    auto p32 = alive_probabilities(*make_differentiable_reward<float>(env), rows, obs);
    for (size_t i = 0; i < p.size(); ++i) REQUIRE(p32[i] == Approx(p[i]).margin(1e-5));
  };
  HopperEnv hopper;
  Walker2dEnv walker;
  AntEnv ant;
  run(hopper);
  run(walker);
  run(ant);
}

TEST_CASE("the smooth alive probability agrees with the env's termination on real transitions", "[env]") {
  for (const std::string name : {"Hopper", "Walker2d", "Ant", "InvertedPendulum"}) {
    INFO(name);
    auto env = make_env(name);
    auto ts = test::random_rollout(*env, 43, 2000);
    std::vector<double> rows;
    std::vector<bool> healthy;
    for (const auto& t : ts) {
      rows.insert(rows.end(), t.s_next.begin(), t.s_next.end());
      healthy.push_back(!t.result.terminated);
    }
    auto p = alive_probabilities(*make_differentiable_reward<double>(*env), rows, env->obs_dim());
    auto [inside, outside] = check_agreement(healthy_bounds(name, env->obs_dim()), rows, env->obs_dim(), p, healthy);
    CHECK(inside >= 100);
    (void)outside;  // random policies fall just past a bound: few are well outside
  }
}

TEST_CASE("the smooth alive probability passes a float64 central-difference gradient check", "[env]") {
  for (const std::string name : {"Hopper", "Walker2d", "Ant", "InvertedPendulum"}) {
    INFO(name);
    auto env = make_env(name);
    const int obs = env->obs_dim();
    auto bounds = healthy_bounds(name, obs);
    // Rows from a reset, their bounded entries moved to within 3 temperatures of a bound
    // (half of them) or anywhere inside: the sigmoids are off their flat tails.
    envs::Rng rng(47);
    std::vector<double> start = env->reset(47), rows;
    const int n = 8;
    for (int i = 0; i < n; ++i) {
      std::vector<double> row = start;
      for (const Bound& b : bounds) {
        if (!std::isfinite(b.hi) || b.hi - b.lo > 100.0) continue;  // Hopper's z top, the state bound
        const double bound = rng.uniform(0.0, 1.0) < 0.5 ? b.lo : b.hi;
        row[b.col] = rng.uniform(0.0, 1.0) < 0.5 ? bound + rng.uniform(-3.0, 3.0) * b.tau : rng.uniform(b.lo, b.hi);
      }
      if (name == "Hopper") {
        row[0] = HopperEnv::kHealthyZMin + rng.uniform(-3.0, 3.0) * HopperEnv::kAliveTemperatureZ;
        if (i == 0) row[3] = 95.0;  // the state bound, within one temperature
      }
      rows.insert(rows.end(), row.begin(), row.end());
    }
    auto fn = make_differentiable_reward<double>(*env);
    GradcheckFn f = [&](Tape<double>&, const std::vector<Var<double>>& in) { return fn->alive_probability(in[0]); };
    GradcheckReport r = gradcheck("alive_probability " + name, f, {{"s_next", Shape{n, obs}, rows}});
    INFO(r.name << ": " << r.checked << " entries, " << r.failed << " failed, worst " << r.worst);
    REQUIRE(r.passed());
    // And the gradient is there: the probability moves with the bounded entries.
    Tape<double> tape;
    Var<double> x = tape.input(Shape{n, obs}, rows.data());
    tape.backward(sum(fn->alive_probability(x)));
    double largest = 0;
    for (int64_t k = 0; k < x.numel(); ++k) largest = std::max(largest, std::abs(x.grad()[k]));
    CHECK(largest > 1.0);
  }
}

TEST_CASE("the smooth alive probability at the bounds, and ones without termination", "[env]") {
  auto p_of = [](const std::string& name, std::vector<double> row) {
    auto env = make_env(name);
    row.resize(static_cast<size_t>(env->obs_dim()), 0.0);
    auto fn = make_differentiable_reward<double>(*env);
    Tape<double> tape;
    Var<double> p = fn->alive_probability(tape.constant(Shape{1, env->obs_dim()}, row.data()));
    return p.item();
  };
  // On a bound one sigmoid is 1/2 (the others, far away, are ~1).
  CHECK(p_of("Hopper", {0.7, 0.0}) == Approx(0.5).epsilon(1e-3));
  CHECK(p_of("Hopper", {1.25, 0.2}) == Approx(0.5).epsilon(1e-3));
  CHECK(p_of("Walker2d", {2.0, 0.0}) == Approx(0.5).epsilon(1e-3));
  CHECK(p_of("Ant", {0.2}) == Approx(0.5).epsilon(1e-3));
  CHECK(p_of("InvertedPendulum", {0.0, -0.2}) == Approx(0.5).epsilon(1e-3));
  // Conditions that are not distances stay hard: finiteness, Hopper's z < inf.
  CHECK(p_of("Ant", {0.5, NAN}) == 0.0);
  CHECK(p_of("Ant", {0.5, INFINITY}) == 0.0);
  CHECK(p_of("Hopper", {INFINITY, 0.0}) == 0.0);
  CHECK(p_of("InvertedPendulum", {0.0, 0.0, -INFINITY}) == 0.0);
  for (const std::string name : {"HalfCheetah", "Pendulum", "DoubleIntegrator"}) {
    INFO(name);
    CHECK(p_of(name, {50.0, -50.0}) == 1.0);
  }
}
