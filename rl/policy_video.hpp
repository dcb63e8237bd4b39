// One deterministic episode of an agent's policy filmed to an MP4: the episode `maac eval`
// scores first (evaluation_episode_seed(seed, 0)), rendered offscreen by MuJoCo
// (envs/renderer) and encoded by ffmpeg (envs/video_writer). Used by `maac video` and,
// with run.eval_video, at every evaluation of a run.
#pragma once
#include <cstdint>
#include <string>

#include "envs/env.hpp"
#include "rl/agent.hpp"

namespace maac::rl {

struct PolicyVideoOptions {
  int width = 640, height = 480;  // even
  std::string camera = "track";   // an MJCF camera
  int max_steps = 0;              // stop after this many steps (0: the whole episode)
};

struct PolicyVideo {
  int steps = 0;
  double episode_return = 0.0;
  std::string ending;      // "time limit", "terminated", "unstable simulation", "--steps reached"
  int64_t frames = 0;      // steps + 1 (the reset state, then one per step)
  double fps = 0.0;        // real time: 1 / dt
  std::string renderer;    // the GL implementation that drew it
};

// Resets `env` (which must be a MuJoCo env: std::invalid_argument naming it otherwise)
// and writes `out` atomically (no file unless ffmpeg succeeds).
PolicyVideo film_policy(Agent& agent, envs::Env& env, uint64_t seed, const PolicyVideoOptions& options,
                        const std::string& out);

}  // namespace maac::rl
