// The reward and termination interface model rollouts use. Environments plug in their
// own differentiable reward (envs/ implements this later); tests use analytic rewards.
#pragma once
#include "autodiff/ops.hpp"

namespace maac::rl {

template <class T>
class RewardModel {
 public:
  virtual ~RewardModel() = default;
  // r(s, a, s'), differentiable in all three.  s: [n, obs], a: [n, act], s_next: [n, obs] -> [n, 1]
  virtual Var<T> reward(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> s_next) const = 0;
  // 1 where s' is not terminal, 0 where it is: a constant [n, 1] without gradient.
  // The default never terminates (ones written on the tape's device: no host data).
  virtual Var<T> alive(Tape<T>& tape, Var<T> s_next) const;
  // True when reward() and alive() read nothing on the host and upload nothing on a cuda
  // tape, so that an update using them can be captured as a CUDA graph. A model whose
  // termination is a host predicate (most envs) or that uploads constants says false;
  // the default claims nothing.
  virtual bool capturable() const { return false; }
};

// alive() with its contract checked: a constant [n, 1] of zeros and ones. The values
// are checked on cpu tapes only: reading a device mask back would synchronise (and
// could not be captured), so device masks are trusted.
template <class T>
Var<T> checked_alive(const RewardModel<T>& model, Tape<T>& tape, Var<T> s_next);

// An analytic reward for tests and benchmarks:
//   r = -state_weight * |s'|^2 - action_weight * |a|^2 + progress_weight * (s'_0 - s_0)
// and termination when |s'_0| > terminate_above (never when terminate_above <= 0).
template <class T>
class QuadraticReward : public RewardModel<T> {
 public:
  QuadraticReward(double state_weight, double action_weight, double progress_weight = 0.0,
                  double terminate_above = 0.0);
  Var<T> reward(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> s_next) const override;
  Var<T> alive(Tape<T>& tape, Var<T> s_next) const override;
  // Without termination everything stays on the device.
  bool capturable() const override { return terminate_above_ <= 0.0; }

 private:
  double state_weight_, action_weight_, progress_weight_, terminate_above_;
};

extern template class RewardModel<float>;
extern template class RewardModel<double>;
extern template class QuadraticReward<float>;
extern template class QuadraticReward<double>;

}  // namespace maac::rl
