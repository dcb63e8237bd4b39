#include "envs/mujoco_model.hpp"

#include <array>
#include <mutex>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace maac::envs {
namespace {

void throw_on_mujoco_error(const char* msg) { throw MujocoError(std::string("MuJoCo error: ") + msg); }

void log_mujoco_warning(const char* msg) { spdlog::warn("MuJoCo warning: {}", msg); }

}  // namespace

void install_mujoco_hooks() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_error = &throw_on_mujoco_error;
    mju_user_warning = &log_mujoco_warning;
  });
}

ModelPtr load_model(const std::filesystem::path& xml) {
  install_mujoco_hooks();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(xml, ec))
    throw ModelLoadError(fmt::format("cannot load MuJoCo model '{}': no such file (expected an MJCF file; set "
                                     "--assets or MAAC_ENVS_ASSET_DIR to the folder holding it)",
                                     xml.string()));
  std::array<char, 1024> error{};
  mjModel* m = nullptr;
  try {
    m = mj_loadXML(xml.c_str(), nullptr, error.data(), static_cast<int>(error.size()));
  } catch (const MujocoError& e) {
    throw ModelLoadError(fmt::format("cannot load MuJoCo model '{}': {}", xml.string(), e.what()));
  }
  if (!m) throw ModelLoadError(fmt::format("cannot load MuJoCo model '{}': {}", xml.string(), error.data()));
  return ModelPtr(m, [](const mjModel* p) { mj_deleteModel(const_cast<mjModel*>(p)); });
}

DataPtr make_data(const mjModel* m) {
  install_mujoco_hooks();
  mjData* d = mj_makeData(m);
  if (!d) throw MujocoError("mj_makeData returned null (out of memory?)");
  return DataPtr(d, &mj_deleteData);
}

}  // namespace maac::envs
