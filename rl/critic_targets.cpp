#include "rl/critic_targets.hpp"

#include "rl/module_device.hpp"

#include <stdexcept>
#include <string>

namespace maac::rl {

template <class T>
std::vector<T> td_target(SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, const T* r, const T* alive,
                         const T* s_next, const T* eps, int64_t n, double alpha, double gamma) {
  if (n < 1 || !(gamma >= 0.0 && gamma <= 1.0))
    throw std::invalid_argument("td_target: n " + std::to_string(n) + ", gamma " + std::to_string(gamma) +
                                ": expected n >= 1 and 0 <= gamma <= 1");
  Tape<T> tape(device_of(policy));
  NoGrad<T> off(tape);
  Var<T> s1 = tape.constant(Shape{n, policy.obs_dim()}, s_next);
  auto pi = policy.sample(tape, s1, tape.constant(Shape{n, policy.act_dim()}, eps));
  Var<T> q = critic.min_q(tape, s1, pi.action, /*target=*/true);
  const std::vector<T> qv = q.to_host(), lpv = pi.log_prob.to_host();
  std::vector<T> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    y[i] = T(double(r[i]) + gamma * double(alive[i]) * (double(qv[i]) - alpha * double(lpv[i])));
  return y;
}

template <class T>
SteveNoise<T> SteveNoise<T>::draw(const SteveOptions& o, int64_t n, const DynamicsModel<T>& model, int64_t act_dim,
                                  Rng& rng) {
  if (o.horizon < 0 || n < 1)
    throw std::invalid_argument("SteveNoise::draw: horizon " + std::to_string(o.horizon) + ", n " + std::to_string(n) +
                                ": expected horizon >= 0 and n >= 1");
  SteveNoise<T> z;
  z.next_eps = rng.normal_vector<T>(n * act_dim);
  for (int64_t i = 0; i < o.horizon; ++i) {
    z.action_eps.push_back(rng.normal_vector<T>(model.members() * n * act_dim));
    z.model_eps.push_back(rng.normal_vector<T>(model.members() * n * model.out_dim()));
  }
  return z;
}

SteveTargets steve_combine(std::vector<double> means, std::vector<double> variances, int64_t n, double variance_eps) {
  if (n < 1 || means.empty() || means.size() % size_t(n) != 0 || variances.size() != means.size() ||
      !(variance_eps > 0.0))
    throw std::invalid_argument("steve_combine: " + std::to_string(means.size()) + " means, " +
                                std::to_string(variances.size()) + " variances, n " + std::to_string(n) + ", eps " +
                                std::to_string(variance_eps) + ": expected equal sizes, a multiple of n >= 1, eps > 0");
  const size_t horizons = means.size() / size_t(n);
  SteveTargets out;
  out.target.assign(size_t(n), 0.0);
  out.weights.resize(means.size());
  for (int64_t i = 0; i < n; ++i) {
    double total = 0.0;
    for (size_t h = 0; h < horizons; ++h) {
      if (variances[h * n + i] < 0.0)
        throw std::invalid_argument("steve_combine: variance " + std::to_string(variances[h * n + i]) +
                                    ", expected >= 0");
      out.weights[h * n + i] = 1.0 / (variances[h * n + i] + variance_eps);
      total += out.weights[h * n + i];
    }
    for (size_t h = 0; h < horizons; ++h) {
      out.weights[h * n + i] /= total;
      out.target[i] += out.weights[h * n + i] * means[h * n + i];
    }
  }
  out.means = std::move(means);
  out.variances = std::move(variances);
  return out;
}

template <class T>
SteveTargets steve_targets(SquashedGaussianPolicy<T>& policy, DynamicsModel<T>& model, TwinCritic<T>& critic,
                           const RewardModel<T>& reward, const T* r, const T* alive, const T* s_next, int64_t n,
                           double alpha, const SteveNoise<T>& noise, const SteveOptions& o) {
  const int64_t M = model.members(), obs = policy.obs_dim(), act = policy.act_dim(), Hc = o.horizon, Mn = M * n;
  bool noise_ok = n >= 1 && Hc >= 0 && int64_t(noise.next_eps.size()) == n * act &&
                  int64_t(noise.action_eps.size()) == Hc && int64_t(noise.model_eps.size()) == Hc;
  for (int64_t h = 0; noise_ok && h < Hc; ++h)
    noise_ok =
        int64_t(noise.action_eps[h].size()) == Mn * act && int64_t(noise.model_eps[h].size()) == Mn * model.out_dim();
  if (!noise_ok || model.obs_dim() != obs || model.act_dim() != act || !(o.gamma >= 0.0 && o.gamma <= 1.0) ||
      !(alpha >= 0.0))
    throw std::invalid_argument("steve_targets: n " + std::to_string(n) + ", horizon " + std::to_string(Hc) +
                                ", noise for " + std::to_string(noise.action_eps.size()) + " steps, gamma " +
                                std::to_string(o.gamma) + ", alpha " + std::to_string(alpha) +
                                ": expected n >= 1, noise drawn for these sizes and this model, 0 <= gamma <= 1, "
                                "alpha >= 0");
  Tape<T> tape(device_of(policy));
  NoGrad<T> off(tape);
  // Row (m, i) = m n + i: member m's copy of transition i.
  Var<T> s1 = tape.constant(Shape{n, obs}, s_next);
  auto pi1 = policy.sample(tape, s1, tape.constant(Shape{n, act}, noise.next_eps.data()));
  Var<T> s = tile_rows(s1, M), a = tile_rows(pi1.action, M), logp = tile_rows(pi1.log_prob, M);  // [M n, .]
  std::vector<double> ret(static_cast<size_t>(Mn)), mask(static_cast<size_t>(Mn));
  for (int64_t k = 0; k < Mn; ++k) {
    ret[k] = double(r[k % n]);
    mask[k] = double(alive[k % n]);
  }
  std::vector<double> means(size_t((Hc + 1) * n), 0.0), vars(size_t((Hc + 1) * n), 0.0);
  double disc = o.gamma;
  for (int64_t h = 0; h <= Hc; ++h) {
    // Candidate h bootstraps at s_{h+1} with both target Qs.
    auto q = critic.q(tape, s, a, /*target=*/true);
    const std::vector<T> q0 = q[0].to_host(), q1 = q[1].to_host(), lpv = logp.to_host();
    std::vector<double> values;
    for (int64_t i = 0; i < n; ++i) {
      double sum_min = 0.0;
      values.clear();
      for (int64_t m = 0; m < M; ++m) {
        int64_t k = m * n + i;
        double lp = alpha * double(lpv[k]);
        double v1 = ret[k] + disc * mask[k] * (double(q0[k]) - lp);
        double v2 = ret[k] + disc * mask[k] * (double(q1[k]) - lp);
        sum_min += std::min(v1, v2);
        if (o.variance == SteveVariance::members_and_twins) {
          values.push_back(v1);
          values.push_back(v2);
        } else {
          values.push_back(std::min(v1, v2));
        }
      }
      // Shifted by the first candidate, so identical candidates have exactly zero variance.
      double mu = 0.0, var = 0.0;
      for (double v : values) mu += (v - values[0]) / double(values.size());
      for (double v : values) var += (v - values[0] - mu) * (v - values[0] - mu) / double(values.size());
      means[h * n + i] = sum_min / double(M);
      vars[h * n + i] = var;
    }
    if (h == Hc) break;
    // One model step per member on its own rows, then the soft reward of that step.
    Var<T> s_next_all =
        model.next_state_all(tape, reshape(s, Shape{M, n, obs}), reshape(a, Shape{M, n, act}),
                             tape.constant(Shape{M, n, model.out_dim()}, noise.model_eps[h].data()), o.model_noise);
    Var<T> s2 = reshape(s_next_all, Shape{Mn, obs});
    Var<T> rr = reward.reward(tape, s, a, s2);
    Var<T> alive2 = checked_alive(reward, tape, s2);
    const std::vector<T> rrv = rr.to_host(), alive2v = alive2.to_host();
    for (int64_t k = 0; k < Mn; ++k) {
      ret[k] += disc * mask[k] * (double(rrv[k]) - alpha * double(lpv[k]));
      mask[k] *= double(alive2v[k]);
    }
    disc *= o.gamma;
    s = s2;
    auto pi = policy.sample(tape, s, tape.constant(Shape{Mn, act}, noise.action_eps[h].data()));
    a = pi.action;
    logp = pi.log_prob;
  }
  return steve_combine(std::move(means), std::move(vars), n, o.variance_eps);
}

template struct SteveNoise<float>;
template struct SteveNoise<double>;
#define MAAC_INSTANTIATE(T)                                                                                   \
  template std::vector<T> td_target(SquashedGaussianPolicy<T>&, TwinCritic<T>&, const T*, const T*, const T*, \
                                    const T*, int64_t, double, double);                                       \
  template SteveTargets steve_targets(SquashedGaussianPolicy<T>&, DynamicsModel<T>&, TwinCritic<T>&,          \
                                      const RewardModel<T>&, const T*, const T*, const T*, int64_t, double,   \
                                      const SteveNoise<T>&, const SteveOptions&);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::rl
