// Critic targets as tape ops equal the host reference (rl/critic_targets.hpp) in float64:
// TD, and STEVE in both variance modes for H_c = 0, 1, 2, with a terminated transition
// and with termination inside the model rollout.
#include <catch2/catch.hpp>
#include <cmath>

#include "rl/critic_target_ops.hpp"
#include "rl_fixture.hpp"

using namespace maac;
using namespace maac::rl;
using maac::rl::test::TinySetup;

namespace {

constexpr double kTol = 1e-10;

void require_near(double got, double expected, const char* what, int64_t at) {
  INFO(what << " at " << at << ": got " << got << ", expected " << expected);
  REQUIRE(std::fabs(got - expected) <= kTol * (1.0 + std::fabs(expected)));
}

// The transitions of every case: one terminated row (alive = 0).
struct Batch {
  std::vector<double> r, alive{1, 1, 0, 1}, s_next;
  explicit Batch(Rng& rng, int64_t n, int64_t obs)
      : r(rng.normal_vector<double>(n)), s_next(rng.normal_vector<double>(n * obs)) {}
};

}  // namespace

TEST_CASE("the TD target as tape ops equals the host target") {
  TinySetup t;
  Rng rng(11);
  Batch b(rng, t.n, t.obs);
  const std::vector<double> eps = rng.normal_vector<double>(t.n * t.act);
  for (double alpha : {0.0, 0.3}) {
    const std::vector<double> host =
        td_target(t.policy, t.critic, b.r.data(), b.alive.data(), b.s_next.data(), eps.data(), t.n, alpha, 0.9);
    Tape<double> tape;
    Var<double> y = td_target_var(t.policy, t.critic, tape.constant(Shape{t.n, 1}, b.r.data()),
                                  tape.constant(Shape{t.n, 1}, b.alive.data()),
                                  tape.constant(Shape{t.n, t.obs}, b.s_next.data()),
                                  tape.constant(Shape{t.n, t.act}, eps.data()), tape.filled(Shape{1, 1}, alpha), 0.9);
    REQUIRE(y.shape() == Shape{t.n, 1});
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(tape.record_count() == 0);  // built under NoGrad
    for (int64_t i = 0; i < t.n; ++i) require_near(y.value()[i], host[i], "TD target", i);
  }
}

TEST_CASE("STEVE targets as tape ops equal the host targets") {
  TinySetup t;
  Rng rng(13);
  Batch b(rng, t.n, t.obs);
  const double alpha = 0.2;
  // terminate_above = 1: some model steps end their rollout (checked below).
  QuadraticReward<double> never(0.5, 0.1, 1.0), sometimes(0.5, 0.1, 1.0, 1.0);
  bool terminations_matter = false;
  for (SteveVariance variance : {SteveVariance::members_and_twins, SteveVariance::authors_zero_h0})
    for (int64_t horizon : {0, 1, 2}) {
      SteveOptions o;
      o.gamma = 0.9;
      o.horizon = horizon;
      o.variance = variance;
      const SteveNoise<double> noise = SteveNoise<double>::draw(o, t.n, t.model, t.act, rng);
      for (const QuadraticReward<double>* reward : {&never, &sometimes}) {
        CAPTURE(int(variance), horizon, reward == &sometimes);
        const SteveTargets host = steve_targets(t.policy, t.model, t.critic, *reward, b.r.data(), b.alive.data(),
                                                b.s_next.data(), t.n, alpha, noise, o);
        Tape<double> tape;
        SteveTargetVars<double> ops = steve_targets_var(
            t.policy, t.model, t.critic, *reward, tape.constant(Shape{t.n, 1}, b.r.data()),
            tape.constant(Shape{t.n, 1}, b.alive.data()), tape.constant(Shape{t.n, t.obs}, b.s_next.data()),
            tape.filled(Shape{1, 1}, alpha), SteveNoiseVars<double>::on_tape(tape, noise, t.n, t.act, t.model), o);
        REQUIRE(ops.target.shape() == Shape{t.n, 1});
        REQUIRE_FALSE(ops.target.requires_grad());
        REQUIRE(int64_t(ops.means.size()) == horizon + 1);
        for (int64_t i = 0; i < t.n; ++i) require_near(ops.target.value()[i], host.target[i], "target", i);
        for (int64_t h = 0; h <= horizon; ++h)
          for (int64_t i = 0; i < t.n; ++i) {
            const int64_t k = h * t.n + i;
            require_near(ops.means[h].value()[i], host.means[k], "mean", k);
            require_near(ops.variances[h].value()[i], host.variances[k], "variance", k);
            require_near(ops.weights[h].value()[i], host.weights[k], "weight", k);
          }
        // The authors' h = 0 variance is exactly zero, as on the host.
        if (variance == SteveVariance::authors_zero_h0)
          for (int64_t i = 0; i < t.n; ++i) REQUIRE(ops.variances[0].value()[i] == 0.0);
        if (reward == &sometimes && horizon > 0) {
          const SteveTargets free = steve_targets(t.policy, t.model, t.critic, never, b.r.data(), b.alive.data(),
                                                  b.s_next.data(), t.n, alpha, noise, o);
          for (int64_t i = 0; i < t.n; ++i) terminations_matter |= free.target[i] != host.target[i];
        }
      }
    }
  REQUIRE(terminations_matter);
}

TEST_CASE("tape-op targets reject inputs of the wrong shape") {
  TinySetup t;
  Tape<double> tape;
  Var<double> r = tape.filled(Shape{t.n, 1}, 0.0), s = tape.filled(Shape{t.n, t.obs}, 0.0);
  Var<double> eps = tape.filled(Shape{t.n, t.act}, 0.0), alpha = tape.filled(Shape{1, 1}, 0.1);
  REQUIRE_THROWS_AS(td_target_var(t.policy, t.critic, r, r, s, eps, tape.filled(Shape{t.n, 1}, 0.1), 0.9),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(td_target_var(t.policy, t.critic, r, tape.filled(Shape{1, t.n}, 1.0), s, eps, alpha, 0.9),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(td_target_var(t.policy, t.critic, r, r, s, eps, alpha, 1.5), std::invalid_argument);
  SteveOptions o;
  o.horizon = 1;
  SteveNoiseVars<double> short_noise{eps, {}, {}};
  QuadraticReward<double> reward(0.5, 0.1);
  REQUIRE_THROWS_AS(steve_targets_var(t.policy, t.model, t.critic, reward, r, r, s, alpha, short_noise, o),
                    std::invalid_argument);
}
