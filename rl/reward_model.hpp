// The reward and termination interface model rollouts use. Environments plug in their
// own differentiable reward (envs/ implements this later); tests use analytic rewards.
#pragma once
#include "autodiff/ops.hpp"

namespace maac::rl {

// The termination factor along the actor's model path: the 0/1 mask alive() (a constant,
// so the pathwise gradient never sees a fall), or the differentiable alive_probability().
// Model rollouts and critic targets always use the hard mask (docs/training.md).
enum class Termination { hard, smooth };

template <class T>
class RewardModel {
 public:
  virtual ~RewardModel() = default;
  // r(s, a, s'), differentiable in all three.  s: [n, obs], a: [n, act], s_next: [n, obs] -> [n, 1]
  virtual Var<T> reward(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> s_next) const = 0;
  // 1 where s' is not terminal, 0 where it is: a constant [n, 1] without gradient.
  // The default never terminates (ones written on the tape's device: no host data).
  virtual Var<T> alive(Tape<T>& tape, Var<T> s_next) const;
  // A differentiable surrogate of alive(): the probability in [0, 1] that s' is not
  // terminal, [n, 1], with a gradient w.r.t. s_next. The default is alive() itself (no
  // gradient), right for models that never terminate.
  virtual Var<T> alive_probability(Tape<T>& tape, Var<T> s_next) const { return alive(tape, s_next); }
  // True when reward(), alive() and alive_probability() read nothing on the host and
  // upload nothing on a cuda tape, so that an update using them can be captured as a CUDA
  // graph. A model whose termination is a host predicate or that uploads constants says
  // false; the default claims nothing.
  virtual bool capturable() const { return false; }
};

// alive() with its contract checked: a constant [n, 1] of zeros and ones. The values
// are checked on cpu tapes only: reading a device mask back would synchronise (and
// could not be captured), so device masks are trusted.
template <class T>
Var<T> checked_alive(const RewardModel<T>& model, Tape<T>& tape, Var<T> s_next);
// The factor `termination` asks for: checked_alive() (hard), or alive_probability()
// checked to be [n, 1] with values in [0, 1] or NaN (smooth; values on cpu tapes only).
template <class T>
Var<T> checked_alive(const RewardModel<T>& model, Tape<T>& tape, Var<T> s_next, Termination termination);

// An analytic reward for tests and benchmarks:
//   r = -state_weight * |s'|^2 - action_weight * |a|^2 + progress_weight * (s'_0 - s_0)
// and termination when |s'_0| > terminate_above (never when terminate_above <= 0). Its
// alive_probability is sigmoid((c - s'_0) / tau) sigmoid((c + s'_0) / tau), c =
// terminate_above, tau = 0.1 c (5% of the healthy interval's width, as the envs').
template <class T>
class QuadraticReward : public RewardModel<T> {
 public:
  QuadraticReward(double state_weight, double action_weight, double progress_weight = 0.0,
                  double terminate_above = 0.0);
  Var<T> reward(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> s_next) const override;
  Var<T> alive(Tape<T>& tape, Var<T> s_next) const override;
  Var<T> alive_probability(Tape<T>& tape, Var<T> s_next) const override;
  // Without termination everything stays on the device (the smooth probability is tape
  // ops, but the hard mask is not).
  bool capturable() const override { return terminate_above_ <= 0.0; }

 private:
  double state_weight_, action_weight_, progress_weight_, terminate_above_;
};

extern template class RewardModel<float>;
extern template class RewardModel<double>;
extern template class QuadraticReward<float>;
extern template class QuadraticReward<double>;

}  // namespace maac::rl
