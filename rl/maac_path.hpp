// The path loop of the MAAC objective, written once for any policy and any one-step
// dynamics (rl/maac_objective.hpp gives the formula):
//   Policy: sample(tape, s [n, obs], eps [k n, act]) -> {action [k n, act], log_prob [k n, 1]};
//   Step:   step(tape, s [N, obs], a [N, act], t) -> s' [N, obs], called with the
//           parameters frozen (the gradient passes through the dynamics to (s, a) only).
// The tanh policy through the ensemble (maac_objective.cpp) and the linear-Gaussian
// policy through the true or learned dynamics (linear_policy_objective.cpp) are its two
// instantiations. Include only from those .cpp files.
#pragma once
#include <stdexcept>

#include "rl/maac_objective.hpp"

namespace maac::rl::detail {

// alpha as a host number (op-by-op path, exactly as before) or a [1, 1] node (graph mode).
template <class T> struct Alpha {
  double value = 0.0;
  Var<T> var;
  Var<T> times(Var<T> x) const { return var.valid() ? mul(x, var) : scale(x, value); }
};

// critic: the terminal value's min-Q; nullptr leaves the terminal value out (J is the
// H-step return alone; requires H >= 1), and `terminal` is then a zero constant.
template <class T, class Policy, class Step>
MaacObjective<T> maac_path(Tape<T>& tape, Var<T> s0, Policy& policy, const Step& step, TwinCritic<T>* critic,
                           const RewardModel<T>& reward, const Alpha<T>& alpha, const MaacNoiseVars<T>& z,
                           const MaacObjectiveOptions& o) {
  const int64_t n = s0.rows(), N = o.samples_per_state * n, H = o.horizon, K = o.terminal_samples;
  if (!critic && H == 0) throw std::invalid_argument("maac objective: no terminal value and horizon 0: J is empty");
  // s: [N, obs], P copies of the start states stacked. The policy at the start reads s0
  // itself (P samples per state), so its network runs once per distinct state.
  Var<T> s = o.samples_per_state > 1 && H > 0 ? tile_rows(s0, o.samples_per_state) : s0;
  Var<T> mask = tape.filled(Shape{N, 1}, T(1));  // [N, 1]: 1 until the path terminates (smooth: a probability)
  Var<T> J, first_log_prob;
  const bool along_path = o.entropy == EntropyBonus::along_path;
  double discount = 1.0;
  for (int64_t t = 0; t < H; ++t) {
    auto pi = policy.sample(tape, t == 0 ? s0 : s, z.action_eps[t]);
    if (t == 0) first_log_prob = pi.log_prob;
    Var<T> s_next;
    {
      // The model passes the gradient from s' back to (s, a) but keeps none itself.
      FrozenParams<T> frozen(tape);
      s_next = step(tape, s, pi.action, t);
    }
    Var<T> term = reward.reward(tape, s, pi.action, s_next);  // [N, 1]
    if (along_path) term = sub(term, alpha.times(pi.log_prob));
    term = scale(mul(term, mask), discount);
    J = J.valid() ? add(J, term) : term;
    // Rewards up to and including the terminating step count; nothing after it does.
    mask = mul(mask, checked_alive(reward, tape, s_next, o.termination));
    s = s_next;
    discount *= o.gamma;
  }

  if (!critic) {
    if (!along_path) J = sub(J, alpha.times(first_log_prob));
    return {scale(mean(J), -1.0), J, tape.filled(Shape{N, 1}, T(0))};
  }

  // Terminal value: K actions at s_H, min over the twin Qs, averaged over the K samples.
  // The K samples share s_H: the policy runs once per state and the critic reads s_H once
  // per block of N actions (no tile of the states).
  // At H = 0, s is s0 untiled: K P samples per start state, in the same row order.
  auto pi = policy.sample(tape, s, z.terminal_eps);  // [K N, act]
  Var<T> value;
  {
    FrozenParams<T> frozen(tape);
    value = critic->min_q(tape, s, pi.action);  // [K N, 1]
  }
  if (along_path) value = sub(value, alpha.times(pi.log_prob));
  if (K > 1) value = reshape(mean_rows(reshape(value, Shape{K, N})), Shape{N, 1});
  Var<T> terminal = scale(mul(value, mask), discount);
  J = J.valid() ? add(J, terminal) : terminal;

  if (!along_path) {
    // First action only: at H = 0 the first action is terminal sample k = 0, rows 0 .. N
    // (a slice, not a gather, so no indices are uploaded).
    if (H == 0)
      first_log_prob =
          K > 1 ? reshape(slice_cols(reshape(pi.log_prob, Shape{1, K * N}), 0, N), Shape{N, 1}) : pi.log_prob;
    J = sub(J, alpha.times(first_log_prob));
  }
  return {scale(mean(J), -1.0), J, terminal};
}

}  // namespace maac::rl::detail
