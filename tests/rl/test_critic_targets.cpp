// Critic targets: the inverse-variance combination on constructed cases, and STEVE
// against the one-step TD target where they must agree.
#include <catch2/catch.hpp>
#include <cmath>

#include "rl/critic_targets.hpp"
#include "rl/temperature.hpp"
#include "rl_fixture.hpp"

using namespace maac;
using namespace maac::rl;
using maac::rl::test::TinySetup;

TEST_CASE("STEVE weights: equal variances average, a zero variance takes the weight") {
  // Two rows, three horizons (horizon-major).
  std::vector<double> means{1.0, 10.0, 2.0, 20.0, 6.0, 60.0};
  SteveTargets eq = steve_combine(means, {0.5, 2.0, 0.5, 2.0, 0.5, 2.0}, 2, 1e-8);
  REQUIRE(eq.target[0] == Approx(3.0).epsilon(1e-12));
  REQUIRE(eq.target[1] == Approx(30.0).epsilon(1e-12));
  for (double w : eq.weights) REQUIRE(w == Approx(1.0 / 3).epsilon(1e-12));

  // Authors' case: h = 0 has variance exactly 0 and gets all but ~1e-8 of the weight.
  SteveTargets zero = steve_combine(means, {0.0, 0.0, 1.0, 1.0, 4.0, 4.0}, 2, 1e-8);
  REQUIRE(zero.weights[0] > 1.0 - 1e-7);
  REQUIRE(zero.target[0] == Approx(1.0).epsilon(1e-6));
  REQUIRE(zero.target[1] == Approx(10.0).epsilon(1e-6));

  // Inverse-variance: variances 1 and 4 weigh 4:1.
  SteveTargets two = steve_combine({0.0, 5.0}, {1.0, 4.0}, 1, 1e-12);
  REQUIRE(two.weights[0] == Approx(0.8).epsilon(1e-9));
  REQUIRE(two.target[0] == Approx(1.0).epsilon(1e-9));
  REQUIRE_THROWS_AS(steve_combine({1.0, 2.0}, {1.0}, 1, 1e-8), std::invalid_argument);
  REQUIRE_THROWS_AS(steve_combine({1.0}, {-1.0}, 1, 1e-8), std::invalid_argument);
}

TEST_CASE("STEVE targets against the one-step TD target") {
  TinySetup t;
  QuadraticReward<double> reward(0.5, 0.1, 1.0);
  const int64_t n = t.n;
  Rng rng(41);
  std::vector<double> r = rng.normal_vector<double>(n), alive{1, 1, 0, 1};
  std::vector<double> s1 = rng.normal_vector<double>(n * t.obs);
  const double alpha = 0.2, gamma = 0.9;

  SteveOptions o;
  o.gamma = gamma;
  o.horizon = 0;
  auto noise0 = SteveNoise<double>::draw(o, n, t.model, t.act, rng);
  std::vector<double> td =
      td_target(t.policy, t.critic, r.data(), alive.data(), s1.data(), noise0.next_eps.data(), n, alpha, gamma);
  // H_c = 0: one horizon, weight 1, and the per-member mean is the TD target.
  SteveTargets h0 =
      steve_targets(t.policy, t.model, t.critic, reward, r.data(), alive.data(), s1.data(), n, alpha, noise0, o);
  for (int64_t i = 0; i < n; ++i) REQUIRE(h0.target[i] == Approx(td[i]).epsilon(1e-12));
  // A terminated transition's target is its reward.
  REQUIRE(td[2] == Approx(r[2]).epsilon(1e-12));

  // The h = 0 variance is the spread of the two target Qs (members agree at h = 0).
  {
    Tape<double> tape;
    Var<double> sv = tape.constant(Shape{n, t.obs}, s1.data());
    auto pi = t.policy.sample(tape, sv, tape.constant(Shape{n, t.act}, noise0.next_eps.data()));
    auto q = t.critic.q(tape, sv, pi.action, true);
    for (int64_t i = 0; i < n; ++i) {
      // The TD target by hand, with the target networks (which differ from the online ones).
      double v = std::min(q[0].value()[i], q[1].value()[i]) - alpha * pi.log_prob.value()[i];
      REQUIRE(td[i] == Approx(r[i] + gamma * alive[i] * v).epsilon(1e-12));
      double d = gamma * alive[i] * (q[0].value()[i] - q[1].value()[i]) / 2;
      REQUIRE(h0.variances[i] == Approx(d * d).epsilon(1e-9).margin(1e-15));
    }
  }

  o.horizon = 2;
  auto noise2 = SteveNoise<double>::draw(o, n, t.model, t.act, rng);
  noise2.next_eps = noise0.next_eps;
  SteveTargets twin =
      steve_targets(t.policy, t.model, t.critic, reward, r.data(), alive.data(), s1.data(), n, alpha, noise2, o);
  o.variance = SteveVariance::authors_zero_h0;
  SteveTargets authors =
      steve_targets(t.policy, t.model, t.critic, reward, r.data(), alive.data(), s1.data(), n, alpha, noise2, o);
  for (int64_t i = 0; i < n; ++i) {
    // h = 0 means are the TD target in both variants.
    REQUIRE(twin.means[i] == Approx(td[i]).epsilon(1e-12));
    // Authors' variant: zero variance at h = 0, so the target is the TD target.
    REQUIRE(authors.variances[i] == 0.0);
    // ... (almost) all the weight: the rest can move it by at most its share of the spread.
    if (alive[i] > 0) REQUIRE(authors.weights[i] > 0.9);  // a terminated row has no spread anywhere
    double spread = 0;
    for (int64_t h = 1; h <= 2; ++h) spread = std::max(spread, std::fabs(authors.means[h * n + i] - td[i]));
    REQUIRE(std::fabs(authors.target[i] - td[i]) <= (1 - authors.weights[i]) * spread + 1e-12);
    double wsum = 0, lo = 1e300, hi = -1e300;
    for (int64_t h = 0; h <= 2; ++h) {
      wsum += twin.weights[h * n + i];
      lo = std::min(lo, twin.means[h * n + i]);
      hi = std::max(hi, twin.means[h * n + i]);
    }
    REQUIRE(wsum == Approx(1.0).epsilon(1e-12));
    REQUIRE(twin.target[i] >= lo - 1e-12);
    REQUIRE(twin.target[i] <= hi + 1e-12);
  }
  SteveNoise<double> short_noise = noise2;
  short_noise.model_eps[1].pop_back();
  REQUIRE_THROWS_AS(
      steve_targets(t.policy, t.model, t.critic, reward, r.data(), alive.data(), s1.data(), n, alpha, short_noise, o),
      std::invalid_argument);
  // Live transitions: longer horizons see the members disagree, so they have variance.
  REQUIRE(authors.variances[1 * n + 0] > 0.0);
  REQUIRE(twin.variances[2 * n + 1] > 0.0);
  // The terminated row's candidates are all its reward: no spread, equal weights.
  for (int64_t h = 0; h <= 2; ++h) REQUIRE(twin.means[h * n + 2] == Approx(r[2]).epsilon(1e-12));
}

TEST_CASE("entropy temperature moves alpha toward the target entropy") {
  EntropyTemperature<double> temp(2, 1.0, 0.1);
  REQUIRE(temp.target_entropy() == -2.0);
  // Entropy -log pi = 0 > target: alpha falls. Entropy 5 < target... -log pi = -5: alpha rises.
  std::vector<double> high_entropy(8, 0.0), low_entropy(8, 5.0);
  temp.update(high_entropy.data(), 8);
  REQUIRE(temp.alpha() < 1.0);
  EntropyTemperature<double> temp2(2, 1.0, 0.1);
  temp2.update(low_entropy.data(), 8);
  REQUIRE(temp2.alpha() > 1.0);
  REQUIRE_THROWS_AS(EntropyTemperature<double>(2, -1.0), std::invalid_argument);
}

TEST_CASE("critic loss trains Q toward fixed targets and Polyak moves the targets") {
  TinySetup t;
  Rng rng(3);
  const int64_t n = 32;
  std::vector<double> s = rng.normal_vector<double>(n * t.obs), a = rng.uniform_vector<double>(n * t.act, -1, 1), y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = s[i * t.obs] - 0.5 * a[i * t.act];
  Adam<double> adam(t.critic.parameters(), AdamOptions{1e-2});
  Tape<double> tape;
  double first = 0, last = 0;
  for (int it = 0; it < 300; ++it) {
    tape.reset();
    Var<double> l = t.critic.loss(tape, tape.constant(Shape{n, t.obs}, s.data()),
                                  tape.constant(Shape{n, t.act}, a.data()), tape.constant(Shape{n, 1}, y.data()));
    if (it == 0) first = l.item();
    last = l.item();
    adam.zero_grad();
    tape.backward(l);
    adam.step();
  }
  REQUIRE(last < 0.05 * first);
  double before = t.critic.target_parameters()[0]->value().host()[0];
  double online = t.critic.parameters()[0]->value().host()[0];
  t.critic.update_targets(0.5);
  REQUIRE(t.critic.target_parameters()[0]->value().host()[0] == Approx(0.5 * (before + online)).epsilon(1e-12));
}
