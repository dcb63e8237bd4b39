// The vector of envs: parallel stepping gives exactly the serial results.
#include <catch2/catch.hpp>

#include <vector>

#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

using namespace maac::envs;

TEST_CASE("VectorEnv: stepping in 2 threads equals stepping serially", "[env]") {
  for (const char* name : {"Hopper", "Pendulum"}) {
    INFO(name);
    const int n = 5;
    auto factory = [&](int) { return make_env(name); };
    VectorEnv parallel(n, factory, 2);
    VectorEnv serial(n, factory, 1);
    REQUIRE(parallel.threads() == 2);
    std::vector<uint64_t> seeds{1, 2, 3, 4, 5};
    REQUIRE(parallel.reset(seeds) == serial.reset(seeds));
    Rng rng(8);
    const int act = parallel.env(0).act_dim();
    int steps = 0;
    while (parallel.any_running() && steps < 300) {
      std::vector<double> actions(static_cast<size_t>(n * act));
      for (double& a : actions) a = rng.uniform(-1, 1);
      const auto& rp = parallel.step(actions);
      const auto& rs = serial.step(actions);
      for (int i = 0; i < n; ++i) {
        REQUIRE(parallel.running(i) == serial.running(i));
        REQUIRE(rp[i].observation == rs[i].observation);
        REQUIRE(rp[i].reward == rs[i].reward);
        REQUIRE(rp[i].terminated == rs[i].terminated);
        REQUIRE(rp[i].truncated == rs[i].truncated);
      }
      ++steps;
    }
    // Envs whose episode ended are skipped and keep their result.
    CHECK(steps > 0);
  }
}

TEST_CASE("VectorEnv: bad sizes throw", "[env]") {
  VectorEnv v(3, [](int) { return make_env("Pendulum"); }, 2);
  CHECK_THROWS_AS(v.reset(std::vector<uint64_t>{1, 2}), std::invalid_argument);
  v.reset(std::vector<uint64_t>{1, 2, 3});
  CHECK_THROWS_WITH(v.step(std::vector<double>(4, 0.0)), Catch::Contains("expected 3"));
  // An env's own error (a NaN action) comes back out of the parallel region.
  std::vector<double> a{0.0, std::nan(""), 0.0};
  CHECK_THROWS_AS(v.step(a), std::invalid_argument);
  std::vector<std::unique_ptr<Env>> mixed;
  mixed.push_back(make_env("Pendulum"));
  mixed.push_back(make_env("Hopper"));
  CHECK_THROWS_AS(VectorEnv(std::move(mixed)), std::invalid_argument);
}
