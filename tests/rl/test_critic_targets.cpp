// Critic targets (rl/critic_targets.hpp, tape ops): the inverse-variance combination on
// constructed cases, STEVE against the one-step TD target where they must agree, and
// inputs of the wrong shape. Their values against plain float64 loops are in
// test_reference_values.cpp.
#include <catch2/catch.hpp>
#include <cmath>

#include "rl/critic_targets.hpp"
#include "rl/temperature.hpp"
#include "rl_fixture.hpp"

using namespace maac;
using namespace maac::rl;
using maac::rl::test::TinySetup;

namespace {

// STEVE's outputs read back, horizon-major ([(H_c + 1) n]) like the reference loops.
struct SteveValues {
  std::vector<double> target, means, variances, weights;
};

std::vector<double> flat(const std::vector<Var<double>>& per_horizon) {
  std::vector<double> out;
  for (Var<double> v : per_horizon) {
    const std::vector<double> h = v.to_host();
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

SteveValues values_of(const SteveTargetVars<double>& v) {
  return {v.target.to_host(), flat(v.means), flat(v.variances), flat(v.weights)};
}

// The combination alone, on per-horizon rows [1, n] given horizon-major.
SteveValues combine(const std::vector<double>& means, const std::vector<double>& variances, int64_t n, double eps) {
  Tape<double> tape;
  SteveTargetVars<double> v;
  for (size_t h = 0; h < means.size() / size_t(n); ++h)
    v.means.push_back(tape.constant(Shape{1, n}, means.data() + h * size_t(n)));
  for (size_t h = 0; h < variances.size() / size_t(n); ++h)
    v.variances.push_back(tape.constant(Shape{1, n}, variances.data() + h * size_t(n)));
  steve_combine_var(v, eps);
  return values_of(v);
}

// Host arrays r, alive [n], s1 [n, obs] on a fresh tape.
struct Inputs {
  Tape<double> tape;
  Var<double> r, alive, s1, alpha;
  Inputs(const std::vector<double>& r_host, const std::vector<double>& alive_host, const std::vector<double>& s1_host,
         int64_t obs, double alpha_value) {
    const int64_t n = int64_t(r_host.size());
    r = tape.constant(Shape{n, 1}, r_host.data());
    alive = tape.constant(Shape{n, 1}, alive_host.data());
    s1 = tape.constant(Shape{n, obs}, s1_host.data());
    alpha = tape.filled(Shape{1, 1}, alpha_value);
  }
};

std::vector<double> td(TinySetup& t, Inputs& in, const std::vector<double>& eps, double gamma) {
  const int64_t n = in.r.rows();
  return td_target_var(t.policy, t.critic, in.r, in.alive, in.s1, in.tape.constant(Shape{n, t.act}, eps.data()),
                       in.alpha, gamma)
      .to_host();
}

SteveValues steve(TinySetup& t, const RewardModel<double>& reward, Inputs& in, const SteveNoise<double>& z,
                  const SteveOptions& o) {
  const int64_t n = in.r.rows();
  return values_of(steve_targets_var(t.policy, t.model, t.critic, reward, in.r, in.alive, in.s1, in.alpha,
                                     SteveNoiseVars<double>::on_tape(in.tape, z, n, t.act, t.model), o));
}

}  // namespace

TEST_CASE("STEVE weights: equal variances average, a zero variance takes the weight") {
  // Two rows, three horizons (horizon-major).
  std::vector<double> means{1.0, 10.0, 2.0, 20.0, 6.0, 60.0};
  SteveValues eq = combine(means, {0.5, 2.0, 0.5, 2.0, 0.5, 2.0}, 2, 1e-8);
  REQUIRE(eq.target[0] == Approx(3.0).epsilon(1e-12));
  REQUIRE(eq.target[1] == Approx(30.0).epsilon(1e-12));
  for (double w : eq.weights) REQUIRE(w == Approx(1.0 / 3).epsilon(1e-12));

  // Authors' case: h = 0 has variance exactly 0 and gets all but ~1e-8 of the weight.
  SteveValues zero = combine(means, {0.0, 0.0, 1.0, 1.0, 4.0, 4.0}, 2, 1e-8);
  REQUIRE(zero.weights[0] > 1.0 - 1e-7);
  REQUIRE(zero.target[0] == Approx(1.0).epsilon(1e-6));
  REQUIRE(zero.target[1] == Approx(10.0).epsilon(1e-6));

  // Inverse-variance: variances 1 and 4 weigh 4:1.
  SteveValues two = combine({0.0, 5.0}, {1.0, 4.0}, 1, 1e-12);
  REQUIRE(two.weights[0] == Approx(0.8).epsilon(1e-9));
  REQUIRE(two.target[0] == Approx(1.0).epsilon(1e-9));
  REQUIRE_THROWS_AS(combine({1.0, 2.0}, {1.0}, 1, 1e-8), std::invalid_argument);
  REQUIRE_THROWS_AS(combine({1.0}, {-1.0}, 1, 1e-8), std::invalid_argument);
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
  Inputs in(r, alive, s1, t.obs, alpha);
  std::vector<double> y = td(t, in, noise0.next_eps, gamma);
  // H_c = 0: one horizon, weight 1, and the per-member mean is the TD target.
  SteveValues h0 = steve(t, reward, in, noise0, o);
  for (int64_t i = 0; i < n; ++i) REQUIRE(h0.target[i] == Approx(y[i]).epsilon(1e-12));
  // A terminated transition's target is its reward.
  REQUIRE(y[2] == Approx(r[2]).epsilon(1e-12));

  // The h = 0 variance is the spread of the two target Qs (members agree at h = 0).
  {
    Tape<double> tape;
    Var<double> sv = tape.constant(Shape{n, t.obs}, s1.data());
    auto pi = t.policy.sample(tape, sv, tape.constant(Shape{n, t.act}, noise0.next_eps.data()));
    auto q = t.critic.q(tape, sv, pi.action, true);
    for (int64_t i = 0; i < n; ++i) {
      // The TD target by hand, with the target networks (which differ from the online ones).
      double v = std::min(q[0].value()[i], q[1].value()[i]) - alpha * pi.log_prob.value()[i];
      REQUIRE(y[i] == Approx(r[i] + gamma * alive[i] * v).epsilon(1e-12));
      double d = gamma * alive[i] * (q[0].value()[i] - q[1].value()[i]) / 2;
      REQUIRE(h0.variances[i] == Approx(d * d).epsilon(1e-9).margin(1e-15));
    }
  }

  o.horizon = 2;
  auto noise2 = SteveNoise<double>::draw(o, n, t.model, t.act, rng);
  noise2.next_eps = noise0.next_eps;
  SteveValues twin = steve(t, reward, in, noise2, o);
  o.variance = SteveVariance::authors_zero_h0;
  SteveValues authors = steve(t, reward, in, noise2, o);
  for (int64_t i = 0; i < n; ++i) {
    // h = 0 means are the TD target in both variants.
    REQUIRE(twin.means[i] == Approx(y[i]).epsilon(1e-12));
    // Authors' variant: zero variance at h = 0, so the target is the TD target.
    REQUIRE(authors.variances[i] == 0.0);
    // ... (almost) all the weight: the rest can move it by at most its share of the spread.
    if (alive[i] > 0) REQUIRE(authors.weights[i] > 0.9);  // a terminated row has no spread anywhere
    double spread = 0;
    for (int64_t h = 1; h <= 2; ++h) spread = std::max(spread, std::fabs(authors.means[h * n + i] - y[i]));
    REQUIRE(std::fabs(authors.target[i] - y[i]) <= (1 - authors.weights[i]) * spread + 1e-12);
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
  REQUIRE_THROWS_AS(steve(t, reward, in, short_noise, o), std::invalid_argument);
  // Live transitions: longer horizons see the members disagree, so they have variance.
  REQUIRE(authors.variances[1 * n + 0] > 0.0);
  REQUIRE(twin.variances[2 * n + 1] > 0.0);
  // The terminated row's candidates are all its reward: no spread, equal weights.
  for (int64_t h = 0; h <= 2; ++h) REQUIRE(twin.means[h * n + 2] == Approx(r[2]).epsilon(1e-12));
}

TEST_CASE("critic targets are constants built under NoGrad") {
  TinySetup t;
  Rng rng(11);
  const std::vector<double> r = rng.normal_vector<double>(t.n), alive{1, 1, 0, 1},
                            s1 = rng.normal_vector<double>(t.n * t.obs), eps = rng.normal_vector<double>(t.n * t.act);
  Inputs in(r, alive, s1, t.obs, 0.3);
  Var<double> y = td_target_var(t.policy, t.critic, in.r, in.alive, in.s1,
                                in.tape.constant(Shape{t.n, t.act}, eps.data()), in.alpha, 0.9);
  REQUIRE(y.shape() == Shape{t.n, 1});
  REQUIRE_FALSE(y.requires_grad());
  SteveOptions o;
  o.horizon = 1;
  QuadraticReward<double> reward(0.5, 0.1, 1.0, 1.0);
  const SteveNoise<double> z = SteveNoise<double>::draw(o, t.n, t.model, t.act, rng);
  SteveTargetVars<double> v = steve_targets_var(t.policy, t.model, t.critic, reward, in.r, in.alive, in.s1, in.alpha,
                                                SteveNoiseVars<double>::on_tape(in.tape, z, t.n, t.act, t.model), o);
  REQUIRE(v.target.shape() == Shape{t.n, 1});
  REQUIRE_FALSE(v.target.requires_grad());
  REQUIRE(v.means.size() == 2);
  REQUIRE(in.tape.record_count() == 0);
}

TEST_CASE("critic targets reject inputs of the wrong shape") {
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
  SteveNoiseVars<double> short_noise{eps, {}, {}, {}};  // no per-step noise for horizon 1
  QuadraticReward<double> reward(0.5, 0.1);
  REQUIRE_THROWS_AS(steve_targets_var(t.policy, t.model, t.critic, reward, r, r, s, alpha, short_noise, o),
                    std::invalid_argument);
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

TEST_CASE("STEVE on a drawn subset of members equals STEVE on an ensemble of just those members") {
  TinySetup t;  // 3 members
  QuadraticReward<double> reward(0.5, 0.1, 1.0);
  const int64_t n = t.n;
  Rng rng(43);
  std::vector<double> r = rng.normal_vector<double>(n), alive{1, 0, 1, 1};
  std::vector<double> s1 = rng.normal_vector<double>(n * t.obs);
  SteveOptions o;
  o.horizon = 2;
  o.members = 2;
  SteveNoise<double> z = SteveNoise<double>::draw(o, n, t.model, t.act, rng);
  REQUIRE(z.members.size() == 2);
  REQUIRE(z.members[0] < z.members[1]);
  REQUIRE(z.action_eps[0].size() == size_t(2 * n * t.act));

  // The reference: a 2-member ensemble holding exactly the drawn members' weights and
  // normalisers, evaluated on all its members (next_state_all, not the routed subset path).
  DynamicsModelOptions mo = TinySetup::model_options();
  mo.members = 2;
  Rng init(1);
  DynamicsModel<double> pair(t.obs, t.act, mo, init);
  ParameterList<double> full = t.model.parameters(), part = pair.parameters();
  REQUIRE(full.size() == part.size());
  for (size_t i = 0; i < full.size(); ++i) {
    const std::vector<double>& from = full[i]->value().host();
    std::vector<double>& to = part[i]->value().host();
    if (from.size() == to.size()) {  // shared by the members (the log-variance bounds)
      to = from;
      continue;
    }
    const size_t per = from.size() / size_t(TinySetup::members);
    for (size_t j = 0; j < 2; ++j)
      std::copy_n(from.begin() + ptrdiff_t(per * size_t(z.members[j])), per, to.begin() + ptrdiff_t(per * j));
  }
  for (int k = 0; k < 2; ++k) {
    const auto& from = k == 0 ? t.model.input_normalizer() : t.model.target_normalizer();
    auto& to = k == 0 ? pair.input_normalizer() : pair.target_normalizer();
    const size_t dim = from.mean.size() / size_t(TinySetup::members);
    for (size_t j = 0; j < 2; ++j)
      for (size_t d = 0; d < dim; ++d) {
        to.mean[j * dim + d] = from.mean[size_t(z.members[j]) * dim + d];
        to.std[j * dim + d] = from.std[size_t(z.members[j]) * dim + d];
      }
  }
  SteveNoise<double> all_of_pair = z;
  all_of_pair.members.clear();
  SteveOptions o_pair = o;
  o_pair.members = 0;
  for (SteveVariance v : {SteveVariance::members_and_twins, SteveVariance::authors_zero_h0}) {
    o.variance = o_pair.variance = v;
    Inputs in(r, alive, s1, t.obs, 0.2), in_pair(r, alive, s1, t.obs, 0.2);
    SteveValues subset = steve(t, reward, in, z, o);
    SteveValues ref = values_of(steve_targets_var(t.policy, pair, t.critic, reward, in_pair.r, in_pair.alive,
                                                  in_pair.s1, in_pair.alpha,
                                                  SteveNoiseVars<double>::on_tape(in_pair.tape, all_of_pair, n, t.act, pair),
                                                  o_pair));
    for (size_t i = 0; i < ref.means.size(); ++i) {
      REQUIRE(subset.means[i] == Approx(ref.means[i]).epsilon(1e-12));
      REQUIRE(subset.variances[i] == Approx(ref.variances[i]).epsilon(1e-10).margin(1e-14));
    }
    for (int64_t i = 0; i < n; ++i) REQUIRE(subset.target[size_t(i)] == Approx(ref.target[size_t(i)]).epsilon(1e-12));
  }
}

TEST_CASE("STEVE member subsets are uniform draws without replacement, and bad sizes are refused") {
  TinySetup t;
  Rng rng(44);
  SteveOptions o;
  o.horizon = 1;
  o.members = 2;
  std::vector<int> count(TinySetup::members, 0);
  const int draws = 3000;
  for (int d = 0; d < draws; ++d) {
    SteveNoise<double> z = SteveNoise<double>::draw(o, 1, t.model, t.act, rng);
    REQUIRE(z.members.size() == 2);
    REQUIRE(z.members[0] < z.members[1]);
    for (int32_t m : z.members) ++count[size_t(m)];
  }
  // Each member is in a subset with probability 2/3: 2000 of 3000, binomial sd 26.
  for (int c : count) REQUIRE(std::abs(c - 2000) < 5 * 26);
  o.members = TinySetup::members;  // all: no subset drawn, nothing extra taken from the stream
  Rng a(7), b(7);
  SteveOptions every = o;
  every.members = 0;
  REQUIRE(SteveNoise<double>::draw(o, 2, t.model, t.act, a).members.empty());
  SteveNoise<double>::draw(every, 2, t.model, t.act, b);
  REQUIRE(a.counter() == b.counter());
  o.members = TinySetup::members + 1;
  REQUIRE_THROWS_WITH(SteveNoise<double>::draw(o, 2, t.model, t.act, a), Catch::Contains("members 4"));
}
