// The dynamics ensemble learns a known noisy linear system x' = A x + B u + noise.
#include <catch2/catch.hpp>
#include <cmath>

#include "autodiff/optim/adam.hpp"
#include "rl/dynamics_trainer.hpp"
#include "rl/maac_objective.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

constexpr int64_t kObs = 3, kAct = 2;
const double kA[kObs][kObs] = {{0.9, 0.1, 0.0}, {-0.1, 0.95, 0.05}, {0.0, 0.2, 0.8}};
const double kB[kObs][kAct] = {{0.5, 0.0}, {0.0, 0.3}, {0.2, -0.4}};
const double kNoise[kObs] = {0.02, 0.05, 0.1};

// Noise-free next state.
void step(const float* s, const float* a, float* out) {
  for (int r = 0; r < kObs; ++r) {
    double v = 0.0;
    for (int c = 0; c < kObs; ++c) v += kA[r][c] * s[c];
    for (int c = 0; c < kAct; ++c) v += kB[r][c] * a[c];
    out[r] = float(v);
  }
}

struct Dataset {
  int64_t n;
  std::vector<float> s, a, s_next;
  Dataset(int64_t n_, Rng& rng)
      : n(n_), s(rng.normal_vector<float>(n_ * kObs)), a(rng.uniform_vector<float>(n_ * kAct, -1, 1)) {
    s_next.resize(static_cast<size_t>(n * kObs));
    for (int64_t i = 0; i < n; ++i) {
      step(&s[i * kObs], &a[i * kAct], &s_next[i * kObs]);
      for (int r = 0; r < kObs; ++r) s_next[i * kObs + r] += float(kNoise[r] * rng.normal());
    }
  }
};

DynamicsModelOptions small_model() {
  DynamicsModelOptions o;
  o.members = 3;
  o.hidden = {32, 32};
  return o;
}

}  // namespace

TEST_CASE("dynamics ensemble recovers a noisy linear system and its noise level") {
  Rng rng(11);
  DynamicsModel<float> model(kObs, kAct, small_model(), rng);
  Dataset data(3000, rng);
  DynamicsTrainingOptions topt;
  topt.max_epochs = 120;
  topt.elites = 2;
  DynamicsTrainer<float> trainer(model, topt);
  DynamicsTrainingReport rep = trainer.fit(data.s.data(), data.a.data(), data.s_next.data(), nullptr, data.n, rng);

  // Held-out NLL falls, to near the best possible: the true noise in normalised units.
  double init = 0, fin = 0, optimum = 0;
  for (double v : rep.initial_holdout_nll) init += v / 3;
  for (double v : rep.holdout_nll) fin += v / 3;
  for (int r = 0; r < kObs; ++r) {
    double sd = model.target_normalizer().std[r];
    optimum += (0.5 * std::log(2 * M_PI * M_E) + std::log(kNoise[r] / sd)) / kObs;
  }
  INFO("epochs " << rep.epochs << ", held-out NLL " << init << " -> " << fin << ", optimum " << optimum);
  REQUIRE(fin < init - 1.0);
  REQUIRE(fin < optimum + 0.15);
  REQUIRE(rep.elites.size() == 2);
  REQUIRE(model.sampling_members() == rep.elites);

  // Fresh states: every member's mean is close to A s + B u and its std to the noise.
  Dataset fresh(500, rng);
  std::vector<float> x, y;
  make_model_rows(model, fresh.s.data(), fresh.a.data(), fresh.s_next.data(), static_cast<const float*>(nullptr),
                  fresh.n, x, y);
  Tape<float> tape;
  auto p = model.predict_all(tape, tape.constant(Shape{fresh.n, kObs + kAct}, x.data()));
  const auto& on = model.target_normalizer();
  for (int64_t m = 0; m < 3; ++m)
    for (int r = 0; r < kObs; ++r) {
      double se = 0, sd_sum = 0;
      for (int64_t i = 0; i < fresh.n; ++i) {
        int64_t k = (m * fresh.n + i) * kObs + r;
        float truth[kObs];
        step(&fresh.s[i * kObs], &fresh.a[i * kAct], truth);
        double delta = p.mean.value()[k] * on.std[m * kObs + r] + on.mean[m * kObs + r];
        double err = fresh.s[i * kObs + r] + delta - truth[r];
        se += err * err;
        sd_sum += std::exp(0.5 * p.log_var.value()[k]) * on.std[m * kObs + r];
      }
      double rmse = std::sqrt(se / fresh.n), sd = sd_sum / fresh.n;
      INFO("member " << m << " dim " << r << ": mean rmse " << rmse << ", predicted std " << sd << ", true "
                     << kNoise[r]);
      CHECK(rmse < 0.5 * kNoise[r] + 0.01);
      // 20 %: early stopping (patience on a 1 % held-out NLL gain) ends before the smallest
      // noise level's log-variance has settled: member 2, dim 0 predicts 0.0230 for 0.02
      // at its best epoch (0.0228 at its last 1 % gain, the former snapshot rule).
      CHECK(sd == Approx(kNoise[r]).epsilon(0.2));
    }
}

TEST_CASE("dynamics model: routed and all-members sampling agree, arguments are checked") {
  Rng rng(3);
  DynamicsModel<double> model(kObs, kAct, small_model(), rng);
  const int64_t n = 16;
  std::vector<double> s = rng.normal_vector<double>(n * kObs), a = rng.uniform_vector<double>(n * kAct, -1, 1),
                      eps = rng.normal_vector<double>(n * kObs);
  std::vector<int32_t> members;
  for (int64_t i = 0; i < n; ++i) members.push_back(int32_t(rng.below(3)));
  Tape<double> tape;
  Var<double> sv = tape.constant(Shape{n, kObs}, s.data()), av = tape.constant(Shape{n, kAct}, a.data());
  Var<double> ev = tape.constant(Shape{n, kObs}, eps.data());
  Var<double> r = model.next_state_rows(tape, sv, av, members, ev, EnsembleEvaluation::routed);
  Var<double> q = model.next_state_rows(tape, sv, av, members, ev, EnsembleEvaluation::all_then_select);
  for (int64_t i = 0; i < n * kObs; ++i) REQUIRE(r.value()[i] == Approx(q.value()[i]).epsilon(1e-12));

  REQUIRE_THROWS_AS(model.next_state_rows(tape, sv, av, std::vector<int32_t>(n, 3), ev), std::invalid_argument);
  REQUIRE_THROWS_AS(model.next_state_rows(tape, sv, sv, members, ev), std::invalid_argument);
  REQUIRE_THROWS_AS(model.set_elites({0, 5}), std::invalid_argument);
  DynamicsTrainingOptions bad;
  bad.holdout_fraction = 0.0;
  REQUIRE_THROWS_AS(DynamicsTrainer<double>(model, bad), std::invalid_argument);
  REQUIRE_THROWS_AS(DynamicsModel<double>(0, kAct, small_model(), rng), std::invalid_argument);
}

TEST_CASE("dynamics ensemble with a reward column learns the reward and its noise") {
  Rng rng(19);
  DynamicsModelOptions mo = small_model();
  mo.predict_reward = true;
  DynamicsModel<float> model(kObs, kAct, mo, rng);
  Dataset data(2000, rng);
  // r = s_0 - 0.5 u_1 + N(0, 0.05^2)
  std::vector<float> r(static_cast<size_t>(data.n));
  for (int64_t i = 0; i < data.n; ++i)
    r[i] = data.s[i * kObs] - 0.5f * data.a[i * kAct + 1] + float(0.05 * rng.normal());
  DynamicsTrainingOptions topt;
  topt.max_epochs = 80;
  DynamicsTrainer<float> trainer(model, topt);
  REQUIRE_THROWS_AS(trainer.fit(data.s.data(), data.a.data(), data.s_next.data(), nullptr, data.n, rng),
                    std::invalid_argument);
  DynamicsTrainingReport rep = trainer.fit(data.s.data(), data.a.data(), data.s_next.data(), r.data(), data.n, rng);
  REQUIRE(model.out_dim() == kObs + 1);
  REQUIRE(rep.epoch_mean_holdout_nll.size() == size_t(rep.epochs));

  // The reward column of a sample: mean close to the true reward, spread close to 0.05.
  Dataset fresh(400, rng);
  Tape<float> tape;
  std::vector<int32_t> members(fresh.n);
  for (int64_t i = 0; i < fresh.n; ++i) members[i] = int32_t(i % 3);
  std::vector<float> zero(fresh.n * (kObs + 1), 0.0f), eps = rng.normal_vector<float>(fresh.n * (kObs + 1));
  Var<float> s = tape.constant(Shape{fresh.n, kObs}, fresh.s.data()),
             a = tape.constant(Shape{fresh.n, kAct}, fresh.a.data());
  Var<float> mean = model.sample_rows(tape, s, a, members, tape.constant(Shape{fresh.n, kObs + 1}, zero.data()));
  Var<float> noisy = model.sample_rows(tape, s, a, members, tape.constant(Shape{fresh.n, kObs + 1}, eps.data()));
  double se = 0, spread = 0;
  for (int64_t i = 0; i < fresh.n; ++i) {
    double truth = fresh.s[i * kObs] - 0.5 * fresh.a[i * kAct + 1];
    double m = mean.value()[i * (kObs + 1) + kObs], z = noisy.value()[i * (kObs + 1) + kObs];
    se += (m - truth) * (m - truth);
    spread += (z - m) * (z - m);
  }
  INFO("epochs " << rep.epochs << (rep.early_stopped ? " (early stop)" : "") << ", reward rmse "
                 << std::sqrt(se / fresh.n) << ", sampled spread " << std::sqrt(spread / fresh.n));
  REQUIRE(std::sqrt(se / fresh.n) < 0.03);
  // The spread is the noise plus what the model has not yet fitted: near 0.05, not the
  // reward's own scale (~1) nor the bound's.
  REQUIRE(std::sqrt(spread / fresh.n) > 0.04);
  REQUIRE(std::sqrt(spread / fresh.n) < 0.08);
}

// End to end: fit the ensemble on the linear system, then improve a policy with the MAAC
// objective through the learned model alone, and measure the gain on the true system.
TEST_CASE("MAAC updates through a learned model improve the return on the true system") {
  Rng rng(23);
  DynamicsModel<float> model(kObs, kAct, small_model(), rng);
  Dataset data(1500, rng);
  DynamicsTrainingOptions topt;
  topt.max_epochs = 40;
  DynamicsTrainer<float>(model, topt).fit(data.s.data(), data.a.data(), data.s_next.data(), nullptr, data.n, rng);

  PolicyOptions po;
  po.hidden = {32, 32};
  po.activation = Unary::tanh;
  SquashedGaussianPolicy<float> policy(kObs, kAct, po, rng);
  CriticOptions co;
  co.hidden = {8};
  TwinCritic<float> critic(kObs, kAct, co, rng);
  for (Parameter<float>* p : critic.parameters()) p->value().fill(0.0f);  // no terminal value
  critic.update_targets(1.0);
  QuadraticReward<float> reward(1.0, 0.1);

  // The deterministic policy's 3-step return on the noise-free true system.
  std::vector<float> eval_s = rng.normal_vector<float>(256 * kObs);
  auto true_return = [&] {
    Tape<float> tape;
    NoGrad<float> off(tape);
    std::vector<float> s = eval_s, s2(s.size());
    double total = 0;
    for (int t = 0; t < 3; ++t) {
      Var<float> a = policy.deterministic(tape, tape.constant(Shape{256, kObs}, s.data()));
      for (int64_t i = 0; i < 256; ++i) {
        step(&s[i * kObs], a.value() + i * kAct, &s2[i * kObs]);
        for (int c = 0; c < kObs; ++c) total -= s2[i * kObs + c] * s2[i * kObs + c] / 256;
        for (int c = 0; c < kAct; ++c) total -= 0.1 * a.value()[i * kAct + c] * a.value()[i * kAct + c] / 256;
      }
      s = s2;
    }
    return total;
  };
  double before = true_return();
  MaacObjectiveOptions o;
  o.horizon = 3;
  o.terminal_samples = 1;
  o.gamma = 1.0;
  Adam<float> adam(policy.parameters(), AdamOptions{3e-3});
  Tape<float> tape;
  for (int it = 0; it < 300; ++it) {
    std::vector<float> s0 = rng.normal_vector<float>(128 * kObs);
    auto noise = MaacNoise<float>::draw(o, 128, model, kAct, rng);
    tape.reset();
    auto obj = maac_policy_objective(tape, tape.constant(Shape{128, kObs}, s0.data()), policy, model, critic, reward,
                                     0.01, noise, o);
    adam.zero_grad();
    tape.backward(obj.loss);
    adam.step();
  }
  double after = true_return();
  INFO("true 3-step return " << before << " -> " << after);
  REQUIRE(after > before + 0.2 * std::fabs(before));
}

TEST_CASE("normaliser tables - a fit is seen by the next use and the device copy is never shared or trusted blindly") {
  EnsembleNormalizer<double> norm(2, 3);
  const std::vector<double> data{1, 2, 3, 5, 6, 7, 9, 10, 11};
  Tape<double> tape;
  REQUIRE(norm.mean_all(tape).to_host() == std::vector<double>(6, 0.0));
  norm.fit(1, data.data(), 3, {0, 1, 2});
  // The cpu tape reads the host tables on every use.
  std::vector<double> mean = norm.mean_all(tape).to_host();
  REQUIRE(mean[3] == Approx(5.0));
  REQUIRE(norm.inv_std_all(tape).to_host()[3] == Approx(1.0 / norm.std[3]));
  // No device copy yet: stale by definition, and a copy of the normaliser starts without one.
  REQUIRE(norm.device_stale());
  EnsembleNormalizer<double> copy = norm;
  REQUIRE(copy.device_stale());
  REQUIRE(copy.mean == norm.mean);
  // Graph-mode per-row statistics from member ids equal the host per-row tables.
  const std::vector<int32_t> ids{1, 0, 1, 1};
  REQUIRE(norm.mean_selected(tape, ids.data(), 4).to_host() == norm.mean_rows(tape, ids).to_host());
  REQUIRE(norm.std_selected(tape, ids.data(), 4).to_host() == norm.std_rows(tape, ids).to_host());
}
