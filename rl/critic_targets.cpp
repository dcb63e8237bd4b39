#include "rl/critic_targets.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {

// The shared inputs of both targets: one tape, the shapes documented in the header.
template <class T>
void check_inputs(const char* who, Var<T> r, Var<T> alive, Var<T> s_next, Var<T> alpha, int64_t obs, double gamma) {
  const bool vars = r.valid() && alive.valid() && s_next.valid() && alpha.valid();
  const int64_t n = vars ? r.rows() : 0;
  if (!vars || n < 1 || r.shape() != Shape{n, 1} || alive.shape() != Shape{n, 1} || s_next.shape() != Shape{n, obs} ||
      alpha.shape() != Shape{1, 1} || alive.tape != r.tape || s_next.tape != r.tape || alpha.tape != r.tape ||
      !(gamma >= 0.0 && gamma <= 1.0))
    throw std::invalid_argument(std::string(who) + ": r " + (vars ? r.shape().str() : "empty") + ", alive " +
                                (vars ? alive.shape().str() : "empty") + ", s_next " +
                                (vars ? s_next.shape().str() : "empty") + ", alpha " +
                                (vars ? alpha.shape().str() : "empty") + ", gamma " + std::to_string(gamma) +
                                ": expected [n, 1], [n, 1], [n, " + std::to_string(obs) +
                                "], [1, 1] on one tape and 0 <= gamma <= 1");
}

// Candidates of one horizon reshaped to [M, n] minus the first candidate's row (member 0).
template <class T> Var<T> shifted(Var<T> v, Var<T> first, int64_t M, int64_t n) {
  return sub(reshape(v, Shape{M, n}), first);
}

// Candidate h from both target Qs at (s_h, a_h): v_j = ret + disc mask (Q'_j - alpha log pi),
// rows m n + i for `members` copies of each of the n transitions (one copy at h = 0, where
// every member has the same row); appends its mean and spread per transition to `out`.
//  q: twin [members n, 1]; lp (alpha log pi), ret, mask: [members n, 1].
template <class T>
void add_candidate(SteveTargetVars<T>& out, const std::array<Var<T>, 2>& q, Var<T> lp, Var<T> ret, Var<T> mask,
                   double disc, int64_t members, int64_t n, bool twins) {
  Var<T> v1 = add(ret, scale(mul(mask, sub(q[0], lp)), disc));
  Var<T> v2 = add(ret, scale(mul(mask, sub(q[1], lp)), disc));
  Var<T> vmin = minimum(v1, v2);
  out.means.push_back(mean_rows(reshape(vmin, Shape{members, n})));  // [1, n]
  // The first candidate of each row (member 0's v_1, or its min): row 0 of [members, n].
  Var<T> first = slice_cols(reshape(twins ? v1 : vmin, Shape{1, members * n}), 0, n);
  if (twins) {
    Var<T> d1 = shifted(v1, first, members, n), d2 = shifted(v2, first, members, n);
    const double inv_count = 1.0 / double(2 * members);
    Var<T> mu = scale(add(sum_rows(d1), sum_rows(d2)), inv_count);
    out.variances.push_back(scale(add(sum_rows(square(sub(d1, mu))), sum_rows(square(sub(d2, mu)))), inv_count));
  } else {
    Var<T> d = shifted(vmin, first, members, n);
    out.variances.push_back(mean_rows(square(sub(d, mean_rows(d)))));
  }
}

}  // namespace

template <class T>
Var<T> td_target_var(SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, Var<T> r, Var<T> alive, Var<T> s_next,
                     Var<T> next_eps, Var<T> alpha, double gamma) {
  check_inputs("td_target_var", r, alive, s_next, alpha, policy.obs_dim(), gamma);
  Tape<T>& tape = *r.tape;
  NoGrad<T> off(tape);
  auto pi = policy.sample(tape, s_next, next_eps);
  Var<T> q = critic.min_q(tape, s_next, pi.action, /*target=*/true);
  Var<T> soft = sub(q, mul(pi.log_prob, alpha));  // [n, 1]
  return add(r, scale(mul(alive, soft), gamma));
}

template <class T>
SteveNoise<T> SteveNoise<T>::draw(const SteveOptions& o, int64_t n, const DynamicsModel<T>& model, int64_t act_dim,
                                  Rng& rng) {
  const int64_t all = model.members();
  if (o.horizon < 0 || n < 1 || o.members < 0 || o.members > all)
    throw std::invalid_argument("SteveNoise::draw: horizon " + std::to_string(o.horizon) + ", n " + std::to_string(n) +
                                ", members " + std::to_string(o.members) +
                                ": expected horizon >= 0, n >= 1 and 0 <= members <= the ensemble's " +
                                std::to_string(all));
  SteveNoise<T> z;
  z.next_eps = rng.normal_vector<T>(n * act_dim);
  if (o.members > 0 && o.members < all && o.horizon > 0) {
    // A uniform subset without replacement: the first k of a partial Fisher-Yates shuffle.
    std::vector<int32_t> ids(static_cast<size_t>(all));
    for (int64_t m = 0; m < all; ++m) ids[size_t(m)] = int32_t(m);
    for (int64_t m = 0; m < o.members; ++m) std::swap(ids[size_t(m)], ids[size_t(m + rng.below(all - m))]);
    z.members.assign(ids.begin(), ids.begin() + o.members);
    std::sort(z.members.begin(), z.members.end());
  }
  const int64_t used = z.members.empty() ? all : int64_t(z.members.size());
  for (int64_t i = 0; i < o.horizon; ++i) {
    z.action_eps.push_back(rng.normal_vector<T>(used * n * act_dim));
    z.model_eps.push_back(rng.normal_vector<T>(used * n * model.out_dim()));
  }
  return z;
}

template <class T>
SteveNoiseVars<T> SteveNoiseVars<T>::on_tape(Tape<T>& tape, const SteveNoise<T>& noise, int64_t n, int64_t act_dim,
                                             const DynamicsModel<T>& model) {
  const int64_t M = noise.members.empty() ? model.members() : int64_t(noise.members.size()), out = model.out_dim();
  bool ok = n >= 1 && int64_t(noise.next_eps.size()) == n * act_dim && noise.action_eps.size() == noise.model_eps.size();
  for (int32_t m : noise.members) ok = ok && m >= 0 && m < model.members();
  for (size_t h = 0; ok && h < noise.action_eps.size(); ++h)
    ok = int64_t(noise.action_eps[h].size()) == M * n * act_dim && int64_t(noise.model_eps[h].size()) == M * n * out;
  if (!ok)
    throw std::invalid_argument("SteveNoiseVars::on_tape: " + std::to_string(noise.next_eps.size()) +
                                " next-action normals, " + std::to_string(noise.action_eps.size()) + " and " +
                                std::to_string(noise.model_eps.size()) + " steps, n " + std::to_string(n) +
                                ": expected noise drawn by SteveNoise::draw for this n and model");
  SteveNoiseVars<T> z;
  z.members = noise.members;
  z.next_eps = tape.constant(Shape{n, act_dim}, noise.next_eps.data());
  for (size_t h = 0; h < noise.action_eps.size(); ++h) {
    z.action_eps.push_back(tape.constant(Shape{M * n, act_dim}, noise.action_eps[h].data()));
    z.model_eps.push_back(tape.constant(Shape{M, n, out}, noise.model_eps[h].data()));
  }
  return z;
}

template <class T> void steve_combine_var(SteveTargetVars<T>& out, double variance_eps) {
  const size_t horizons = out.means.size();
  if (horizons == 0 || out.variances.size() != horizons || !(variance_eps > 0.0))
    throw std::invalid_argument("steve_combine_var: " + std::to_string(out.means.size()) + " means, " +
                                std::to_string(out.variances.size()) + " variances, eps " +
                                std::to_string(variance_eps) + ": expected as many of each, at least one, eps > 0");
  const int64_t n = out.means[0].valid() ? out.means[0].cols() : 0;
  for (size_t h = 0; h < horizons; ++h) {
    const Var<T> m = out.means[h], v = out.variances[h];
    if (!m.valid() || !v.valid() || m.shape() != Shape{1, n} || v.shape() != Shape{1, n} || v.tape != m.tape ||
        m.tape != out.means[0].tape)
      throw std::invalid_argument("steve_combine_var: horizon " + std::to_string(h) + " has mean " +
                                  (m.valid() ? m.shape().str() : "none") + ", variance " +
                                  (v.valid() ? v.shape().str() : "none") + ", expected [1, " + std::to_string(n) +
                                  "] each on one tape");
  }
  // Variances are values on the tape's device: checked where that costs no wait (cpu).
  // A NaN passes (it comes from non-finite inputs, which the update's finite check skips).
  if (out.means[0].device() == Device::cpu)
    for (size_t h = 0; h < horizons; ++h)
      for (int64_t i = 0; i < n; ++i)
        if (out.variances[h].value()[i] < T(0))
          throw std::invalid_argument("steve_combine_var: variance " +
                                      std::to_string(double(out.variances[h].value()[i])) + " at horizon " +
                                      std::to_string(h) + ", row " + std::to_string(i) + ", expected >= 0");
  // w_h = (1 / (var_h + eps)) / sum_k (1 / (var_k + eps)), per row.
  std::vector<Var<T>> raw;
  for (Var<T> v : out.variances) raw.push_back(reciprocal(add_scalar(v, variance_eps)));
  Var<T> total = raw[0];
  for (size_t h = 1; h < horizons; ++h) total = add(total, raw[h]);
  Var<T> inv_total = reciprocal(total);
  Var<T> target;
  out.weights.clear();
  for (size_t h = 0; h < horizons; ++h) {
    out.weights.push_back(mul(raw[h], inv_total));
    Var<T> term = mul(out.weights[h], out.means[h]);
    target = h == 0 ? term : add(target, term);
  }
  out.target = reshape(target, Shape{n, 1});
}

template <class T>
SteveTargetVars<T> steve_targets_var(SquashedGaussianPolicy<T>& policy, DynamicsModel<T>& model, TwinCritic<T>& critic,
                                     const RewardModel<T>& reward, Var<T> r, Var<T> alive, Var<T> s_next,
                                     Var<T> alpha, const SteveNoiseVars<T>& noise, const SteveOptions& o) {
  // M: the members whose paths make candidates h >= 1 (noise.members when a subset).
  const int64_t obs = policy.obs_dim(), act = policy.act_dim(), Hc = o.horizon;
  const int64_t M = noise.members.empty() ? model.members() : int64_t(noise.members.size());
  check_inputs("steve_targets_var", r, alive, s_next, alpha, obs, o.gamma);
  const int64_t n = r.rows(), Mn = M * n;
  bool noise_ok = Hc >= 0 && noise.next_eps.valid() && noise.next_eps.shape() == Shape{n, act} &&
                  int64_t(noise.action_eps.size()) == Hc && int64_t(noise.model_eps.size()) == Hc;
  for (size_t j = 0; j < noise.members.size(); ++j)  // a subset: ascending, distinct, in range
    noise_ok = noise_ok && noise.members[j] >= 0 && noise.members[j] < model.members() &&
               (j == 0 || noise.members[j] > noise.members[j - 1]);
  for (int64_t h = 0; noise_ok && h < Hc; ++h)
    noise_ok = noise.action_eps[h].valid() && noise.action_eps[h].shape() == Shape{Mn, act} &&
               noise.model_eps[h].valid() && noise.model_eps[h].shape() == Shape{M, n, model.out_dim()};
  if (!noise_ok || model.obs_dim() != obs || model.act_dim() != act || !(o.variance_eps > 0.0))
    throw std::invalid_argument("steve_targets_var: horizon " + std::to_string(Hc) + ", noise for " +
                                std::to_string(noise.action_eps.size()) + " steps, n " + std::to_string(n) +
                                ", variance_eps " + std::to_string(o.variance_eps) +
                                ": expected horizon >= 0, noise of SteveNoiseVars' shapes for this n and model, a "
                                "model of the policy's sizes and variance_eps > 0");
  Tape<T>& tape = *r.tape;
  NoGrad<T> off(tape);
  const bool twins = o.variance == SteveVariance::members_and_twins;
  // One model step for every member in use: x [n, ..] read by each (shared) or [M n, ..]
  // with block m for the m-th member in use -> [M n, obs]. A subset runs routed: block m
  // through member noise.members[m] only.
  std::vector<int32_t> member_of_row;
  for (int32_t m : noise.members) member_of_row.insert(member_of_row.end(), size_t(n), m);
  auto model_step = [&](Var<T> s, Var<T> a, Var<T> eps, bool shared) {
    if (member_of_row.empty()) {
      if (!shared) s = reshape(s, Shape{M, n, obs}), a = reshape(a, Shape{M, n, act});
      return reshape(model.next_state_all(tape, s, a, eps, o.model_noise), Shape{Mn, obs});
    }
    if (shared) s = tile_rows(s, M), a = tile_rows(a, M);
    return model.next_state_rows(tape, s, a, member_of_row, reshape(eps, Shape{Mn, model.out_dim()}),
                                 EnsembleEvaluation::routed, o.model_noise);
  };
  SteveTargetVars<T> out;
  // h = 0 bootstraps at (s', a_1), the same row for every member: the policy and the
  // target Qs run once per transition, and the candidate's mean and spread are one
  // member's (its M copies have the same mean and, over members, no spread).
  auto pi1 = policy.sample(tape, s_next, noise.next_eps);
  Var<T> lp = mul(pi1.log_prob, alpha);  // alpha log pi(a_1|s'): [n, 1]
  add_candidate(out, critic.q(tape, s_next, pi1.action, /*target=*/true), lp, r, alive, o.gamma, 1, n, twins);
  if (Hc > 0) {
    // The first model step: every member reads the same (s', a_1) (shared rows), then
    // row m n + i is member m's copy of transition i. The [n, 1] columns broadcast over
    // the members ([M, n, 1]); the reward model wants equal rows, so it gets copies.
    Var<T> s = model_step(s_next, pi1.action, noise.model_eps[0], /*shared=*/true);
    Var<T> rr = reshape(reward.reward(tape, tile_rows(s_next, M), tile_rows(pi1.action, M), s), Shape{M, n, 1});
    Var<T> alive1 = reshape(checked_alive(reward, tape, s), Shape{M, n, 1});
    Var<T> ret = reshape(add(scale(mul(sub(rr, lp), alive), o.gamma), r), Shape{Mn, 1});
    Var<T> mask = reshape(mul(alive1, alive), Shape{Mn, 1});
    double disc = o.gamma * o.gamma;
    for (int64_t h = 1; h <= Hc; ++h) {
      // Candidate h bootstraps at s_h with a_h ~ pi(s_h), per member.
      auto pi = policy.sample(tape, s, noise.action_eps[h - 1]);
      lp = mul(pi.log_prob, alpha);
      add_candidate(out, critic.q(tape, s, pi.action, /*target=*/true), lp, ret, mask, disc, M, n, twins);
      if (h == Hc) break;
      // One model step per member on its own rows, then the soft reward of that step.
      Var<T> s2 = model_step(s, pi.action, noise.model_eps[h], /*shared=*/false);
      Var<T> rew = reward.reward(tape, s, pi.action, s2);
      Var<T> alive2 = checked_alive(reward, tape, s2);
      ret = add(ret, scale(mul(mask, sub(rew, lp)), disc));
      mask = mul(mask, alive2);
      disc *= o.gamma;
      s = s2;
    }
  }
  steve_combine_var(out, o.variance_eps);
  return out;
}

template struct SteveNoise<float>;
template struct SteveNoise<double>;
template struct SteveNoiseVars<float>;
template struct SteveNoiseVars<double>;
#define MAAC_INSTANTIATE(T)                                                                                      \
  template Var<T> td_target_var(SquashedGaussianPolicy<T>&, TwinCritic<T>&, Var<T>, Var<T>, Var<T>, Var<T>,     \
                                Var<T>, double);                                                                 \
  template SteveTargetVars<T> steve_targets_var(SquashedGaussianPolicy<T>&, DynamicsModel<T>&, TwinCritic<T>&,  \
                                                const RewardModel<T>&, Var<T>, Var<T>, Var<T>, Var<T>,          \
                                                const SteveNoiseVars<T>&, const SteveOptions&);      \
  template void steve_combine_var(SteveTargetVars<T>&, double);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::rl
