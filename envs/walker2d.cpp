#include "envs/walker2d.hpp"

#include "envs/assets.hpp"

namespace maac::envs {

Walker2dEnv::Walker2dEnv(const EnvOptions& options)
    : PlanarWalkerEnv(make_spec("Walker2d", "Gymnasium Walker2d-v5", kObsDim, kActDim, 1000, options,
                                {"forward", "ctrl", "survive"}),
                      asset_path("walker2d.xml", options.asset_dir)) {}

bool Walker2dEnv::is_healthy() const {
  const double z = qpos()[1], angle = qpos()[2];
  return kHealthyZMin < z && z < kHealthyZMax && -kHealthyAngleBound < angle && angle < kHealthyAngleBound;
}

}  // namespace maac::envs
