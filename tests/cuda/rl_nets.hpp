// Shared by the CUDA tests of whole updates: small networks built on the cpu from one seed
// (so a cpu and a cuda copy start from the same weights), then moved to a device; and the
// parameters read back to the host, flattened in order.
#pragma once
#include <vector>

#include "rl/critic.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/policy.hpp"

namespace maac::cuda::test {

inline std::vector<float> flatten(const std::vector<const Buffer<float>*>& buffers) {
  std::vector<float> out;
  for (const Buffer<float>* b : buffers) {
    const std::vector<float> v = b->to_host();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}
inline std::vector<float> values_of(const ParameterList<float>& ps) {
  std::vector<const Buffer<float>*> bs;
  for (const Parameter<float>* p : ps) bs.push_back(&p->value());
  return flatten(bs);
}
inline std::vector<float> grads_of(const ParameterList<float>& ps) {
  std::vector<const Buffer<float>*> bs;
  for (const Parameter<float>* p : ps) bs.push_back(&p->grad());
  return flatten(bs);
}

struct SmallNetSizes {
  int64_t obs = 4, act = 2, members = 3;
  std::vector<int64_t> model_hidden{16, 16}, policy_hidden{16, 16}, critic_hidden{16, 16};
  Unary policy_activation = rl::PolicyOptions{}.activation;
  Unary critic_activation = rl::CriticOptions{}.activation;
};

// Model, policy and critic in that order from `rng` (seeded), on the cpu.
struct SmallNets {
  Rng rng;
  rl::DynamicsModel<float> model;
  rl::SquashedGaussianPolicy<float> policy;
  rl::TwinCritic<float> critic;

  SmallNets(const SmallNetSizes& s, uint64_t seed)
      : rng(seed),
        model(s.obs, s.act, model_options(s), rng),
        policy(s.obs, s.act, policy_options(s), rng),
        critic(s.obs, s.act, critic_options(s), rng) {}
  void move_to(Device device) {
    to_device(model.parameters(), device);
    to_device(policy.parameters(), device);
    to_device(critic.parameters(), device);
    to_device(critic.target_parameters(), device);
  }

 private:
  static rl::DynamicsModelOptions model_options(const SmallNetSizes& s) {
    rl::DynamicsModelOptions o;
    o.members = s.members;
    o.hidden = s.model_hidden;
    return o;
  }
  static rl::PolicyOptions policy_options(const SmallNetSizes& s) {
    rl::PolicyOptions o;
    o.hidden = s.policy_hidden;
    o.activation = s.policy_activation;
    return o;
  }
  static rl::CriticOptions critic_options(const SmallNetSizes& s) {
    rl::CriticOptions o;
    o.hidden = s.critic_hidden;
    o.activation = s.critic_activation;
    return o;
  }
};

}  // namespace maac::cuda::test
