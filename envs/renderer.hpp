// Offscreen pictures of a MuJoCo state (policy videos): MuJoCo's own renderer (mjv scene,
// mjr context) in an EglContext, seen from one of the model's cameras. As in MuJoCo, the
// model is constant and the state is passed in; the renderer draws from its own copies,
// so rendering never touches an env's simulation.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "envs/egl_context.hpp"
#include "envs/mujoco_model.hpp"

namespace maac::envs {

struct RenderOptions {
  int width = 640;             // pixels
  int height = 480;            // pixels
  std::string camera = "track";  // a camera named in the MJCF (the project's models have "track")
};

class Renderer {
 public:
  // Throws std::invalid_argument for a size outside [16, 4096] or a camera the model
  // does not name (listing those it has), std::runtime_error when no GL context can be made.
  Renderer(const mjModel* model, RenderOptions options);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // The picture of `data` (a state of the model given at construction) as RGB bytes,
  // rgb: [height, width, 3], top row first. Only qpos, qvel and what mj_forward derives
  // from them are read (the renderer recomputes kinematics on its copy).
  void render(const mjData* data, std::vector<uint8_t>& rgb);
  std::vector<uint8_t> render(const mjData* data);

  int width() const { return options_.width; }
  int height() const { return options_.height; }
  // The GL context's platform and renderer (EglContext::description).
  const std::string& gl_description() const { return gl_.description(); }

 private:
  void make_scene(int camera_id);
  void free_scene() noexcept;

  RenderOptions options_;
  EglContext gl_;
  mjModel* model_ = nullptr;  // a copy whose offscreen buffer has the requested size
  DataPtr data_;              // scratch state the scene is built from
  mjvCamera camera_;
  mjvOption scene_options_;
  mjvScene scene_;
  mjrContext context_;
  std::vector<uint8_t> bottom_up_;  // rgb as OpenGL reads it, bottom row first
};

}  // namespace maac::envs
