// The open-loop model error by horizon (rl/model_error.hpp) against a closed form: a
// model whose every weight is zero predicts s' = s + d_m (its target normaliser's mean),
// so on a real trajectory that drifts by c per step its k-step error is
// k * sqrt(mean_d ((d_m - c)_d / scale_d)^2), averaged over members.
#include <catch2/catch.hpp>

#include <cmath>

#include "rl/model_error.hpp"

using namespace maac;
using namespace maac::rl;

TEST_CASE("open-loop model error by horizon matches the closed form on a drifting trajectory") {
  const int64_t obs = 2, act = 1, M = 2;
  ReplayBuffer real(1000, obs, act);
  // An older episode (it ends terminated), then the newest one: s_t = s0 + t c.
  const float c[obs] = {0.1f, -0.05f};
  float s[obs] = {5.f, 5.f}, a[act] = {0.3f};
  for (int t = 0; t < 10; ++t) {
    float next[obs] = {s[0] + 1.f, s[1]};
    real.add(s, a, 0.f, next, t == 9);
    s[0] = next[0];
  }
  s[0] = 1.f;
  s[1] = 2.f;
  const int len = 25;
  for (int t = 0; t < len; ++t) {
    float next[obs] = {s[0] + c[0], s[1] + c[1]};
    real.add(s, a, 0.f, next, false);
    s[0] = next[0];
    s[1] = next[1];
  }
  const int64_t H = 4;
  TransitionBatch traj = newest_episode(real, H, 1000);
  REQUIRE(traj.size == len);
  REQUIRE(traj.obs[0] == 1.f);

  Rng rng(1);
  DynamicsModelOptions o;
  o.members = M;
  o.hidden = {4};
  DynamicsModel<float> model(obs, act, o, rng);
  for (Parameter<float>* p : model.parameters())
    for (float& x : p->value().host()) x = 0.f;
  const double d[M][obs] = {{0.1, 0.0}, {0.3, -0.2}};  // member m drifts by d[m]
  auto& out = model.target_normalizer();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < obs; ++j) out.mean[m * obs + j] = static_cast<float>(d[m][j]);

  // The scale: population standard deviation of every stored state, per dimension.
  double scale[obs];
  for (int64_t j = 0; j < obs; ++j) {
    std::vector<double> v;
    TransitionBatch all;
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < real.size(); ++i) idx.push_back(i);
    real.gather(idx, all);
    for (int64_t i = 0; i < all.size; ++i) v.push_back(all.obs[i * obs + j]);
    double mean = 0, var = 0;
    for (double x : v) mean += x / double(v.size());
    for (double x : v) var += (x - mean) * (x - mean) / double(v.size());
    scale[j] = std::sqrt(var);
  }

  Tape<float> tape(Device::cpu, 1 << 16);
  std::vector<double> error = open_loop_error(model, tape, real, traj, H);
  REQUIRE(error.size() == size_t(H));
  for (int64_t k = 1; k <= H; ++k) {
    double expected = 0;
    for (int64_t m = 0; m < M; ++m) {
      double sq = 0;
      for (int64_t j = 0; j < obs; ++j) sq += std::pow((d[m][j] - c[j]) / scale[j], 2);
      expected += double(k) * std::sqrt(sq / obs) / double(M);
    }
    INFO("k = " << k);
    REQUIRE(error[size_t(k - 1)] == Approx(expected).epsilon(1e-4));
  }
  // Too short for k = H + 1 .. : a trajectory of H transitions gives one start only at k <= H.
  TransitionBatch shorter = newest_episode(real, len, 1000);
  REQUIRE(shorter.size == 0);  // no stretch of len + 1 transitions
  std::vector<double> none = open_loop_error(model, tape, real, shorter, 2);
  REQUIRE(std::isnan(none[0]));
}
