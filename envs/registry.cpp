#include "envs/registry.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "envs/analytic/double_integrator.hpp"
#include "envs/analytic/pendulum.hpp"
#include "envs/ant.hpp"
#include "envs/half_cheetah.hpp"
#include "envs/hopper.hpp"
#include "envs/inverted_pendulum.hpp"
#include "envs/walker2d.hpp"

namespace maac::envs {

const std::vector<std::string>& env_names() {
  static const std::vector<std::string> names{"HalfCheetah",      "Hopper",   "Walker2d",        "Ant",
                                              "InvertedPendulum", "Pendulum", "DoubleIntegrator"};
  return names;
}

std::unique_ptr<Env> make_env(std::string_view name, const EnvOptions& options) {
  std::string_view base = name;
  if (auto dash = base.rfind("-v"); dash != std::string_view::npos) base = base.substr(0, dash);
  if (base == "HalfCheetah") return std::make_unique<HalfCheetahEnv>(options);
  if (base == "Hopper") return std::make_unique<HopperEnv>(options);
  if (base == "Walker2d") return std::make_unique<Walker2dEnv>(options);
  if (base == "Ant") return std::make_unique<AntEnv>(options);
  if (base == "InvertedPendulum") return std::make_unique<InvertedPendulumEnv>(options);
  if (base == "Pendulum") return std::make_unique<PendulumEnv>(options);
  if (base == "DoubleIntegrator") return std::make_unique<DoubleIntegratorEnv>(DoubleIntegratorParams{}, options);
  throw std::invalid_argument(fmt::format("unknown environment '{}', expected one of: {}", name, fmt::join(env_names(), ", ")));
}

}  // namespace maac::envs
