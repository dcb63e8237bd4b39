// The learning test: MAAC on InvertedPendulum reaches an evaluation return of 900
// within 10k env steps, through the same code path as every run (configs/inverted_pendulum_small.toml).
#include <catch2/catch.hpp>

#include <filesystem>

#include "rl/trainer.hpp"

using namespace maac::rl;

TEST_CASE("MAAC solves InvertedPendulum within 10k env steps") {
  Config c(trainer_schema());
  c.merge_toml_file(std::string(MAAC_SOURCE_DIR) + "/configs/inverted_pendulum_small.toml");
  REQUIRE(c.integer("run.total_steps") == 10000);
  // One thread: the result and the time then do not depend on the machine's core count
  // or on other tests running beside this one (OpenMP spin-waits suffer under load).
  c.set("run.threads=1");
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("maac_learning_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Trainer trainer(c, dir.string(), false, true);
  TrainResult r = trainer.run();
  INFO("stopped at " << r.env_steps << " env steps, last eval return " << r.last_eval_return);
  REQUIRE(r.env_steps <= 10000);
  REQUIRE(r.last_eval_return >= 900.0);
  REQUIRE(r.skipped_updates == 0);
}
