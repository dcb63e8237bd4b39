// The true dynamics of a linear system, x' = A x + B u, as tape ops: the "true model"
// the gradient-error experiment (docs/experiments.md) backpropagates through.
#pragma once
#include "autodiff/fixed_constant.hpp"
#include "autodiff/ops.hpp"
#include "envs/analytic/linear_policy_return.hpp"

namespace maac::rl {

template <class T>
class LinearDynamics {
 public:
  explicit LinearDynamics(const envs::LinearQuadraticSystem& system);
  // s: [n, obs], a: [n, act] -> s A' + a B': [n, obs]
  Var<T> next_state(Tape<T>& tape, Var<T> s, Var<T> a) const;
  int64_t obs_dim() const { return obs_; }
  int64_t act_dim() const { return act_; }

 private:
  int64_t obs_, act_;
  FixedConstant<T> a_t_, b_t_;  // A': [obs, obs], B': [act, obs]
};

extern template class LinearDynamics<float>;
extern template class LinearDynamics<double>;

}  // namespace maac::rl
