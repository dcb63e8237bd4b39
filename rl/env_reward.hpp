// Plugs an environment's differentiable reward and termination (envs/) into the
// RewardModel interface of model rollouts, mapping policy actions in (-1, 1) to the
// env's action bounds first.
#pragma once
#include <memory>

#include "envs/differentiable_rewards.hpp"
#include "envs/env.hpp"
#include "rl/reward_model.hpp"

namespace maac::rl {

class EnvRewardModel : public RewardModel<float> {
 public:
  explicit EnvRewardModel(const envs::Env& env);
  Var<float> reward(Tape<float>& tape, Var<float> s, Var<float> a, Var<float> s_next) const override;
  Var<float> alive(Tape<float>& tape, Var<float> s_next) const override;
  // Envs whose tape reward reads nothing on the host (no termination check): HalfCheetah.
  bool capturable() const override { return reward_->capturable(); }

 private:
  // The action map as tape constants: uploaded from the host on a cpu tape, copied from a
  // device copy made once on a cuda tape (so a CUDA graph can capture it).
  Var<float> action_constant(Tape<float>& tape, const std::vector<float>& host, std::unique_ptr<Buffer<float>>& dev) const;

  std::unique_ptr<envs::DifferentiableReward<float>> reward_;
  std::vector<float> half_range_, mid_;  // env action = mid + half_range * policy action
  mutable std::unique_ptr<Buffer<float>> half_range_dev_, mid_dev_;
};

// Policy action in (-1, 1) -> env action in [low, high], per dimension.
std::vector<double> to_env_action(const envs::EnvSpec& spec, const float* policy_action);

}  // namespace maac::rl
