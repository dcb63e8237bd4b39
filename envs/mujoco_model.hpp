// Loading MuJoCo models, and MuJoCo's process-wide error and warning hooks.
#pragma once
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <mujoco/mujoco.h>

namespace maac::envs {

// A fatal MuJoCo error (mju_error), thrown from the hook instead of exit().
struct MujocoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A model file that is missing or that MuJoCo rejects; the message names the file and
// carries MuJoCo's own error text.
struct ModelLoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Installs (once per process) hooks that make mju_error throw MujocoError and route
// mju_warning to spdlog. MuJoCo calls the error hook where the C code would otherwise
// exit(); the C++ exception unwinds through MuJoCo's C frames, which Debian's libmujoco
// is built with unwind tables for (the same approach as most C++ wrappers). After such
// an exception the mjData in use may be inconsistent: envs end the episode.
void install_mujoco_hooks();

using ModelPtr = std::shared_ptr<const mjModel>;
using DataPtr = std::unique_ptr<mjData, void (*)(mjData*)>;

// Compiles an MJCF file; throws ModelLoadError naming `xml` and MuJoCo's message.
ModelPtr load_model(const std::filesystem::path& xml);
DataPtr make_data(const mjModel* m);

}  // namespace maac::envs
