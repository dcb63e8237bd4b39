// Each env's reward and termination as functions on the autodiff tape, for model
// rollouts (rows are batch elements). reward(s, a, s') -> [n,1]; alive(s') -> a 0/1
// constant [n,1] (no gradient) from the same healthy rules as the env.
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
  // Empty when the tape reward equals the env's; otherwise what differs.
  virtual std::string_view stand_in() const = 0;
  // True when reward and alive are tape ops only (no values read on the host), so a
  // CUDA graph can capture them; false for termination checks made on the host.
  virtual bool capturable() const { return false; }
};

// The tape functions of `env` (by its spec name; the DoubleIntegrator's Q and R and the
// Ant's observation size are read from the env).
template <class T> std::unique_ptr<DifferentiableReward<T>> make_differentiable_reward(const Env& env);

extern template std::unique_ptr<DifferentiableReward<float>> make_differentiable_reward<float>(const Env&);
extern template std::unique_ptr<DifferentiableReward<double>> make_differentiable_reward<double>(const Env&);

}  // namespace maac::envs
