// The learning tests: MAAC on InvertedPendulum reaches an evaluation return of 900
// within 10k env steps, through the same code path as every run (configs/inverted_pendulum_small.toml);
// test-time MPC (rl/mpc.hpp, the paper's settings) on that run's checkpoint keeps 1000.
#include <catch2/catch.hpp>

#include <filesystem>

#include "rl/evaluation.hpp"
#include "rl/mpc.hpp"
#include "rl/mpc_evaluation.hpp"
#include "rl/trainer.hpp"

using namespace maac::rl;

namespace {

// The small InvertedPendulum run, stopped at the first evaluation that reaches 900.
TrainResult train_small_inverted_pendulum(const std::filesystem::path& dir) {
  Config c(trainer_schema());
  c.merge_toml_file(std::string(MAAC_SOURCE_DIR) + "/configs/inverted_pendulum_small.toml");
  REQUIRE(c.integer("run.total_steps") == 10000);
  // One thread: the result and the time then do not depend on the machine's core count
  // or on other tests running beside this one (OpenMP spin-waits suffer under load).
  c.set("run.threads=1");
  std::filesystem::remove_all(dir);
  Trainer trainer(c, dir.string(), false, true);
  return trainer.run();
}

std::filesystem::path run_dir(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
}

}  // namespace

TEST_CASE("MAAC solves InvertedPendulum within 10k env steps") {
  TrainResult r = train_small_inverted_pendulum(run_dir("maac_learning_"));
  INFO("stopped at " << r.env_steps << " env steps, last eval return " << r.last_eval_return);
  REQUIRE(r.env_steps <= 10000);
  REQUIRE(r.last_eval_return >= 900.0);
  REQUIRE(r.skipped_updates == 0);
}

TEST_CASE("MPC on the checkpoint of a small InvertedPendulum run keeps 1000") {
  const std::filesystem::path dir = run_dir("maac_learning_mpc_");
  TrainResult r = train_small_inverted_pendulum(dir);
  REQUIRE(r.last_eval_return >= 900.0);
  // The checkpoint as `maac eval --mpc` loads it; the same episodes (seeds) for both.
  LoadedAgent loaded = load_agent(Trainer::checkpoint_path(dir.string()));
  TrainerOptions t = trainer_options(*loaded.config);
  const int episodes = 3;
  const uint64_t seed = 2024;
  std::vector<double> policy = evaluate_policy(*loaded.agent, t.env, t.env_options(), episodes, seed);
  MpcOptions o;  // 100 candidates, horizon 5, 5 iterations, top 10 %, momentum 0.1
  o.seed = 7;
  AgentPlanner planner(*loaded.agent, o);
  MpcEvaluation mpc = evaluate_mpc(planner.planner(), t.env, t.env_options(), episodes, seed);
  int kept = 0;
  for (int i = 0; i < episodes; ++i) {
    INFO("episode " << i << ": policy " << policy[i] << ", MPC " << mpc.returns[i] << "; planning "
                    << mpc.ms_per_action() << " ms per action");
    if (policy[i] < 1000.0) continue;  // MPC must keep what the policy holds
    CHECK(mpc.returns[i] == 1000.0);
    ++kept;
  }
  REQUIRE(kept > 0);
}
