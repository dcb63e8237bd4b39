// Each env's reward and termination as functions on the autodiff tape, for model
// rollouts (rows are batch elements). reward(s, a, s') -> [n,1]; alive(s') -> a 0/1
// constant [n,1] (no gradient) from the same healthy rules as the env;
// alive_probability(s') -> [n,1] in [0, 1], a differentiable surrogate of alive(s').
//
// The surrogate (for the actor's pathwise gradient, which never sees a fall through the
// constant mask): a product over the healthy conditions of sigmoid(margin / tau), margin
// the signed distance of the bounded quantity inside its bound (negative outside), each
// interval lo < x < hi counting as two conditions, x - lo > 0 and hi - x > 0 (no |x|,
// so no kink). On the tape: exp(-sum softplus(-margin / tau)), which is the same product
// without underflow. tau is 5% of the interval's width (the envs' kAliveTemperature*):
//   - it agrees with alive() away from the bounds: sigmoid(m / tau) > 0.99 once the margin
//     passes 4.6 tau (23% of the width), and < 0.01 beyond 4.6 tau outside, so the middle
//     half of every interval reads as alive to within about 1%;
//   - its gradient p (1 - p) / tau is felt within about 5 tau (a quarter of the width) of a
//     bound: a path heading for a fall is seen a few model steps before it falls. A much
//     smaller tau gives a gradient only in the step that falls; a much larger one
//     penalises ordinary states (the objective's terminal value is multiplied by p).
// Conditions that are not distances stay hard and enter as 0/1 factors: finiteness (Ant,
// InvertedPendulum; Hopper's z < inf). Envs without termination return ones.
//
// Where the env's reward uses something the observation lacks, the tape uses the best
// observable stand-in, named by stand_in() and measured in docs/envs.md:
//   HalfCheetah, Hopper, Walker2d: forward reward = x velocity in s' (qvel[0] at the end
//     of the step) instead of the x displacement / dt over the step.
//   Ant: the same with the torso's x velocity; with the 27-dim observation the contact
//     cost is unobservable and taken as 0 (with 105 dims it is exact).
//   Hopper: the healthy check sees the velocities clipped to [-10, 10] in s', so it
//     cannot see |qvel| >= 100 (the env terminates there; the tape does not).
// Pendulum, InvertedPendulum and DoubleIntegrator are exact. Actions are clamped to
// the env's bounds first, as the env clips them (zero gradient outside the bounds).
#pragma once
#include <memory>
#include <string_view>

#include "autodiff/ops.hpp"
#include "envs/env.hpp"

namespace maac::envs {

template <class T>
class DifferentiableReward {
 public:
  virtual ~DifferentiableReward() = default;
  // s, s_next: [n, obs_dim]; a: [n, act_dim]. Throws std::invalid_argument on shapes.
  virtual Var<T> reward(Var<T> s, Var<T> a, Var<T> s_next) const = 0;
  virtual Var<T> alive(Var<T> s_next) const = 0;
  // The smooth surrogate of alive() described above: [n,1], differentiable in s_next.
  virtual Var<T> alive_probability(Var<T> s_next) const = 0;
  // Empty when the tape reward equals the env's; otherwise what differs.
  virtual std::string_view stand_in() const = 0;
  // True when reward, alive and alive_probability are tape ops only (no values read on
  // the host), so a CUDA graph can capture them; false for checks made on the host.
  virtual bool capturable() const { return false; }
};

// The tape functions of `env` (by its spec name; the DoubleIntegrator's Q and R and the
// Ant's observation size are read from the env).
template <class T> std::unique_ptr<DifferentiableReward<T>> make_differentiable_reward(const Env& env);

extern template std::unique_ptr<DifferentiableReward<float>> make_differentiable_reward<float>(const Env&);
extern template std::unique_ptr<DifferentiableReward<double>> make_differentiable_reward<double>(const Env&);

}  // namespace maac::envs
