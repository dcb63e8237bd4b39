#include "rl/evaluation.hpp"

#include "autodiff/safetensors.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"
#include "rl/checkpoint_file.hpp"
#include "rl/env_reward.hpp"
#include "rl/trainer_config.hpp"

namespace maac::rl {

uint64_t evaluation_episode_seed(uint64_t seed, int episode) {
  return seed * 1000003ull + 7919ull * static_cast<uint64_t>(episode) + 17;
}

std::vector<double> evaluate_policy(Agent& agent, const std::string& env_name, const envs::EnvOptions& env_options,
                                    int episodes, uint64_t seed) {
  envs::VectorEnv vec(episodes, [&](int) { return envs::make_env(env_name, env_options); }, 1);
  const envs::EnvSpec& spec = vec.env(0).spec();
  const int64_t od = spec.obs_dim, ad = spec.act_dim;
  std::vector<uint64_t> seeds;
  for (int i = 0; i < episodes; ++i) seeds.push_back(evaluation_episode_seed(seed, i));
  std::vector<double> obs = vec.reset(seeds), returns(static_cast<size_t>(episodes), 0.0);
  std::vector<float> obs_f(obs.begin(), obs.end()), a(static_cast<size_t>(episodes * ad));
  std::vector<double> actions(static_cast<size_t>(episodes * ad));
  std::vector<bool> stepped(static_cast<size_t>(episodes));
  Rng unused(0);  // the deterministic action draws no noise
  while (vec.any_running()) {
    agent.act(obs_f.data(), episodes, true, unused, a.data());
    for (int i = 0; i < episodes; ++i) {
      std::vector<double> ea = to_env_action(spec, a.data() + i * ad);
      std::copy(ea.begin(), ea.end(), actions.begin() + i * ad);
      stepped[i] = vec.running(i);
    }
    // Envs whose episode ended keep their last result and are not stepped again.
    const auto& results = vec.step(actions);
    for (int i = 0; i < episodes; ++i) {
      if (!stepped[i]) continue;
      returns[i] += results[i].reward;
      std::copy(results[i].observation.begin(), results[i].observation.end(), obs_f.begin() + i * od);
    }
  }
  return returns;
}

LoadedAgent load_agent(const std::string& path, Device device) {
  Safetensors ck = load_checkpoint_file(path);
  LoadedAgent out;
  out.config = std::make_unique<Config>(trainer_schema());
  std::string text = ck.metadata_or("config", "");
  if (text.empty()) throw std::runtime_error("'" + path + "' holds no maac run configuration");
  out.config->merge_toml(text, path);
  // Where this process evaluates, whatever device the run trained on.
  out.config->set(std::string(key::device) + "=" + device_name(device));
  TrainerOptions t = trainer_options(*out.config);
  out.env = envs::make_env(t.env, t.env_options());
  out.agent = std::make_unique<Agent>(out.env->obs_dim(), out.env->act_dim(), agent_options(*out.config),
                                      std::make_unique<EnvRewardModel>(*out.env), t.seed);
  out.agent->load(ck);
  return out;
}

}  // namespace maac::rl
