// `maac eval --mpc`: the --mpc-* options and the MPC part of the report (test-time CEM,
// rl/mpc.hpp; docs/experiments.md).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "envs/env.hpp"
#include "rl/agent.hpp"
#include "rl/mpc.hpp"

namespace maac::app {

struct MpcArgs {
  bool enabled = false;
  rl::MpcOptions options;  // the paper's settings by default
  // CPU threads while planning. 1 by default: a plan's GEMMs are small (hundreds of rows),
  // and on 2 cores the threaded GEMMs' spin-waits made InvertedPendulum planning ~24x slower (11.6 vs 279 ms a step).
  int threads = 1;
};
// Adds --mpc, --mpc-candidates, --mpc-horizon, --mpc-iterations, --mpc-threads to `eval`.
void add_mpc_options(CLI::App& eval, MpcArgs& args);
// Evaluates MPC on the episodes evaluate_policy saw (same seeds) and prints its return
// beside the policy's `policy_returns`, per episode too, and the planning time per action.
void report_mpc(rl::Agent& agent, const std::string& env, const envs::EnvOptions& env_options, int episodes,
                uint64_t seed, const MpcArgs& args, const std::vector<double>& policy_returns);

}  // namespace maac::app
