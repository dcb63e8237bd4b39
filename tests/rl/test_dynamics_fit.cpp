// Successive model fits on a growing buffer: the persistent held-out split (never trained
// on, through ring eviction, the held-out cap and checkpoints), each member ending on its
// best epoch of the fit, and a drifting linear system fitted to its noise floor.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <sstream>

#include "rl/agent.hpp"
#include "rl/dynamics_trainer.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

constexpr int64_t kObs = 3, kAct = 2;
const double kB[kObs][kAct] = {{0.5, 0.0}, {0.0, 0.3}, {0.2, -0.4}};
const double kNoise[kObs] = {0.02, 0.05, 0.1};

// A_t: a fixed stable matrix whose coupling drifts by `drift` per fit.
void system_matrix(double t, double drift, double A[kObs][kObs]) {
  const double base[kObs][kObs] = {{0.9, 0.1, 0.0}, {-0.1, 0.95, 0.05}, {0.0, 0.2, 0.8}};
  for (int r = 0; r < kObs; ++r)
    for (int c = 0; c < kObs; ++c) A[r][c] = base[r][c];
  A[0][1] += drift * t;
  A[1][0] -= drift * t;
  A[2][2] -= 0.5 * drift * t;
}

// n transitions x' = A_t x + B u + noise from independent states, into a batch.
TransitionBatch linear_batch(int64_t n, double t, double drift, Rng& rng) {
  double A[kObs][kObs];
  system_matrix(t, drift, A);
  TransitionBatch b;
  b.resize(n, kObs, kAct);
  b.obs = rng.normal_vector<float>(n * kObs);
  b.action = rng.uniform_vector<float>(n * kAct, -1, 1);
  for (int64_t i = 0; i < n; ++i) {
    for (int r = 0; r < kObs; ++r) {
      double v = kNoise[r] * rng.normal();
      for (int c = 0; c < kObs; ++c) v += A[r][c] * b.obs[i * kObs + c];
      for (int c = 0; c < kAct; ++c) v += kB[r][c] * b.action[i * kAct + c];
      b.next_obs[i * kObs + r] = float(v);
    }
    b.reward[i] = 0.f;
    b.terminated[i] = 0.f;
  }
  return b;
}

DynamicsModelOptions small_model() {
  DynamicsModelOptions o;
  o.members = 3;
  o.hidden = {32, 32};
  return o;
}

// Every member's slice of every per-member network parameter, as host values.
std::vector<std::vector<float>> member_weights(DynamicsModel<float>& model) {
  std::vector<std::vector<float>> w(static_cast<size_t>(model.members()));
  for (Parameter<float>* p : model.network().parameters()) {
    const std::vector<float>& v = p->value().host();
    const size_t per = v.size() / size_t(model.members());
    for (int64_t m = 0; m < model.members(); ++m) w[m].insert(w[m].end(), v.begin() + m * per, v.begin() + (m + 1) * per);
  }
  return w;
}

DynamicsTrainingReport fit_buffer(DynamicsTrainer<float>& trainer, ReplayBuffer& buffer, Rng& rng) {
  buffer.assign_split(rng, trainer.options().holdout_fraction);
  const DynamicsSplit split = capped_split(buffer.split(), trainer.options().max_holdout);
  std::vector<int64_t> all(static_cast<size_t>(buffer.size()));
  for (int64_t i = 0; i < buffer.size(); ++i) all[i] = i;
  TransitionBatch b;
  buffer.gather(all, b);
  return trainer.fit(b.obs.data(), b.action.data(), b.next_obs.data(), nullptr, b.size, split, rng);
}

}  // namespace

TEST_CASE("a refit ends every member on its best epoch of this fit, never on its pre-fit weights") {
  Rng rng(31);
  DynamicsModel<float> model(kObs, kAct, small_model(), rng);
  ReplayBuffer buffer(5000, kObs, kAct);
  buffer.add(linear_batch(1500, 0, 0, rng));
  DynamicsTrainingOptions topt;
  topt.max_epochs = 40;
  DynamicsTrainer<float> trainer(model, topt);
  fit_buffer(trainer, buffer, rng);

  // The model is already good: the old rule (a >1 % gain over the pre-fit NLL, else back
  // to the pre-fit weights) would have put members back. Now the best starts at +inf.
  buffer.add(linear_batch(100, 0, 0, rng));
  const std::vector<std::vector<float>> before = member_weights(model);
  const DynamicsTrainingReport rep = fit_buffer(trainer, buffer, rng);
  const std::vector<std::vector<float>> after = member_weights(model);
  INFO("epochs " << rep.epochs << (rep.early_stopped ? " (early stop)" : "") << ", kept " << rep.epochs_kept[0] << " "
                 << rep.epochs_kept[1] << " " << rep.epochs_kept[2]);
  REQUIRE(rep.epochs >= 1);
  REQUIRE(rep.epoch_mean_holdout_nll.size() == size_t(rep.epochs));
  REQUIRE(rep.epochs_kept.size() == 3);
  REQUIRE(rep.holdout_nll.size() == 3);
  REQUIRE(rep.holdout_mse.size() == 3);
  REQUIRE(rep.train_rows + rep.holdout_rows == buffer.size());
  for (int64_t m = 0; m < 3; ++m) {
    CAPTURE(m);
    REQUIRE(rep.epochs_kept[m] >= 1);
    REQUIRE(rep.epochs_kept[m] <= rep.epochs);
    REQUIRE(after[m] != before[m]);
    REQUIRE(std::isfinite(rep.holdout_mse[m]));
  }
  // The mean of per-member best epochs is at most the best epoch mean (up to the shared
  // log-variance bounds, which keep their final values).
  double kept = 0, best_mean = 1e300;
  for (double v : rep.holdout_nll) kept += v / 3;
  for (double v : rep.epoch_mean_holdout_nll) best_mean = std::min(best_mean, v);
  REQUIRE(kept <= best_mean + 1e-3);

  // restore_best off: every member keeps its last epoch, and says so.
  DynamicsTrainingOptions last = topt;
  last.restore_best = false;
  last.max_epochs = 3;
  DynamicsTrainer<float> plain(model, last);
  const DynamicsTrainingReport rep_last = fit_buffer(plain, buffer, rng);
  REQUIRE(rep_last.epochs_kept == std::vector<int64_t>(3, rep_last.epochs));
}

TEST_CASE("held-out transitions are never in a training batch, across fits, ring eviction and the cap") {
  Rng rng(7);
  DynamicsModelOptions mo = small_model();
  mo.hidden = {8};
  DynamicsModel<float> model(kObs, kAct, mo, rng);
  DynamicsTrainingOptions topt;
  topt.max_epochs = 2;
  topt.batch = 64;
  topt.max_holdout = 40;  // binds from the second fit on (0.2 x 250 per fit)
  DynamicsTrainer<float> trainer(model, topt);
  ReplayBuffer buffer(600, kObs, kAct);  // evicts from the third fit on

  // Each transition's id rides in its reward column (exact in float).
  std::vector<float> ids_of_rows;
  std::set<int64_t> trained;                       // every id any fit has trained on
  std::set<int64_t> ever_held;                     // every id any fit has held out
  trainer.set_batch_observer([&](int64_t, const int32_t* rows, int64_t count) {
    for (int64_t i = 0; i < count; ++i) trained.insert(int64_t(ids_of_rows[rows[i]]));
  });
  int64_t next_id = 0;
  for (int fit = 0; fit < 6; ++fit) {
    TransitionBatch b = linear_batch(250, 0, 0, rng);
    for (float& r : b.reward) r = float(next_id++);
    buffer.add(b);
    REQUIRE(buffer.role(buffer.size() - 1) == SplitRole::unassigned);
    const uint64_t counter = rng.counter();
    REQUIRE(buffer.assign_split(rng, topt.holdout_fraction) == 250);
    REQUIRE(rng.counter() > counter);
    REQUIRE(buffer.assign_split(rng, topt.holdout_fraction) == 0);  // drawn once
    const std::vector<SplitRole> roles = buffer.split();
    const DynamicsSplit split = capped_split(roles, topt.max_holdout);

    // The held-out set: the newest max_holdout held-out rows, oldest first.
    int64_t held_role = 0;
    for (SplitRole r : roles) held_role += r == SplitRole::holdout;
    REQUIRE(int64_t(split.holdout.size()) == std::min<int64_t>(held_role, topt.max_holdout));
    REQUIRE(split.train.size() + split.holdout.size() == size_t(buffer.size()));
    for (int32_t i : split.holdout) REQUIRE(roles[i] == SplitRole::holdout);
    for (size_t k = 1; k < split.holdout.size(); ++k) REQUIRE(split.holdout[k - 1] < split.holdout[k]);
    for (int64_t i = split.holdout.front() + 1; i < buffer.size(); ++i)
      if (roles[i] == SplitRole::holdout) REQUIRE(std::binary_search(split.holdout.begin(), split.holdout.end(), i));

    std::vector<int64_t> all(static_cast<size_t>(buffer.size()));
    for (int64_t i = 0; i < buffer.size(); ++i) all[i] = i;
    TransitionBatch data;
    buffer.gather(all, data);
    ids_of_rows = data.reward;
    std::vector<float> zero(data.size, 0.f);
    trainer.fit(data.obs.data(), data.action.data(), data.next_obs.data(), zero.data(), data.size, split, rng);

    // No held-out transition has ever been trained on, in this fit or any before.
    for (int32_t i : split.holdout) {
      const int64_t id = int64_t(ids_of_rows[i]);
      REQUIRE(trained.count(id) == 0);
      ever_held.insert(id);
    }
  }
  // The cap made older held-out transitions train, and eviction dropped the oldest.
  int64_t graduated = 0;
  for (int64_t id : ever_held) graduated += trained.count(id);
  REQUIRE(graduated > 0);
  REQUIRE(buffer.total_added() == 1500);
  REQUIRE(int64_t(ids_of_rows.front()) == 900);

  // Overlapping or empty splits are refused.
  std::vector<float> s(2 * kObs), a(2 * kAct);
  REQUIRE_THROWS_WITH(trainer.fit(s.data(), a.data(), s.data(), nullptr, 2, DynamicsSplit{{0, 1}, {1}}, rng),
                      Catch::Contains("listed twice"));
  REQUIRE_THROWS_WITH(trainer.fit(s.data(), a.data(), s.data(), nullptr, 2, DynamicsSplit{{0, 1}, {}}, rng),
                      Catch::Contains("0 held-out"));
  REQUIRE_THROWS_WITH(capped_split({SplitRole::train, SplitRole::unassigned}, 5), Catch::Contains("no role"));
}

TEST_CASE("ten successive fits on a drifting linear system stay near the noise floor") {
  AgentOptions o;
  o.batch = 64;
  o.policy.hidden = {16};
  o.critic.hidden = {16};
  o.model = small_model();
  o.model_training.max_epochs = 200;
  o.model_training.max_holdout = 300;  // binds from the fourth fit on
  Agent agent(kObs, kAct, o, std::make_unique<QuadraticReward<float>>(1.0, 0.1), 3);
  ReplayBuffer real(2500, kObs, kAct);  // evicts from the seventh fit on
  Rng data_rng(17), fit_rng(18);
  double floor = 0;
  for (double sd : kNoise) floor += sd * sd / kObs;  // the best possible MSE of the mean
  const double drift = 0.01;
  std::vector<double> ratios;
  for (int t = 0; t < 10; ++t) {
    real.add(linear_batch(400, t, drift, data_rng));
    const ModelFitStats s = agent.fit_model(real, fit_rng);
    CAPTURE(t, s.epochs, s.early_stopped, s.holdout_rows, s.holdout_mse / floor);
    for (SplitRole r : real.split()) REQUIRE(r != SplitRole::unassigned);
    REQUIRE(s.train_rows + s.holdout_rows == real.size());
    REQUIRE(s.holdout_rows <= 300);
    REQUIRE(s.epochs_kept.size() == 3);
    REQUIRE(s.member_holdout_mse.size() == 3);
    for (int64_t m = 0; m < 3; ++m) {
      REQUIRE(s.epochs_kept[m] >= 1);
      REQUIRE(s.epochs_kept[m] <= s.epochs);
      // Every member, after every fit, within 1.5x of the noise variance.
      REQUIRE(s.member_holdout_mse[m] < 1.5 * floor);
    }
    ratios.push_back(s.holdout_mse / floor);
  }
  std::ostringstream line;
  line.precision(3);
  for (double r : ratios) line << ' ' << r;
  WARN("held-out MSE / noise variance over 10 fits:" << line.str());
}
