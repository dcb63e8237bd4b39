#include "rl/policy_video.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "envs/mujoco_env.hpp"
#include "envs/renderer.hpp"
#include "envs/video_writer.hpp"
#include "rl/env_reward.hpp"
#include "rl/evaluation.hpp"

namespace maac::rl {

PolicyVideo film_policy(Agent& agent, envs::Env& env_in, uint64_t seed, const PolicyVideoOptions& o,
                        const std::string& out) {
  auto* env = dynamic_cast<envs::MujocoEnv*>(&env_in);
  if (!env)
    throw std::invalid_argument("film_policy: " + env_in.spec().name + " has no MuJoCo model to render");
  const envs::EnvSpec& spec = env->spec();
  envs::RenderOptions render_options;
  render_options.width = o.width;
  render_options.height = o.height;
  render_options.camera = o.camera;
  envs::Renderer renderer(env->model(), render_options);
  envs::VideoOptions video_options;
  video_options.width = o.width;
  video_options.height = o.height;
  video_options.fps = 1.0 / spec.dt;  // real time, as Gymnasium's render_fps
  envs::VideoWriter video(out, video_options);
  // Episode 0 of `maac eval --seed S`: the same reset and the same deterministic actions.
  std::vector<double> obs = env->reset(evaluation_episode_seed(seed, 0));
  std::vector<float> obs_f(obs.begin(), obs.end()), action(static_cast<size_t>(spec.act_dim));
  std::vector<uint8_t> frame;
  Rng unused(0);  // the deterministic action draws no noise
  renderer.render(env->data(), frame);
  video.write(frame);
  PolicyVideo r;
  r.ending = "time limit";
  envs::StepResult result;
  while (env->episode_running()) {
    if (o.max_steps > 0 && r.steps == o.max_steps) {
      r.ending = "--steps reached";
      break;
    }
    agent.act(obs_f.data(), 1, true, unused, action.data());
    env->step(to_env_action(spec, action.data()), result);
    ++r.steps;
    r.episode_return += result.reward;
    std::copy(result.observation.begin(), result.observation.end(), obs_f.begin());
    renderer.render(env->data(), frame);
    video.write(frame);
    if (result.terminated) r.ending = result.unstable ? "unstable simulation" : "terminated";
  }
  video.finish();
  r.frames = video.frames();
  r.fps = video_options.fps;
  r.renderer = renderer.gl_description();
  return r;
}

}  // namespace maac::rl
