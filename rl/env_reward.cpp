#include "rl/env_reward.hpp"

namespace maac::rl {

EnvRewardModel::EnvRewardModel(const envs::Env& env) : reward_(envs::make_differentiable_reward<float>(env)) {
  const envs::EnvSpec& s = env.spec();
  for (int i = 0; i < s.act_dim; ++i) {
    half_range_.push_back(static_cast<float>(0.5 * (s.action_high[i] - s.action_low[i])));
    mid_.push_back(static_cast<float>(0.5 * (s.action_high[i] + s.action_low[i])));
  }
}

Var<float> EnvRewardModel::reward(Tape<float>& tape, Var<float> s, Var<float> a, Var<float> s_next) const {
  const int64_t act = static_cast<int64_t>(mid_.size());
  Var<float> env_a = add(mul(a, tape.constant(Shape{1, act}, half_range_.data())), tape.constant(Shape{1, act}, mid_.data()));
  return reward_->reward(s, env_a, s_next);
}

Var<float> EnvRewardModel::alive(Tape<float>&, Var<float> s_next) const { return reward_->alive(s_next); }

std::vector<double> to_env_action(const envs::EnvSpec& spec, const float* a) {
  std::vector<double> out(static_cast<size_t>(spec.act_dim));
  for (int i = 0; i < spec.act_dim; ++i)
    out[i] = 0.5 * (spec.action_high[i] + spec.action_low[i]) + 0.5 * (spec.action_high[i] - spec.action_low[i]) * a[i];
  return out;
}

}  // namespace maac::rl
