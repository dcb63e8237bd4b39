#include "rl/env_reward.hpp"

namespace maac::rl {

EnvRewardModel::EnvRewardModel(const envs::Env& env) : reward_(envs::make_differentiable_reward<float>(env)) {
  const envs::EnvSpec& s = env.spec();
  std::vector<float> half_range, mid;
  for (int i = 0; i < s.act_dim; ++i) {
    half_range.push_back(static_cast<float>(0.5 * (s.action_high[i] - s.action_low[i])));
    mid.push_back(static_cast<float>(0.5 * (s.action_high[i] + s.action_low[i])));
  }
  half_range_ = FixedConstant<float>(Shape{1, s.act_dim}, std::move(half_range));
  mid_ = FixedConstant<float>(Shape{1, s.act_dim}, std::move(mid));
}

Var<float> EnvRewardModel::reward(Tape<float>& tape, Var<float> s, Var<float> a, Var<float> s_next) const {
  Var<float> env_a = add(mul(a, half_range_.on(tape)), mid_.on(tape));
  return reward_->reward(s, env_a, s_next);
}

Var<float> EnvRewardModel::alive(Tape<float>&, Var<float> s_next) const { return reward_->alive(s_next); }

Var<float> EnvRewardModel::alive_probability(Tape<float>&, Var<float> s_next) const {
  return reward_->alive_probability(s_next);
}

std::vector<double> to_env_action(const envs::EnvSpec& spec, const float* a) {
  std::vector<double> out(static_cast<size_t>(spec.act_dim));
  for (int i = 0; i < spec.act_dim; ++i)
    out[i] = 0.5 * (spec.action_high[i] + spec.action_low[i]) + 0.5 * (spec.action_high[i] - spec.action_low[i]) * a[i];
  return out;
}

}  // namespace maac::rl
