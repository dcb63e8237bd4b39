// Environments by name, for the command line and the RL layer.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "envs/env.hpp"

namespace maac::envs {

// "HalfCheetah", "Hopper", "Walker2d", "Ant", "InvertedPendulum", "Pendulum",
// "DoubleIntegrator".
const std::vector<std::string>& env_names();

// Makes an env by name (case-sensitive; a Gymnasium version suffix such as "-v5" is
// accepted). Throws std::invalid_argument listing the known names.
std::unique_ptr<Env> make_env(std::string_view name, const EnvOptions& options = {});

}  // namespace maac::envs
