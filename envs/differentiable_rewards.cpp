#include "envs/differentiable_rewards.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "autodiff/fixed_constant.hpp"
#include "envs/analytic/double_integrator.hpp"
#include "envs/analytic/pendulum.hpp"
#include "envs/ant.hpp"
#include "envs/half_cheetah.hpp"
#include "envs/hopper.hpp"
#include "envs/inverted_pendulum.hpp"
#include "envs/walker2d.hpp"

namespace maac::envs {
namespace {

// Shared plumbing: shape checks, the clamped control cost and 0/1 masks from s'.
template <class T>
class TapeRewardBase : public DifferentiableReward<T> {
 public:
  explicit TapeRewardBase(const EnvSpec& spec)
      : name_(spec.name), obs_dim_(spec.obs_dim), act_dim_(spec.act_dim),
        action_low_(spec.action_low[0]), action_high_(spec.action_high[0]) {
    for (int i = 0; i < act_dim_; ++i)
      if (spec.action_low[i] != action_low_ || spec.action_high[i] != action_high_)
        throw std::invalid_argument(fmt::format("{}: differentiable reward expects the same bounds on every action", name_));
  }

  Var<T> reward(Var<T> s, Var<T> a, Var<T> s_next) const final {
    check("s", s, obs_dim_);
    check("a", a, act_dim_);
    check("s_next", s_next, obs_dim_);
    if (s.rows() != a.rows() || s.rows() != s_next.rows())
      throw std::invalid_argument(fmt::format("{} reward: s, a, s_next have {}, {}, {} rows, expected equal", name_,
                                              s.rows(), a.rows(), s_next.rows()));
    return reward_impl(s, a, s_next);
  }
  Var<T> alive(Var<T> s_next) const final {
    check("s_next", s_next, obs_dim_);
    return alive_impl(s_next);
  }
  Var<T> alive_probability(Var<T> s_next) const final {
    check("s_next", s_next, obs_dim_);
    return alive_probability_impl(s_next);
  }
  // Rewards and healthy checks are tape ops, constants live on the tape's device.
  bool capturable() const override { return true; }

 protected:
  virtual Var<T> reward_impl(Var<T> s, Var<T> a, Var<T> s_next) const = 0;
  // Never terminates: ones written on the tape's device, no host read.
  virtual Var<T> alive_impl(Var<T> s_next) const { return s_next.tape->filled(Shape{s_next.rows(), 1}, T(1)); }
  // Without termination the probability is the mask itself (ones).
  virtual Var<T> alive_probability_impl(Var<T> s_next) const { return alive_impl(s_next); }

  // weight * sum_j clamp(a_j)^2 -> [n,1]
  Var<T> ctrl_cost(Var<T> a, double weight) const {
    return scale(sum_cols(square(clamp(a, action_low_, action_high_))), weight);
  }
  // Healthy checks as tape ops (0/1 constants, no host reads, so CUDA graphs capture them):
  // column j of x inside (lo, hi), or [lo, hi] when closed -> [n,1].
  static Var<T> col_inside(Var<T> x, int j, double lo, double hi, bool closed = false) {
    return inside(slice_cols(x, j, 1), lo, hi, closed);
  }
  // 1 where every column of the 0/1 mask m [n,k] is 1 (the sum of k ones is exact).
  static Var<T> all_cols(Var<T> m) {
    return m.cols() == 1 ? m : inside(sum_cols(m), double(m.cols()) - 0.5, kInf, false);
  }
  // 1 where columns [first, first + count) of x are all finite.
  static Var<T> finite_cols(Var<T> x, int first, int count) {
    return all_cols(inside(slice_cols(x, first, count), -kInf, kInf, false));
  }
  // The smooth surrogate's pieces (see the header). -log of the probability that columns
  // [first, first + count) of x all lie in (lo, hi), one sigmoid per finite bound:
  // sum_j softplus((lo - x_j) / tau) + softplus((x_j - hi) / tau) -> [n,1].
  static Var<T> outside_penalty(Var<T> x, int first, int count, double lo, double hi, double tau) {
    Var<T> cols = slice_cols(x, first, count), penalty;
    if (std::isfinite(lo)) penalty = softplus(add_scalar(scale(cols, -1.0 / tau), lo / tau));
    if (std::isfinite(hi)) {
      Var<T> above = softplus(add_scalar(scale(cols, 1.0 / tau), -hi / tau));
      penalty = penalty.valid() ? add(penalty, above) : above;
    }
    return count == 1 ? penalty : sum_cols(penalty);
  }
  // exp(-(sum of the penalties)) -> [n,1] in [0, 1].
  static Var<T> probability_from(const std::vector<Var<T>>& penalties) {
    Var<T> total = penalties.front();
    for (size_t i = 1; i < penalties.size(); ++i) total = add(total, penalties[i]);
    return exp(scale(total, -1.0));
  }
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  int obs_dim() const { return obs_dim_; }

 private:
  void check(const char* what, Var<T> v, int cols) const {
    if (!v.valid()) throw std::invalid_argument(fmt::format("{} reward: {} is an empty Var", name_, what));
    if (v.shape().rank() != 2 || v.cols() != cols)
      throw std::invalid_argument(
          fmt::format("{} reward: {} has shape {}, expected [n, {}]", name_, what, v.shape().str(), cols));
  }

  std::string name_;
  int obs_dim_, act_dim_;
  double action_low_, action_high_;
};

// forward weight * s'[x_vel] + (healthy reward * alive) - ctrl cost: the locomotion shape.
template <class T>
Var<T> locomotion_reward(Var<T> s_next, int x_vel_index, double forward_weight, Var<T> ctrl_cost) {
  return sub(scale(slice_cols(s_next, x_vel_index, 1), forward_weight), ctrl_cost);
}

template <class T>
class HalfCheetahReward final : public TapeRewardBase<T> {
 public:
  using TapeRewardBase<T>::TapeRewardBase;
  std::string_view stand_in() const override { return "forward reward: x velocity in s' instead of dx/dt over the step"; }

 private:
  using E = HalfCheetahEnv;
  Var<T> reward_impl(Var<T>, Var<T> a, Var<T> s_next) const override {
    return locomotion_reward(s_next, E::kXVelocityIndex, E::kForwardRewardWeight, this->ctrl_cost(a, E::kCtrlCostWeight));
  }
};

template <class T>
class HopperReward final : public TapeRewardBase<T> {
 public:
  using TapeRewardBase<T>::TapeRewardBase;
  std::string_view stand_in() const override {
    return "forward reward: x velocity in s' instead of dx/dt; healthy check on clipped velocities";
  }

 private:
  using E = HopperEnv;
  Var<T> reward_impl(Var<T>, Var<T> a, Var<T> s_next) const override {
    Var<T> r = locomotion_reward(s_next, E::kXVelocityIndex, E::kForwardRewardWeight, this->ctrl_cost(a, E::kCtrlCostWeight));
    return add(r, scale(alive_impl(s_next), E::kHealthyReward));
  }
  // s' = [z, angle, joint angles (3), velocities (6, clipped)]
  // Healthy: every entry after z strictly inside the state bound, z above its minimum
  // (z = +inf counts as unhealthy here), the angle strictly inside its bound.
  Var<T> alive_impl(Var<T> s_next) const override {
    const int d = this->obs_dim();
    Var<T> state_ok = this->all_cols(inside(slice_cols(s_next, 1, d - 1), -E::kHealthyStateBound, E::kHealthyStateBound));
    Var<T> z_ok = this->col_inside(s_next, 0, E::kHealthyZMin, this->kInf);
    Var<T> angle_ok = this->col_inside(s_next, 1, -E::kHealthyAngleBound, E::kHealthyAngleBound);
    return mul(mul(state_ok, z_ok), angle_ok);
  }
  // The same conditions, smooth; z = +inf, unhealthy above, is the one left hard.
  Var<T> alive_probability_impl(Var<T> s_next) const override {
    const int d = this->obs_dim();
    Var<T> p = this->probability_from(
        {this->outside_penalty(s_next, 1, d - 1, -E::kHealthyStateBound, E::kHealthyStateBound,
                               E::kAliveTemperatureState),
         this->outside_penalty(s_next, 0, 1, E::kHealthyZMin, this->kInf, E::kAliveTemperatureZ),
         this->outside_penalty(s_next, 1, 1, -E::kHealthyAngleBound, E::kHealthyAngleBound, E::kAliveTemperatureAngle)});
    return mul(p, this->col_inside(s_next, 0, -this->kInf, this->kInf));
  }
};

template <class T>
class Walker2dReward final : public TapeRewardBase<T> {
 public:
  using TapeRewardBase<T>::TapeRewardBase;
  std::string_view stand_in() const override { return "forward reward: x velocity in s' instead of dx/dt over the step"; }

 private:
  using E = Walker2dEnv;
  Var<T> reward_impl(Var<T>, Var<T> a, Var<T> s_next) const override {
    Var<T> r = locomotion_reward(s_next, E::kXVelocityIndex, E::kForwardRewardWeight, this->ctrl_cost(a, E::kCtrlCostWeight));
    return add(r, scale(alive_impl(s_next), E::kHealthyReward));
  }
  // Healthy: z strictly between its bounds, the angle strictly inside its bound.
  Var<T> alive_impl(Var<T> s_next) const override {
    return mul(this->col_inside(s_next, 0, E::kHealthyZMin, E::kHealthyZMax),
               this->col_inside(s_next, 1, -E::kHealthyAngleBound, E::kHealthyAngleBound));
  }
  Var<T> alive_probability_impl(Var<T> s_next) const override {
    return this->probability_from(
        {this->outside_penalty(s_next, 0, 1, E::kHealthyZMin, E::kHealthyZMax, E::kAliveTemperatureZ),
         this->outside_penalty(s_next, 1, 1, -E::kHealthyAngleBound, E::kHealthyAngleBound, E::kAliveTemperatureAngle)});
  }
};

template <class T>
class AntReward final : public TapeRewardBase<T> {
 public:
  using TapeRewardBase<T>::TapeRewardBase;
  std::string_view stand_in() const override {
    return this->obs_dim() > E::kBaseObsDim
               ? "forward reward: torso x velocity in s' instead of dx/dt over the step"
               : "forward reward: torso x velocity in s' instead of dx/dt; contact cost taken as 0 (not observed)";
  }

 private:
  using E = AntEnv;
  Var<T> reward_impl(Var<T>, Var<T> a, Var<T> s_next) const override {
    Var<T> r = locomotion_reward(s_next, E::kXVelocityIndex, E::kForwardRewardWeight, this->ctrl_cost(a, E::kCtrlCostWeight));
    r = add(r, scale(alive_impl(s_next), E::kHealthyReward));
    if (this->obs_dim() > E::kBaseObsDim) {  // s'[27:] holds the clipped contact forces
      Var<T> forces = slice_cols(s_next, E::kBaseObsDim, E::kContactObsDim);
      r = sub(r, scale(sum_cols(square(forces)), E::kContactCostWeight));
    }
    return r;
  }
  // Healthy: the whole state finite, z within its bounds (inclusive).
  Var<T> alive_impl(Var<T> s_next) const override {
    return mul(this->finite_cols(s_next, 0, this->obs_dim()),
               this->col_inside(s_next, 0, E::kHealthyZMin, E::kHealthyZMax, /*closed=*/true));
  }
  // z smooth; finiteness stays a hard factor.
  Var<T> alive_probability_impl(Var<T> s_next) const override {
    Var<T> p = this->probability_from(
        {this->outside_penalty(s_next, 0, 1, E::kHealthyZMin, E::kHealthyZMax, E::kAliveTemperatureZ)});
    return mul(p, this->finite_cols(s_next, 0, this->obs_dim()));
  }
};

template <class T>
class InvertedPendulumReward final : public TapeRewardBase<T> {
 public:
  using TapeRewardBase<T>::TapeRewardBase;
  std::string_view stand_in() const override { return ""; }

 private:
  // The reward is the alive mask itself: a constant, so no gradient flows through it.
  Var<T> reward_impl(Var<T>, Var<T>, Var<T> s_next) const override { return alive_impl(s_next); }
  // Healthy: the state finite, |pole angle| within its bound (inclusive).
  Var<T> alive_impl(Var<T> s_next) const override {
    const double bound = InvertedPendulumEnv::kMaxPoleAngle;
    return mul(this->finite_cols(s_next, 0, 4), this->col_inside(s_next, 1, -bound, bound, /*closed=*/true));
  }
  // The angle smooth; finiteness stays a hard factor.
  Var<T> alive_probability_impl(Var<T> s_next) const override {
    const double bound = InvertedPendulumEnv::kMaxPoleAngle;
    Var<T> p = this->probability_from(
        {this->outside_penalty(s_next, 1, 1, -bound, bound, InvertedPendulumEnv::kAliveTemperatureAngle)});
    return mul(p, this->finite_cols(s_next, 0, 4));
  }
};

template <class T>
class PendulumReward final : public TapeRewardBase<T> {
 public:
  using TapeRewardBase<T>::TapeRewardBase;
  std::string_view stand_in() const override { return ""; }

 private:
  using E = PendulumEnv;
  // -(theta^2 + 0.1 theta_dot^2 + 0.001 u^2) on the state before the step; theta =
  // atan2(sin, cos) is already in (-pi, pi], so angle_normalize changes nothing squared.
  Var<T> reward_impl(Var<T> s, Var<T> a, Var<T>) const override {
    Var<T> theta = atan2(slice_cols(s, 1, 1), slice_cols(s, 0, 1));
    Var<T> cost = add(square(theta), scale(square(slice_cols(s, 2, 1)), E::kVelocityCostWeight));
    cost = add(cost, this->ctrl_cost(a, E::kTorqueCostWeight));
    return scale(cost, -1.0);
  }
};

template <class T>
class DoubleIntegratorReward final : public TapeRewardBase<T> {
 public:
  DoubleIntegratorReward(const EnvSpec& spec, const LinearQuadraticSystem& sys)
      : TapeRewardBase<T>(spec), q_(Shape{2, 2}, {T(sys.Q(0, 0)), T(sys.Q(0, 1)), T(sys.Q(1, 0)), T(sys.Q(1, 1))}),
        r_(sys.R(0, 0)) {}
  std::string_view stand_in() const override { return ""; }

 private:
  // -(s' Q s + r u^2) on the state before the step.
  Var<T> reward_impl(Var<T> s, Var<T> a, Var<T>) const override {
    Var<T> q = q_.on(*s.tape);
    Var<T> state_cost = sum_cols(mul(matmul(s, q), s));
    return scale(add(state_cost, this->ctrl_cost(a, r_)), -1.0);
  }

  FixedConstant<T> q_;
  double r_;
};

}  // namespace

template <class T> std::unique_ptr<DifferentiableReward<T>> make_differentiable_reward(const Env& env) {
  const EnvSpec& spec = env.spec();
  const std::string& n = spec.name;
  if (n == "HalfCheetah") return std::make_unique<HalfCheetahReward<T>>(spec);
  if (n == "Hopper") return std::make_unique<HopperReward<T>>(spec);
  if (n == "Walker2d") return std::make_unique<Walker2dReward<T>>(spec);
  if (n == "Ant") return std::make_unique<AntReward<T>>(spec);
  if (n == "InvertedPendulum") return std::make_unique<InvertedPendulumReward<T>>(spec);
  if (n == "Pendulum") return std::make_unique<PendulumReward<T>>(spec);
  if (n == "DoubleIntegrator")
    return std::make_unique<DoubleIntegratorReward<T>>(spec, dynamic_cast<const DoubleIntegratorEnv&>(env).system());
  throw std::invalid_argument(fmt::format("make_differentiable_reward: no tape reward for environment '{}'", n));
}

template std::unique_ptr<DifferentiableReward<float>> make_differentiable_reward<float>(const Env&);
template std::unique_ptr<DifferentiableReward<double>> make_differentiable_reward<double>(const Env&);

}  // namespace maac::envs
