#include "rl/maac_objective.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {
void check_options(const MaacObjectiveOptions& o) {
  if (o.horizon < 0 || o.terminal_samples < 1 || o.samples_per_state < 1 || !(o.gamma >= 0.0 && o.gamma <= 1.0))
    throw std::invalid_argument("maac objective: horizon " + std::to_string(o.horizon) + ", terminal_samples " +
                                std::to_string(o.terminal_samples) + ", samples_per_state " +
                                std::to_string(o.samples_per_state) + ", gamma " + std::to_string(o.gamma) +
                                ": expected H >= 0, K >= 1, P >= 1, 0 <= gamma <= 1");
}
template <class T>
Var<T> ones(Tape<T>& tape, int64_t n) {
  std::vector<T> v(static_cast<size_t>(n), T(1));
  return tape.constant(Shape{n, 1}, v.data());
}
}  // namespace

template <class T>
MaacNoise<T> MaacNoise<T>::draw(const MaacObjectiveOptions& o, int64_t n_start, const DynamicsModel<T>& model,
                                int64_t act_dim, Rng& rng) {
  check_options(o);
  MaacNoise<T> z;
  z.rows = o.samples_per_state * n_start;
  const std::vector<int32_t>& pool = model.sampling_members();
  std::vector<int32_t> fixed;
  for (int64_t t = 0; t < o.horizon; ++t) {
    z.action_eps.push_back(rng.normal_vector<T>(z.rows * act_dim));
    z.model_eps.push_back(rng.normal_vector<T>(z.rows * model.out_dim()));
    // A member per row: drawn afresh each step, or once and kept along the path.
    if (t == 0 || o.member_choice == MemberChoice::per_step) {
      fixed.resize(static_cast<size_t>(z.rows));
      for (int32_t& m : fixed) m = pool[static_cast<size_t>(rng.below(int64_t(pool.size())))];
    }
    z.members.push_back(fixed);
  }
  z.terminal_eps = rng.normal_vector<T>(o.terminal_samples * z.rows * act_dim);
  return z;
}

template <class T>
MaacObjective<T> maac_policy_objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy,
                                       DynamicsModel<T>& model, TwinCritic<T>& critic, const RewardModel<T>& reward,
                                       double alpha, const MaacNoise<T>& noise, const MaacObjectiveOptions& o) {
  check_options(o);
  const int64_t n = s0.rows(), obs = policy.obs_dim(), act = policy.act_dim(), N = o.samples_per_state * n;
  const int64_t H = o.horizon, K = o.terminal_samples;
  if (!(alpha >= 0.0))
    throw std::invalid_argument("maac objective: alpha " + std::to_string(alpha) + ", expected >= 0");
  if (s0.shape() != Shape{n, obs} || model.obs_dim() != obs || model.act_dim() != act || critic.obs_dim() != obs ||
      critic.act_dim() != act)
    throw std::invalid_argument("maac objective: s0 " + s0.shape().str() + ", policy obs/act " + std::to_string(obs) +
                                "/" + std::to_string(act) + ", model " + std::to_string(model.obs_dim()) + "/" +
                                std::to_string(model.act_dim()) + ", critic " + std::to_string(critic.obs_dim()) + "/" +
                                std::to_string(critic.act_dim()) + ": expected s0 [n, obs] and equal dimensions");
  bool noise_ok = noise.rows == N && int64_t(noise.action_eps.size()) == H && int64_t(noise.model_eps.size()) == H &&
                  int64_t(noise.members.size()) == H && int64_t(noise.terminal_eps.size()) == K * N * act;
  for (int64_t t = 0; noise_ok && t < H; ++t)
    noise_ok = int64_t(noise.action_eps[t].size()) == N * act &&
               int64_t(noise.model_eps[t].size()) == N * model.out_dim() && int64_t(noise.members[t].size()) == N;
  if (!noise_ok)
    throw std::invalid_argument("maac objective: noise drawn for " + std::to_string(noise.rows) + " rows and " +
                                std::to_string(noise.action_eps.size()) + " steps, expected N = " + std::to_string(N) +
                                " rows, H = " + std::to_string(H) + " steps and K = " + std::to_string(K) +
                                " terminal samples");

  // s: [N, obs], P copies of the start states stacked.
  Var<T> s = o.samples_per_state > 1 ? tile_rows(s0, o.samples_per_state) : s0;
  Var<T> mask = ones(tape, N);  // [N, 1] constant: 1 until the path terminates
  Var<T> J, first_log_prob;
  const bool along_path = o.entropy == EntropyBonus::along_path;
  double discount = 1.0;
  for (int64_t t = 0; t < H; ++t) {
    auto pi = policy.sample(tape, s, tape.constant(Shape{N, act}, noise.action_eps[t].data()));
    if (t == 0) first_log_prob = pi.log_prob;
    Var<T> s_next;
    {
      // The model passes the gradient from s' back to (s, a) but keeps none itself.
      FrozenParams<T> frozen(tape);
      s_next = model.next_state_rows(tape, s, pi.action, noise.members[t],
                                     tape.constant(Shape{N, model.out_dim()}, noise.model_eps[t].data()), o.evaluation,
                                     o.model_noise);
    }
    Var<T> term = reward.reward(tape, s, pi.action, s_next);  // [N, 1]
    if (along_path) term = sub(term, scale(pi.log_prob, alpha));
    term = scale(mul(term, mask), discount);
    J = J.valid() ? add(J, term) : term;
    // Rewards up to and including the terminating step count; nothing after it does.
    mask = mul(mask, checked_alive(reward, tape, s_next));
    s = s_next;
    discount *= o.gamma;
  }

  // Terminal value: K actions at s_H, min over the twin Qs, averaged over the K samples.
  Var<T> sK = K > 1 ? tile_rows(s, K) : s;  // [K N, obs]
  auto pi = policy.sample(tape, sK, tape.constant(Shape{K * N, act}, noise.terminal_eps.data()));
  Var<T> value;
  {
    FrozenParams<T> frozen(tape);
    value = critic.min_q(tape, sK, pi.action);  // [K N, 1]
  }
  if (along_path) value = sub(value, scale(pi.log_prob, alpha));
  if (K > 1) value = reshape(mean_rows(reshape(value, Shape{K, N})), Shape{N, 1});
  Var<T> terminal = scale(mul(value, mask), discount);
  J = J.valid() ? add(J, terminal) : terminal;

  if (!along_path) {
    // First action only: at H = 0 the first action is terminal sample k = 0.
    if (H == 0) {
      std::vector<int32_t> first(static_cast<size_t>(N));
      std::iota(first.begin(), first.end(), 0);
      first_log_prob = K > 1 ? gather_rows(pi.log_prob, first) : pi.log_prob;
    }
    J = sub(J, scale(first_log_prob, alpha));
  }
  return {scale(mean(J), -1.0), J};
}

template <class T>
Var<T> sac_actor_loss(Tape<T>& tape, Var<T> s, SquashedGaussianPolicy<T>& policy, TwinCritic<T>& critic, double alpha,
                      Var<T> eps) {
  auto pi = policy.sample(tape, s, eps);
  Var<T> q;
  {
    FrozenParams<T> frozen(tape);
    q = critic.min_q(tape, s, pi.action);
  }
  return mean(sub(scale(pi.log_prob, alpha), q));
}

template struct MaacNoise<float>;
template struct MaacNoise<double>;
#define MAAC_INSTANTIATE(T)                                                                                           \
  template MaacObjective<T> maac_policy_objective(Tape<T>&, Var<T>, SquashedGaussianPolicy<T>&, DynamicsModel<T>&,    \
                                                  TwinCritic<T>&, const RewardModel<T>&, double, const MaacNoise<T>&, \
                                                  const MaacObjectiveOptions&);                                       \
  template Var<T> sac_actor_loss(Tape<T>&, Var<T>, SquashedGaussianPolicy<T>&, TwinCritic<T>&, double, Var<T>);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::rl
