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
#include "rl/evaluation.hpp"
#include "rl/policy_video.hpp"

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
  if (!dynamic_cast<envs::MujocoEnv*>(loaded.env.get()))
    throw std::invalid_argument(fmt::format("'{}' trained on {}, which has no MuJoCo model to render", a.checkpoint, t.env));
  rl::PolicyVideoOptions o;
  o.width = a.width;
  o.height = a.height;
  o.camera = a.camera;
  o.max_steps = a.max_steps;
  const rl::PolicyVideo v = rl::film_policy(*loaded.agent, *loaded.env, static_cast<uint64_t>(a.seed), o, a.out);
  fmt::print("{} ({}), seed {}, deterministic policy: {} steps, return {:.1f} ({})\n", t.env,
             loaded.config->text(rl::key::algo), a.seed, v.steps, v.episode_return, v.ending);
  fmt::print("wrote {}: {} frames {}x{} at {:g} fps (H.264), rendered by {}\n", a.out, v.frames, a.width, a.height, v.fps,
             v.renderer);
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
