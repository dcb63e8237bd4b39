#include "rl/maac_objective.hpp"
#include "rl/maac_path.hpp"

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
MaacNoiseVars<T> MaacNoiseVars<T>::from_host(Tape<T>& tape, const MaacNoise<T>& noise, int64_t act_dim,
                                             int64_t model_out_dim) {
  const int64_t N = noise.rows, H = static_cast<int64_t>(noise.action_eps.size());
  bool ok = N >= 1 && act_dim >= 1 && model_out_dim >= 1 && int64_t(noise.model_eps.size()) == H &&
            int64_t(noise.members.size()) == H && int64_t(noise.terminal_eps.size()) % (N * act_dim) == 0 &&
            !noise.terminal_eps.empty();
  for (int64_t t = 0; ok && t < H; ++t)
    ok = int64_t(noise.action_eps[t].size()) == N * act_dim &&
         int64_t(noise.model_eps[t].size()) == N * model_out_dim && int64_t(noise.members[t].size()) == N;
  if (!ok)
    throw std::invalid_argument("MaacNoiseVars::from_host: noise of " + std::to_string(N) + " rows, " +
                                std::to_string(H) + " steps, " + std::to_string(noise.terminal_eps.size()) +
                                " terminal eps: expected [N, " + std::to_string(act_dim) + "] and [N, " +
                                std::to_string(model_out_dim) + "] eps and N members per step, [K N, " +
                                std::to_string(act_dim) + "] terminal eps");
  MaacNoiseVars<T> z;
  z.rows = N;
  for (int64_t t = 0; t < H; ++t) {
    z.action_eps.push_back(tape.constant(Shape{N, act_dim}, noise.action_eps[t].data()));
    z.model_eps.push_back(tape.constant(Shape{N, model_out_dim}, noise.model_eps[t].data()));
    z.members.push_back(tape.upload_indices(noise.members[t].data(), N));
  }
  z.terminal_eps =
      tape.constant(Shape{int64_t(noise.terminal_eps.size()) / act_dim, act_dim}, noise.terminal_eps.data());
  return z;
}

template <class T>
MaacNoiseVars<T> MaacNoiseVars<T>::draw(Tape<T>& tape, DeviceNoise& gen, const MaacObjectiveOptions& o,
                                        int64_t n_start, int64_t act_dim, int64_t model_out_dim, const int32_t* pool,
                                        int64_t pool_size) {
  check_options(o);
  MaacNoiseVars<T> z;
  z.rows = o.samples_per_state * n_start;
  for (int64_t t = 0; t < o.horizon; ++t) {
    z.action_eps.push_back(gen.normal(tape, Shape{z.rows, act_dim}));
    z.model_eps.push_back(gen.normal(tape, Shape{z.rows, model_out_dim}));
    // A member per row: drawn afresh each step, or once and kept along the path.
    z.members.push_back(t == 0 || o.member_choice == MemberChoice::per_step
                            ? gen.members(tape, z.rows, pool, pool_size)
                            : z.members.back());
  }
  z.terminal_eps = gen.normal(tape, Shape{o.terminal_samples * z.rows, act_dim});
  return z;
}

namespace {

using detail::Alpha;

void check_shapes(const char* who, int64_t n, int64_t obs, int64_t act, Shape s0, int64_t model_obs,
                  int64_t model_act, int64_t critic_obs, int64_t critic_act) {
  if (s0 != Shape{n, obs} || model_obs != obs || model_act != act || critic_obs != obs || critic_act != act)
    throw std::invalid_argument(std::string(who) + ": s0 " + s0.str() + ", policy obs/act " + std::to_string(obs) +
                                "/" + std::to_string(act) + ", model " + std::to_string(model_obs) + "/" +
                                std::to_string(model_act) + ", critic " + std::to_string(critic_obs) + "/" +
                                std::to_string(critic_act) + ": expected s0 [n, obs] and equal dimensions");
}

// The objective shared by both entry points: the tanh policy through the ensemble.
// host_members: the host ids for the op-by-op path (routed or all-then-select per
// options.evaluation); nullptr in graph mode, where each step selects with z.members[t]
// on the device.
template <class T>
MaacObjective<T> objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy, DynamicsModel<T>& model,
                           TwinCritic<T>& critic, const RewardModel<T>& reward, const Alpha<T>& alpha,
                           const MaacNoiseVars<T>& z, const std::vector<std::vector<int32_t>>* host_members,
                           const MaacObjectiveOptions& o) {
  auto step = [&](Tape<T>& tape, Var<T> s, Var<T> a, int64_t t) {
    return host_members ? model.next_state_rows(tape, s, a, (*host_members)[t], z.model_eps[t], o.evaluation,
                                                o.model_noise)
                        : model.next_state_selected(tape, s, a, z.members[t], z.model_eps[t], o.model_noise);
  };
  return detail::maac_path(tape, s0, policy, step, &critic, reward, alpha, z, o);
}

}  // namespace

template <class T>
MaacObjective<T> maac_policy_objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy,
                                       DynamicsModel<T>& model, TwinCritic<T>& critic, const RewardModel<T>& reward,
                                       double alpha, const MaacNoise<T>& noise, const MaacObjectiveOptions& o) {
  check_options(o);
  const int64_t n = s0.rows(), obs = policy.obs_dim(), act = policy.act_dim(), N = o.samples_per_state * n;
  const int64_t H = o.horizon, K = o.terminal_samples;
  if (!(alpha >= 0.0))
    throw std::invalid_argument("maac objective: alpha " + std::to_string(alpha) + ", expected >= 0");
  check_shapes("maac objective", n, obs, act, s0.shape(), model.obs_dim(), model.act_dim(), critic.obs_dim(),
               critic.act_dim());
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
  // The eps as constants; the members stay host ids (routing is host-driven).
  MaacNoiseVars<T> z;
  z.rows = N;
  for (int64_t t = 0; t < H; ++t) {
    z.action_eps.push_back(tape.constant(Shape{N, act}, noise.action_eps[t].data()));
    z.model_eps.push_back(tape.constant(Shape{N, model.out_dim()}, noise.model_eps[t].data()));
  }
  z.terminal_eps = tape.constant(Shape{K * N, act}, noise.terminal_eps.data());
  return objective(tape, s0, policy, model, critic, reward, Alpha<T>{alpha, {}}, z, &noise.members, o);
}

template <class T>
MaacObjective<T> maac_policy_objective(Tape<T>& tape, Var<T> s0, SquashedGaussianPolicy<T>& policy,
                                       DynamicsModel<T>& model, TwinCritic<T>& critic, const RewardModel<T>& reward,
                                       Var<T> alpha, const MaacNoiseVars<T>& z, const MaacObjectiveOptions& o) {
  check_options(o);
  if (o.evaluation != EnsembleEvaluation::all_then_select)
    throw std::invalid_argument(
        "maac objective (graph mode): options.evaluation is routed, expected all_then_select (routing groups rows "
        "by member on the host; use the MaacNoise entry point for it)");
  const int64_t n = s0.rows(), obs = policy.obs_dim(), act = policy.act_dim(), N = o.samples_per_state * n;
  const int64_t H = o.horizon, K = o.terminal_samples;
  check_shapes("maac objective (graph mode)", n, obs, act, s0.shape(), model.obs_dim(), model.act_dim(),
               critic.obs_dim(), critic.act_dim());
  if (!alpha.valid() || alpha.shape() != Shape{1, 1} || alpha.requires_grad())
    throw std::invalid_argument("maac objective (graph mode): alpha " +
                                (alpha.valid() ? alpha.shape().str() : std::string("empty")) +
                                ", expected a constant [1, 1] node");
  bool ok = z.rows == N && int64_t(z.action_eps.size()) == H && int64_t(z.model_eps.size()) == H &&
            int64_t(z.members.size()) == H && z.terminal_eps.valid() && z.terminal_eps.shape() == Shape{K * N, act};
  for (int64_t t = 0; ok && t < H; ++t)
    ok = z.action_eps[t].valid() && z.action_eps[t].shape() == Shape{N, act} && z.model_eps[t].valid() &&
         z.model_eps[t].shape() == Shape{N, model.out_dim()} && z.members[t] != nullptr;
  if (!ok)
    throw std::invalid_argument("maac objective (graph mode): noise for " + std::to_string(z.rows) + " rows and " +
                                std::to_string(z.action_eps.size()) + " steps, expected N = " + std::to_string(N) +
                                " rows, H = " + std::to_string(H) + " steps of [N, " + std::to_string(act) +
                                "] and [N, " + std::to_string(model.out_dim()) + "] eps with member ids, and [" +
                                std::to_string(K * N) + ", " + std::to_string(act) + "] terminal eps");
  return objective(tape, s0, policy, model, critic, reward, Alpha<T>{0.0, alpha}, z, nullptr, o);
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
template struct MaacNoiseVars<float>;
template struct MaacNoiseVars<double>;
#define MAAC_INSTANTIATE(T)                                                                                           \
  template MaacObjective<T> maac_policy_objective(Tape<T>&, Var<T>, SquashedGaussianPolicy<T>&, DynamicsModel<T>&,    \
                                                  TwinCritic<T>&, const RewardModel<T>&, double, const MaacNoise<T>&, \
                                                  const MaacObjectiveOptions&);                                       \
  template MaacObjective<T> maac_policy_objective(Tape<T>&, Var<T>, SquashedGaussianPolicy<T>&, DynamicsModel<T>&,    \
                                                  TwinCritic<T>&, const RewardModel<T>&, Var<T>,                      \
                                                  const MaacNoiseVars<T>&, const MaacObjectiveOptions&);              \
  template Var<T> sac_actor_loss(Tape<T>&, Var<T>, SquashedGaussianPolicy<T>&, TwinCritic<T>&, double, Var<T>);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

template <class T>
double terminal_share(const MaacObjective<T>& objective) {
  const std::vector<T> J = objective.returns.to_host(), terminal = objective.terminal.to_host();
  double path = 0, end = 0;
  for (size_t i = 0; i < J.size(); ++i) {
    path += std::abs(double(J[i]) - double(terminal[i]));
    end += std::abs(double(terminal[i]));
  }
  return path + end > 0 ? end / (path + end) : NAN;
}
template double terminal_share<float>(const MaacObjective<float>&);
template double terminal_share<double>(const MaacObjective<double>&);

}  // namespace maac::rl
