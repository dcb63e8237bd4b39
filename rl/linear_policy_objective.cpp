#include "rl/linear_policy_objective.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "rl/maac_path.hpp"

namespace maac::rl {
namespace {

// Checks shapes and the policy noise, and puts the eps on the tape as constants.
template <class T>
MaacNoiseVars<T> policy_noise_vars(const char* who, Tape<T>& tape, Var<T> s0, const LinearGaussianPolicy<T>& policy,
                                   TwinCritic<T>* critic, const MaacNoise<T>& noise, const MaacObjectiveOptions& o) {
  const int64_t n = s0.rows(), obs = policy.obs_dim(), act = policy.act_dim(), N = o.samples_per_state * n;
  const int64_t H = o.horizon, K = o.terminal_samples;
  if (o.horizon < 0 || K < 1 || o.samples_per_state < 1 || !(o.gamma >= 0.0 && o.gamma <= 1.0))
    throw std::invalid_argument(fmt::format("{}: horizon {}, terminal_samples {}, samples_per_state {}, gamma {}: "
                                            "expected H >= 0, K >= 1, P >= 1, 0 <= gamma <= 1",
                                            who, H, K, o.samples_per_state, o.gamma));
  if (s0.shape() != Shape{n, obs} || (critic && (critic->obs_dim() != obs || critic->act_dim() != act)))
    throw std::invalid_argument(fmt::format("{}: s0 {}, policy obs/act {}/{}, critic {}: expected s0 [n, obs] and "
                                            "equal dimensions",
                                            who, s0.shape().str(), obs, act,
                                            critic ? fmt::format("{}/{}", critic->obs_dim(), critic->act_dim())
                                                   : std::string("none")));
  bool ok = noise.rows == N && int64_t(noise.action_eps.size()) == H &&
            (!critic || int64_t(noise.terminal_eps.size()) == K * N * act);
  for (int64_t t = 0; ok && t < H; ++t) ok = int64_t(noise.action_eps[t].size()) == N * act;
  if (!ok)
    throw std::invalid_argument(fmt::format("{}: noise drawn for {} rows, {} steps and {} terminal eps, expected N = "
                                            "{} rows, H = {} steps of [N, {}] eps and [K N, {}] terminal eps (K = {})",
                                            who, noise.rows, noise.action_eps.size(), noise.terminal_eps.size(), N, H,
                                            act, act, K));
  MaacNoiseVars<T> z;
  z.rows = N;
  for (int64_t t = 0; t < H; ++t) z.action_eps.push_back(tape.constant(Shape{N, act}, noise.action_eps[t].data()));
  if (critic) z.terminal_eps = tape.constant(Shape{K * N, act}, noise.terminal_eps.data());
  return z;
}

}  // namespace

template <class T>
MaacNoise<T> draw_policy_noise(const MaacObjectiveOptions& o, int64_t n_start, int64_t act_dim, Rng& rng) {
  if (o.horizon < 0 || o.terminal_samples < 1 || o.samples_per_state < 1 || n_start < 1 || act_dim < 1)
    throw std::invalid_argument(fmt::format("draw_policy_noise: horizon {}, terminal_samples {}, samples_per_state {}, "
                                            "{} start states, act {}: expected H >= 0 and the rest >= 1",
                                            o.horizon, o.terminal_samples, o.samples_per_state, n_start, act_dim));
  MaacNoise<T> z;
  z.rows = o.samples_per_state * n_start;
  for (int64_t t = 0; t < o.horizon; ++t) z.action_eps.push_back(rng.normal_vector<T>(z.rows * act_dim));
  z.terminal_eps = rng.normal_vector<T>(o.terminal_samples * z.rows * act_dim);
  return z;
}

template <class T>
MaacObjective<T> linear_policy_objective(Tape<T>& tape, Var<T> s0, LinearGaussianPolicy<T>& policy,
                                         const LinearDynamics<T>& dynamics, std::type_identity_t<TwinCritic<T>>* critic,
                                         const RewardModel<T>& reward, const MaacNoise<T>& noise,
                                         const MaacObjectiveOptions& o) {
  if (dynamics.obs_dim() != policy.obs_dim() || dynamics.act_dim() != policy.act_dim())
    throw std::invalid_argument(fmt::format("linear policy objective: dynamics obs/act {}/{}, policy {}/{}: expected "
                                            "equal",
                                            dynamics.obs_dim(), dynamics.act_dim(), policy.obs_dim(), policy.act_dim()));
  const MaacNoiseVars<T> z = policy_noise_vars("linear policy objective", tape, s0, policy, critic, noise, o);
  auto step = [&](Tape<T>& tape, Var<T> s, Var<T> a, int64_t) { return dynamics.next_state(tape, s, a); };
  return detail::maac_path(tape, s0, policy, step, critic, reward, detail::Alpha<T>{}, z, o);
}

template <class T>
MaacObjective<T> linear_policy_objective(Tape<T>& tape, Var<T> s0, LinearGaussianPolicy<T>& policy,
                                         DynamicsModel<T>& model, std::type_identity_t<TwinCritic<T>>* critic,
                                         const RewardModel<T>& reward, const MaacNoise<T>& noise,
                                         const MaacObjectiveOptions& o) {
  const int64_t N = o.samples_per_state * s0.rows();
  if (model.obs_dim() != policy.obs_dim() || model.act_dim() != policy.act_dim())
    throw std::invalid_argument(fmt::format("linear policy objective (ensemble): model obs/act {}/{}, policy {}/{}: "
                                            "expected equal",
                                            model.obs_dim(), model.act_dim(), policy.obs_dim(), policy.act_dim()));
  bool ok = int64_t(noise.model_eps.size()) == o.horizon && int64_t(noise.members.size()) == o.horizon;
  for (int64_t t = 0; ok && t < o.horizon; ++t)
    ok = int64_t(noise.model_eps[t].size()) == N * model.out_dim() && int64_t(noise.members[t].size()) == N;
  if (!ok)
    throw std::invalid_argument(fmt::format("linear policy objective (ensemble): {} steps of model eps and {} of "
                                            "members, expected H = {} steps of [{}, {}] eps and {} members "
                                            "(MaacNoise::draw with the model)",
                                            noise.model_eps.size(), noise.members.size(), o.horizon, N,
                                            model.out_dim(), N));
  MaacNoiseVars<T> z = policy_noise_vars("linear policy objective (ensemble)", tape, s0, policy, critic, noise, o);
  for (int64_t t = 0; t < o.horizon; ++t)
    z.model_eps.push_back(tape.constant(Shape{N, model.out_dim()}, noise.model_eps[t].data()));
  auto step = [&](Tape<T>& tape, Var<T> s, Var<T> a, int64_t t) {
    return model.next_state_rows(tape, s, a, noise.members[t], z.model_eps[t], o.evaluation, o.model_noise);
  };
  return detail::maac_path(tape, s0, policy, step, critic, reward, detail::Alpha<T>{}, z, o);
}

#define MAAC_INSTANTIATE(T)                                                                                          \
  template MaacNoise<T> draw_policy_noise(const MaacObjectiveOptions&, int64_t, int64_t, Rng&);                     \
  template MaacObjective<T> linear_policy_objective(Tape<T>&, Var<T>, LinearGaussianPolicy<T>&,                      \
                                                    const LinearDynamics<T>&, TwinCritic<T>*, const RewardModel<T>&, \
                                                    const MaacNoise<T>&, const MaacObjectiveOptions&);               \
  template MaacObjective<T> linear_policy_objective(Tape<T>&, Var<T>, LinearGaussianPolicy<T>&, DynamicsModel<T>&,   \
                                                    TwinCritic<T>*, const RewardModel<T>&, const MaacNoise<T>&,      \
                                                    const MaacObjectiveOptions&);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::rl
