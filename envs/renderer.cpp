#include "envs/renderer.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace maac::envs {
namespace {

std::string camera_names(const mjModel* m) {
  std::string names;
  for (int i = 0; i < m->ncam; ++i) names += (names.empty() ? "'" : ", '") + std::string(mj_id2name(m, mjOBJ_CAMERA, i)) + "'";
  return names.empty() ? "none" : names;
}

}  // namespace

Renderer::Renderer(const mjModel* model, RenderOptions options)
    : options_(std::move(options)), data_(nullptr, mj_deleteData) {
  if (!model) throw std::invalid_argument("Renderer: null model");
  for (int size : {options_.width, options_.height})
    if (size < 16 || size > 4096)
      throw std::invalid_argument(fmt::format("render size {}x{}: expected 16 to 4096 pixels a side", options_.width, options_.height));
  int camera_id = mj_name2id(model, mjOBJ_CAMERA, options_.camera.c_str());
  if (camera_id < 0)
    throw std::invalid_argument(fmt::format("camera '{}' is not in the model (its cameras: {})", options_.camera, camera_names(model)));

  install_mujoco_hooks();  // mjr_* failures throw instead of exiting
  // Empty scene and context first: free_scene() is then safe whatever fails below.
  mjv_defaultScene(&scene_);
  mjr_defaultContext(&context_);
  model_ = mj_copyModel(nullptr, model);
  if (!model_) throw std::runtime_error("Renderer: mj_copyModel failed");
  try {
    make_scene(camera_id);
  } catch (...) {
    free_scene();
    throw;
  }
}

void Renderer::make_scene(int camera_id) {
  // The offscreen framebuffer is sized from the model; only the renderer's copy changes.
  model_->vis.global.offwidth = options_.width;
  model_->vis.global.offheight = options_.height;
  data_.reset(mj_makeData(model_));
  if (!data_) throw std::runtime_error("Renderer: mj_makeData failed");

  mjv_defaultCamera(&camera_);
  camera_.type = mjCAMERA_FIXED;
  camera_.fixedcamid = camera_id;
  mjv_defaultOption(&scene_options_);
  mjv_makeScene(model_, &scene_, 2000);
  mjr_makeContext(model_, &context_, mjFONTSCALE_100);
  mjr_setBuffer(mjFB_OFFSCREEN, &context_);
  if (context_.currentBuffer != mjFB_OFFSCREEN)
    throw std::runtime_error("Renderer: MuJoCo's offscreen framebuffer is not available in " + gl_.description());
  bottom_up_.resize(static_cast<size_t>(options_.width) * options_.height * 3);
}

// Safe on a partly made scene: the constructor's defaults make the free calls no-ops.
void Renderer::free_scene() noexcept {
  try {
    gl_.make_current();
  } catch (...) {
  }
  mjr_freeContext(&context_);
  mjv_freeScene(&scene_);
  if (model_) mj_deleteModel(model_);
  model_ = nullptr;
}

Renderer::~Renderer() { free_scene(); }

void Renderer::render(const mjData* data, std::vector<uint8_t>& rgb) {
  if (!data) throw std::invalid_argument("Renderer::render: null data");
  const size_t nq = static_cast<size_t>(model_->nq), nv = static_cast<size_t>(model_->nv);
  std::memcpy(data_->qpos, data->qpos, nq * sizeof(mjtNum));
  std::memcpy(data_->qvel, data->qvel, nv * sizeof(mjtNum));
  data_->time = data->time;
  mj_forward(model_, data_.get());

  gl_.make_current();
  mjv_updateScene(model_, data_.get(), &scene_options_, nullptr, &camera_, mjCAT_ALL, &scene_);
  const mjrRect viewport{0, 0, options_.width, options_.height};
  mjr_render(viewport, &scene_, &context_);
  mjr_readPixels(bottom_up_.data(), nullptr, viewport, &context_);

  // OpenGL's first row is the bottom one; pictures and ffmpeg's rawvideo start at the top.
  const size_t row = static_cast<size_t>(options_.width) * 3;
  rgb.resize(bottom_up_.size());
  for (int y = 0; y < options_.height; ++y)
    std::copy_n(bottom_up_.data() + static_cast<size_t>(options_.height - 1 - y) * row, row, rgb.data() + y * row);
}

std::vector<uint8_t> Renderer::render(const mjData* data) {
  std::vector<uint8_t> rgb;
  render(data, rgb);
  return rgb;
}

}  // namespace maac::envs
