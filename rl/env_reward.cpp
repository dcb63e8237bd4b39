#include "rl/env_reward.hpp"

namespace maac::rl {

EnvRewardModel::EnvRewardModel(const envs::Env& env) : reward_(envs::make_differentiable_reward<float>(env)) {
  const envs::EnvSpec& s = env.spec();
  for (int i = 0; i < s.act_dim; ++i) {
    half_range_.push_back(static_cast<float>(0.5 * (s.action_high[i] - s.action_low[i])));
    mid_.push_back(static_cast<float>(0.5 * (s.action_high[i] + s.action_low[i])));
  }
}

Var<float> EnvRewardModel::action_constant(Tape<float>& tape, const std::vector<float>& host,
                                           std::unique_ptr<Buffer<float>>& dev) const {
  const Shape shape{1, static_cast<int64_t>(host.size())};
  if (tape.device() == Device::cpu) return tape.constant(shape, host.data());
  if (!dev || dev->device() != tape.device()) {
    dev = std::make_unique<Buffer<float>>(shape, tape.device());
    dev->copy_from_host(host);
  }
  return tape.constant(dev->view());
}

Var<float> EnvRewardModel::reward(Tape<float>& tape, Var<float> s, Var<float> a, Var<float> s_next) const {
  Var<float> env_a = add(mul(a, action_constant(tape, half_range_, half_range_dev_)), action_constant(tape, mid_, mid_dev_));
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
