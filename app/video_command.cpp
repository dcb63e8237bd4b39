// `maac video`: one deterministic episode of a checkpoint's policy, rendered offscreen
// by MuJoCo (envs/renderer) and encoded to H.264 MP4 by ffmpeg (envs/video_writer).
#include <fmt/core.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "envs/mujoco_env.hpp"
#include "envs/renderer.hpp"
#include "envs/video_writer.hpp"
#include "rl/env_reward.hpp"
#include "rl/evaluation.hpp"

namespace maac::app {
namespace {

struct VideoArgs {
  std::string checkpoint, out, camera = "track";
  int64_t seed = 12345;
  int width = 640, height = 480, max_steps = 0;
};

void run_video(const VideoArgs& a) {
  rl::LoadedAgent loaded = rl::load_agent(a.checkpoint);
  rl::TrainerOptions t = rl::trainer_options(*loaded.config);
  auto* env = dynamic_cast<envs::MujocoEnv*>(loaded.env.get());
  if (!env) throw std::invalid_argument(fmt::format("'{}' trained on {}, which has no MuJoCo model to render", a.checkpoint, t.env));
  const envs::EnvSpec& spec = env->spec();

  envs::RenderOptions render_options;
  render_options.width = a.width;
  render_options.height = a.height;
  render_options.camera = a.camera;
  envs::Renderer renderer(env->model(), render_options);
  envs::VideoOptions video_options;
  video_options.width = a.width;
  video_options.height = a.height;
  video_options.fps = 1.0 / spec.dt;  // real time, as Gymnasium's render_fps
  envs::VideoWriter video(a.out, video_options);

  // Episode 0 of `maac eval --seed S`: the same reset and the same deterministic actions.
  std::vector<double> obs = env->reset(rl::evaluation_episode_seed(static_cast<uint64_t>(a.seed), 0));
  std::vector<float> obs_f(obs.begin(), obs.end()), action(static_cast<size_t>(spec.act_dim));
  std::vector<uint8_t> frame;
  Rng unused(0);  // the deterministic action draws no noise
  renderer.render(env->data(), frame);
  video.write(frame);
  double episode_return = 0.0;
  int steps = 0;
  std::string ending = "time limit";
  envs::StepResult result;
  while (env->episode_running()) {
    if (a.max_steps > 0 && steps == a.max_steps) {
      ending = "--steps reached";
      break;
    }
    loaded.agent->act(obs_f.data(), 1, true, unused, action.data());
    env->step(rl::to_env_action(spec, action.data()), result);
    ++steps;
    episode_return += result.reward;
    std::copy(result.observation.begin(), result.observation.end(), obs_f.begin());
    renderer.render(env->data(), frame);
    video.write(frame);
    if (result.terminated) ending = result.unstable ? "unstable simulation" : "terminated";
  }
  video.finish();
  fmt::print("{} ({}), seed {}, deterministic policy: {} steps, return {:.1f} ({})\n", t.env, loaded.config->text(rl::key::algo),
             a.seed, steps, episode_return, ending);
  fmt::print("wrote {}: {} frames {}x{} at {:g} fps (H.264), rendered by {}\n", a.out, video.frames(), a.width, a.height,
             video_options.fps, renderer.gl_description());
}

}  // namespace

void add_video_command(CLI::App& app) {
  auto a = std::make_shared<VideoArgs>();
  auto* video = app.add_subcommand("video", "Render one deterministic episode of a checkpoint's policy to an MP4");
  video->add_option("--checkpoint", a->checkpoint, "checkpoint.safetensors of a run")->required()->check(CLI::ExistingFile);
  video->add_option("--out", a->out, "MP4 file to write")->required();
  video->add_option("--seed", a->seed, "Seed of the episode (episode 0 of maac eval --seed)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 62));
  video->add_option("--width", a->width, "Width in pixels (even)")->capture_default_str()->check(CLI::Range(16, 4096));
  video->add_option("--height", a->height, "Height in pixels (even)")->capture_default_str()->check(CLI::Range(16, 4096));
  video->add_option("--camera", a->camera, "MJCF camera to film from")->capture_default_str();
  video->add_option("--steps", a->max_steps, "Stop after this many steps (default: the whole episode)")
      ->check(CLI::Range(1, 1000000));
  video->callback([a] { run_video(*a); });
}

}  // namespace maac::app
