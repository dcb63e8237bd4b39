#include "envs/hopper.hpp"

#include "envs/assets.hpp"

namespace maac::envs {

HopperEnv::HopperEnv(const EnvOptions& options)
    : PlanarWalkerEnv(make_spec("Hopper", "Gymnasium Hopper-v5", kObsDim, kActDim, 1000, options,
                                {"forward", "ctrl", "survive"}),
                      asset_path("hopper.xml", options.asset_dir)) {}

bool HopperEnv::is_healthy() const {
  auto q = qpos();
  auto v = qvel();
  auto inside = [](double x) { return -kHealthyStateBound < x && x < kHealthyStateBound; };
  for (size_t i = 2; i < q.size(); ++i)
    if (!inside(q[i])) return false;
  for (double x : v)
    if (!inside(x)) return false;
  const double z = q[1], angle = q[2];
  return kHealthyZMin < z && -kHealthyAngleBound < angle && angle < kHealthyAngleBound;
}

}  // namespace maac::envs
