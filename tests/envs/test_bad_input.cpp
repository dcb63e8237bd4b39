// Bad input: model files, MuJoCo's fatal errors, unstable simulations, bad actions.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <limits>
#include <vector>

#include "envs/assets.hpp"
#include "envs/half_cheetah.hpp"
#include "envs/hopper.hpp"
#include "envs/mujoco_model.hpp"
#include "envs/registry.hpp"

#include "tests/envs/env_test_helpers.hpp"

using namespace maac::envs;
namespace fs = std::filesystem;

namespace {

// A fresh temp folder holding `file` with `content`.
fs::path temp_asset_dir(const std::string& tag, const std::string& file, const std::string& content) {
  fs::path dir = fs::temp_directory_path() / ("maac_env_test_" + tag + "_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / file) << content;
  return dir;
}

}  // namespace

TEST_CASE("a missing model file raises an error naming the file", "[env]") {
  fs::path dir = fs::temp_directory_path() / "maac_no_such_dir";
  CHECK_THROWS_AS(HalfCheetahEnv(test::with_asset_dir(dir)), ModelLoadError);
  CHECK_THROWS_WITH(HalfCheetahEnv(test::with_asset_dir(dir)),
                    Catch::Contains((dir / "half_cheetah.xml").string()) && Catch::Contains("no such file"));
}

TEST_CASE("a malformed model file raises an error naming the file and MuJoCo's message", "[env]") {
  SECTION("not XML") {
    fs::path dir = temp_asset_dir("garbage", "half_cheetah.xml", "<mujoco><worldbody><body></mujoco>");
    CHECK_THROWS_WITH(HalfCheetahEnv(test::with_asset_dir(dir)),
                      Catch::Contains((dir / "half_cheetah.xml").string()) && Catch::Contains("XML parse error"));
    fs::remove_all(dir);
  }
  SECTION("valid XML, invalid MJCF") {
    fs::path dir = temp_asset_dir("badattr", "hopper.xml",
                                  "<mujoco><worldbody><geom type=\"sphere\" size=\"-1\" bogus=\"1\"/></worldbody></mujoco>");
    CHECK_THROWS_WITH(HopperEnv(test::with_asset_dir(dir)),
                      Catch::Contains((dir / "hopper.xml").string()) && Catch::Contains("bogus"));
    fs::remove_all(dir);
  }
  SECTION("a model with the wrong number of actuators") {
    fs::path dir = temp_asset_dir("noact", "hopper.xml",
                                  "<mujoco><worldbody><body><joint type=\"hinge\"/><geom size=\"0.1\"/></body>"
                                  "</worldbody></mujoco>");
    CHECK_THROWS_WITH(HopperEnv(test::with_asset_dir(dir)), Catch::Contains("0 actuators") && Catch::Contains("3"));
    fs::remove_all(dir);
  }
}

TEST_CASE("MuJoCo's fatal errors throw instead of exiting the process", "[env]") {
  install_mujoco_hooks();
  CHECK_THROWS_AS(mju_error("raised by the test"), MujocoError);
  CHECK_THROWS_WITH(mju_error_i("raised by the test with %d", 42), Catch::Contains("42"));
  // A too-small stack: MuJoCo runs out of memory inside the simulation (mju_error deep
  // in its C code); the env throws, ends the episode, and the process goes on.
  std::ifstream in(asset_path("half_cheetah.xml"));
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = xml.find("nstack=\"300000\"");
  REQUIRE(pos != std::string::npos);
  xml.replace(pos, 15, "nstack=\"200\"");
  fs::path dir = temp_asset_dir("stack", "half_cheetah.xml", xml);
  HalfCheetahEnv env(test::with_asset_dir(dir));
  bool threw = false;
  try {
    env.reset(0);
    std::vector<double> a(6, 0.5);
    for (int t = 0; t < 50; ++t) env.step(a);
  } catch (const MujocoError& e) {
    threw = true;
    CHECK_THAT(e.what(), Catch::Contains("MuJoCo error"));
  }
  CHECK(threw);
  CHECK_FALSE(env.episode_running());
  fs::remove_all(dir);
}

TEST_CASE("an unstable simulation ends the episode as terminated and flagged", "[env]") {
  for (const char* name : {"HalfCheetah", "Hopper", "Walker2d", "Ant", "InvertedPendulum"}) {
    INFO(name);
    auto env = make_env(name);
    auto& mj = dynamic_cast<MujocoEnv&>(*env);
    SECTION(std::string("non-finite velocity: ") + name) {
      env->reset(0);
      std::vector<double> qpos(mj.qpos().begin(), mj.qpos().end());
      std::vector<double> qvel(mj.qvel().size(), 0.0);
      qvel[0] = std::numeric_limits<double>::quiet_NaN();
      mj.set_state(qpos, qvel);
      auto r = env->step(std::vector<double>(static_cast<size_t>(env->act_dim()), 0.0));
      CHECK(r.unstable);
      CHECK(r.terminated);
      CHECK_FALSE(r.truncated);
      CHECK_FALSE(env->episode_running());
      CHECK_NOTHROW(env->reset(1));  // a new episode works
      CHECK(std::isfinite(env->step(std::vector<double>(static_cast<size_t>(env->act_dim()), 0.0)).reward));
    }
    SECTION(std::string("diverging velocity: ") + name) {
      env->reset(0);
      std::vector<double> qpos(mj.qpos().begin(), mj.qpos().end());
      std::vector<double> qvel(mj.qvel().size(), 1e12);  // beyond MuJoCo's mjMAXVAL
      mj.set_state(qpos, qvel);
      auto r = env->step(std::vector<double>(static_cast<size_t>(env->act_dim()), 0.0));
      CHECK(r.unstable);
      CHECK(r.terminated);
    }
  }
}

TEST_CASE("a wrong-sized or non-finite action throws invalid_argument naming it", "[env]") {
  for (const auto& name : env_names()) {
    INFO(name);
    auto env = make_env(name);
    env->reset(0);
    const int n = env->act_dim();
    std::vector<double> too_long(static_cast<size_t>(n + 1), 0.0);
    CHECK_THROWS_AS(env->step(too_long), std::invalid_argument);
    CHECK_THROWS_WITH(env->step(too_long),
                      Catch::Contains(std::to_string(n + 1) + " values") && Catch::Contains("expected " + std::to_string(n)));
    CHECK_THROWS_AS(env->step(std::vector<double>{}), std::invalid_argument);
    std::vector<double> nan(static_cast<size_t>(n), 0.0);
    nan[static_cast<size_t>(n - 1)] = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(env->step(nan), Catch::Contains("action[" + std::to_string(n - 1) + "] = nan") &&
                                          Catch::Contains("size " + std::to_string(n)));
    std::vector<double> inf(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
    CHECK_THROWS_AS(env->step(inf), std::invalid_argument);
    // The episode is still usable after a rejected action.
    CHECK_NOTHROW(env->step(std::vector<double>(static_cast<size_t>(n), 0.0)));
  }
  auto fresh = make_env("Pendulum");
  CHECK_THROWS_AS(fresh->step(std::vector<double>{0.0}), std::logic_error);  // before reset
}
