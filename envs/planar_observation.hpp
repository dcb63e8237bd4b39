// Observation shared by Hopper and Walker2d (Gymnasium v5): qpos[1:], then qvel clipped
// to [-clip, clip].
#pragma once
#include <algorithm>
#include <span>
#include <vector>

namespace maac::envs {

inline void planar_observation(std::span<const double> qpos, std::span<const double> qvel, double clip,
                               std::vector<double>& obs) {
  size_t k = 0;
  for (size_t i = 1; i < qpos.size(); ++i) obs[k++] = qpos[i];
  for (double v : qvel) obs[k++] = std::clamp(v, -clip, clip);
}

}  // namespace maac::envs
