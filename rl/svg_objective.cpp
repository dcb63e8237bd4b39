#include "rl/svg_objective.hpp"

#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {

template <class T>
void check_batch(const char* who, const RealTransitions<T>& b, int64_t obs, int64_t act) {
  const int64_t n = b.s.valid() ? b.s.rows() : 0;
  const bool ok = n >= 1 && b.s.shape() == Shape{n, obs} && b.a.valid() && b.a.shape() == Shape{n, act} &&
                  b.r.valid() && b.r.shape() == Shape{n, 1} && b.s_next.valid() && b.s_next.shape() == Shape{n, obs};
  if (!ok)
    throw std::invalid_argument(std::string(who) + ": transitions s " + (b.s.valid() ? b.s.shape().str() : "empty") +
                                ", a " + (b.a.valid() ? b.a.shape().str() : "empty") + ", r " +
                                (b.r.valid() ? b.r.shape().str() : "empty") + ", s' " +
                                (b.s_next.valid() ? b.s_next.shape().str() : "empty") + ": expected [n, " +
                                std::to_string(obs) + "], [n, " + std::to_string(act) + "], [n, 1], [n, " +
                                std::to_string(obs) + "], n >= 1");
}

}  // namespace

template <class T>
SvgNoise<T> SvgNoise<T>::draw(int64_t n, const DynamicsModel<T>& model, int64_t act_dim, Rng& rng) {
  if (n < 1 || act_dim < 1)
    throw std::invalid_argument("SvgNoise::draw: n " + std::to_string(n) + ", act " + std::to_string(act_dim) +
                                ", expected both >= 1");
  SvgNoise<T> z;
  z.action_eps = rng.normal_vector<T>(n * act_dim);
  const std::vector<int32_t>& pool = model.sampling_members();
  z.members.resize(static_cast<size_t>(n));
  for (int32_t& m : z.members) m = pool[static_cast<size_t>(rng.below(int64_t(pool.size())))];
  return z;
}

template <class T>
SvgObjective<T> svg1_policy_objective(Tape<T>& tape, const RealTransitions<T>& b, SquashedGaussianPolicy<T>& policy,
                                      DynamicsModel<T>& model, ValueFunction<T>& value, const RewardModel<T>& reward,
                                      double alpha, const SvgNoise<T>& z, const SvgObjectiveOptions& o) {
  const int64_t obs = policy.obs_dim(), act = policy.act_dim();
  check_batch("svg1 objective", b, obs, act);
  const int64_t n = b.s.rows();
  if (model.obs_dim() != obs || model.act_dim() != act || value.obs_dim() != obs)
    throw std::invalid_argument("svg1 objective: policy obs/act " + std::to_string(obs) + "/" + std::to_string(act) +
                                ", model " + std::to_string(model.obs_dim()) + "/" + std::to_string(model.act_dim()) +
                                ", value obs " + std::to_string(value.obs_dim()) + ": expected equal dimensions");
  if (!(alpha >= 0.0) || !(o.gamma >= 0.0 && o.gamma <= 1.0))
    throw std::invalid_argument("svg1 objective: alpha " + std::to_string(alpha) + ", gamma " +
                                std::to_string(o.gamma) + ", expected alpha >= 0 and 0 <= gamma <= 1");
  if (int64_t(z.action_eps.size()) != n * act || int64_t(z.members.size()) != n)
    throw std::invalid_argument("svg1 objective: noise of " + std::to_string(z.action_eps.size()) + " eps and " +
                                std::to_string(z.members.size()) + " members, expected " + std::to_string(n * act) +
                                " and " + std::to_string(n));
  // xi from the observed transition: y = [s' - s (, r)], the model's raw target.
  Var<T> y = sub(b.s_next, b.s);
  if (model.out_dim() != obs) y = concat_cols<T>({y, b.r});
  Var<T> xi;
  {
    FrozenParams<T> frozen(tape);
    xi = model.infer_noise_rows(tape, b.s, b.a, y, z.members, o.evaluation, o.model_noise);
  }
  auto pi = policy.sample(tape, b.s, tape.constant(Shape{n, act}, z.action_eps.data()));
  Var<T> s_next, v;
  {
    // Model and value pass the gradient from s' back to a but keep none themselves.
    FrozenParams<T> frozen(tape);
    s_next = model.next_state_rows(tape, b.s, pi.action, z.members, xi, o.evaluation, o.model_noise);
    v = value.value(tape, s_next);
  }
  Var<T> alive = checked_alive(reward, tape, s_next, o.termination);
  Var<T> J = add(sub(reward.reward(tape, b.s, pi.action, s_next), scale(pi.log_prob, alpha)),
                 scale(mul(alive, v), o.gamma));
  return {scale(mean(J), -1.0), J, xi};
}

template <class T>
Var<T> svg1_value_target(Tape<T>& tape, const RealTransitions<T>& b, Var<T> alive, SquashedGaussianPolicy<T>& policy,
                         ValueFunction<T>& value, double alpha, Var<T> eps, double gamma) {
  check_batch("svg1 value target", b, policy.obs_dim(), policy.act_dim());
  const int64_t n = b.s.rows();
  if (!alive.valid() || alive.shape() != Shape{n, 1} || !eps.valid() || eps.shape() != Shape{n, policy.act_dim()} ||
      !(alpha >= 0.0) || !(gamma >= 0.0 && gamma <= 1.0))
    throw std::invalid_argument("svg1 value target: alive " + (alive.valid() ? alive.shape().str() : "empty") +
                                ", eps " + (eps.valid() ? eps.shape().str() : "empty") + ", alpha " +
                                std::to_string(alpha) + ", gamma " + std::to_string(gamma) + ": expected [" +
                                std::to_string(n) + ", 1], [n, " + std::to_string(policy.act_dim()) +
                                "], alpha >= 0, 0 <= gamma <= 1");
  NoGrad<T> off(tape);
  // The entropy bonus at s from a fresh action of the current policy (the value is the
  // policy's, the reward the behaviour's).
  Var<T> log_prob = policy.sample(tape, b.s, eps).log_prob;
  Var<T> next = scale(mul(alive, value.value(tape, b.s_next, /*target=*/true)), gamma);
  return add(sub(b.r, scale(log_prob, alpha)), next);
}

template struct SvgNoise<float>;
template struct SvgNoise<double>;
#define MAAC_INSTANTIATE(T)                                                                                       \
  template SvgObjective<T> svg1_policy_objective(Tape<T>&, const RealTransitions<T>&, SquashedGaussianPolicy<T>&, \
                                                 DynamicsModel<T>&, ValueFunction<T>&, const RewardModel<T>&,     \
                                                 double, const SvgNoise<T>&, const SvgObjectiveOptions&);         \
  template Var<T> svg1_value_target(Tape<T>&, const RealTransitions<T>&, Var<T>, SquashedGaussianPolicy<T>&,     \
                                    ValueFunction<T>&, double, Var<T>, double);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::rl
