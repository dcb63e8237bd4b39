// Plugs an environment's differentiable reward and termination (envs/) into the
// RewardModel interface of model rollouts, mapping policy actions in (-1, 1) to the
// env's action bounds first.
#pragma once
#include <memory>

#include "autodiff/fixed_constant.hpp"
#include "envs/differentiable_rewards.hpp"
#include "envs/env.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl {

class EnvRewardModel : public RewardModel<float> {
 public:
  explicit EnvRewardModel(const envs::Env& env);
  Var<float> reward(Tape<float>& tape, Var<float> s, Var<float> a, Var<float> s_next) const override;
  Var<float> alive(Tape<float>& tape, Var<float> s_next) const override;
  Var<float> alive_probability(Tape<float>& tape, Var<float> s_next) const override;
  // Every env's tape reward, masks and probabilities are tape ops (envs/).
  bool capturable() const override { return reward_->capturable(); }

 private:
  std::unique_ptr<envs::DifferentiableReward<float>> reward_;
  FixedConstant<float> half_range_, mid_;  // [1, act]: env action = mid + half_range * policy action
};

// The env's reward and termination on env actions as they are (no mapping): for a
// policy whose actions are already in env units, such as the linear-Gaussian policy.
template <class T>
class EnvActionRewardModel : public RewardModel<T> {
 public:
  explicit EnvActionRewardModel(const envs::Env& env) : reward_(envs::make_differentiable_reward<T>(env)) {}
  Var<T> reward(Tape<T>&, Var<T> s, Var<T> a, Var<T> s_next) const override { return reward_->reward(s, a, s_next); }
  Var<T> alive(Tape<T>&, Var<T> s_next) const override { return reward_->alive(s_next); }
  Var<T> alive_probability(Tape<T>&, Var<T> s_next) const override { return reward_->alive_probability(s_next); }
  bool capturable() const override { return reward_->capturable(); }

 private:
  std::unique_ptr<envs::DifferentiableReward<T>> reward_;
};

// Policy action in (-1, 1) -> env action in [low, high], per dimension.
std::vector<double> to_env_action(const envs::EnvSpec& spec, const float* policy_action);

}  // namespace maac::rl
