#include "app/mpc_eval.hpp"

#include <fmt/core.h>

#include "autodiff/device.hpp"
#include "rl/mpc_evaluation.hpp"

namespace maac::app {

void add_mpc_options(CLI::App& eval, MpcArgs& args) {
  CLI::Option* mpc = eval.add_flag(
      "--mpc", args.enabled,
      "Also act by test-time MPC (CEM on the checkpoint's ensemble, paper section 5.4) and compare");
  // Range checks are check_mpc_options's (its message names the value).
  eval.add_option("--mpc-candidates", args.options.candidates, "MPC: action sequences per CEM iteration")
      ->capture_default_str()
      ->needs(mpc);
  eval.add_option("--mpc-horizon", args.options.horizon, "MPC: planning horizon H")->capture_default_str()->needs(mpc);
  eval.add_option("--mpc-iterations", args.options.iterations, "MPC: CEM iterations")
      ->capture_default_str()
      ->needs(mpc);
  eval.add_option("--mpc-threads", args.threads, "MPC: CPU threads while planning")
      ->capture_default_str()
      ->check(CLI::Range(1, 256))
      ->needs(mpc);
  // Bad values are refused before the policy's evaluation runs.
  eval.parse_complete_callback([&args] {
    if (args.enabled) rl::check_mpc_options(args.options);
  });
}

void report_mpc(rl::Agent& agent, const std::string& env, const envs::EnvOptions& env_options, int episodes,
                uint64_t seed, const MpcArgs& args, const std::vector<double>& policy_returns) {
  rl::MpcOptions o = args.options;
  o.seed = seed;
  rl::AgentPlanner planner(agent, o);  // checks the options; gamma from the agent
  device::set_cpu_threads(args.threads);
  const rl::MpcOptions& used = planner.planner().options();
  rl::MpcEvaluation m = rl::evaluate_mpc(planner.planner(), env, env_options, episodes, seed);
  rl::ReturnStats ms = rl::return_stats(m.returns), ps = rl::return_stats(policy_returns);
  fmt::print("MPC ({} candidates, horizon {}, {} iterations, top {:g} %, momentum {:g}, gamma {:g}): "
             "return {:.1f} +- {:.1f} (std)\n",
             used.candidates, used.horizon, used.iterations, 100 * used.elite_fraction, used.momentum, used.gamma,
             ms.mean, ms.std);
  fmt::print("policy: return {:.1f} +- {:.1f} (std); MPC - policy {:+.1f}\n", ps.mean, ps.std, ms.mean - ps.mean);
  fmt::print("planning: {:.2f} ms per action ({:.2f} ms per step with every running episode planned together)\n",
             m.ms_per_action(), m.ms_per_plan());
  for (size_t i = 0; i < m.returns.size(); ++i)
    fmt::print("  episode {}: MPC {:.1f}, policy {:.1f}\n", i, m.returns[i], policy_returns[i]);
}

}  // namespace maac::app
