// Evaluation with test-time MPC (rl/mpc.hpp) on fresh environment instances with fixed
// seeds, as evaluate_policy (rl/evaluation.hpp) does for the deterministic policy: the
// same seeds give the same initial states, so the two compare episode by episode.
#pragma once
#include <string>
#include <vector>

#include "envs/env.hpp"
#include "rl/mpc.hpp"

namespace maac::rl {

struct MpcEvaluation {
  std::vector<double> returns;  // per episode
  int64_t plans = 0;            // plan() calls (each plans every running episode at once)
  int64_t actions = 0;          // actions planned (sum over calls of the episodes running)
  double plan_seconds = 0.0;    // wall time inside plan()
  double ms_per_plan() const { return plans ? 1e3 * plan_seconds / static_cast<double>(plans) : 0.0; }
  double ms_per_action() const { return actions ? 1e3 * plan_seconds / static_cast<double>(actions) : 0.0; }
};

// `episodes` episodes stepped together, every running one planned in one plan() call per
// step; seeds derive from `seed` exactly as evaluate_policy's.
MpcEvaluation evaluate_mpc(MpcPlanner& planner, const std::string& env_name, const envs::EnvOptions& env_options,
                           int episodes, uint64_t seed);

// Mean and population standard deviation of returns.
struct ReturnStats {
  double mean = 0.0, std = 0.0;
};
ReturnStats return_stats(const std::vector<double>& returns);

}  // namespace maac::rl
