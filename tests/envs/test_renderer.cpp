// Offscreen rendering of the project's models: pictures are a function of the state
// (same state, same bytes; another state, other bytes), show the scene, and leave the
// env's simulation untouched.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "envs/mujoco_env.hpp"
#include "envs/registry.hpp"
#include "envs/renderer.hpp"
#include "env_test_helpers.hpp"

using namespace maac::envs;

namespace {

RenderOptions small_picture() {
  RenderOptions o;
  o.width = 160;
  o.height = 120;
  return o;
}

size_t distinct_colours(const std::vector<uint8_t>& rgb) {
  std::set<uint32_t> colours;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) colours.insert(rgb[i] << 16 | rgb[i + 1] << 8 | rgb[i + 2]);
  return colours.size();
}

}  // namespace

TEST_CASE("the same state renders the same picture, another state another", "[video]") {
  for (const std::string& name : test::mujoco_env_names()) {
    INFO(name);
    auto env = make_env(name);
    auto& mujoco = dynamic_cast<MujocoEnv&>(*env);
    Renderer renderer(mujoco.model(), small_picture());
    INFO("rendered by " << renderer.gl_description());
    env->reset(3);
    const std::vector<double> qpos(mujoco.qpos().begin(), mujoco.qpos().end());
    const std::vector<double> qvel(mujoco.qvel().begin(), mujoco.qvel().end());
    const std::vector<uint8_t> first = renderer.render(mujoco.data());
    REQUIRE(first.size() == 160u * 120u * 3u);
    CHECK(distinct_colours(first) > 20);  // a scene was drawn, not a cleared buffer

    // Ten steps with a large constant action move the body: another picture.
    std::vector<double> action(static_cast<size_t>(env->act_dim()));
    for (int i = 0; i < env->act_dim(); ++i) action[i] = env->spec().action_high[i];
    for (int t = 0; t < 10 && env->episode_running(); ++t) env->step(action);
    const std::vector<uint8_t> moved = renderer.render(mujoco.data());
    CHECK(moved != first);

    // Back to the first state (through set_state): byte for byte the first picture,
    // so nothing of the frames in between is carried over.
    mujoco.set_state(qpos, qvel);
    CHECK(renderer.render(mujoco.data()) == first);
    CHECK(renderer.render(mujoco.data()) == first);

    // A second renderer (another GL context) draws the same bytes.
    Renderer other(mujoco.model(), small_picture());
    CHECK(other.render(mujoco.data()) == first);
  }
}

TEST_CASE("rendering reads the state and changes nothing in the env", "[video]") {
  auto env = make_env("HalfCheetah");
  auto reference = make_env("HalfCheetah");
  auto& mujoco = dynamic_cast<MujocoEnv&>(*env);
  Renderer renderer(mujoco.model(), small_picture());
  env->reset(5);
  reference->reset(5);
  std::vector<double> action(6, 0.5);
  for (int t = 0; t < 20; ++t) {
    renderer.render(mujoco.data());
    StepResult a = env->step(action), b = reference->step(action);
    REQUIRE(a.observation == b.observation);
    REQUIRE(a.reward == b.reward);
  }
}

TEST_CASE("renderer options are checked", "[video]") {
  auto env = make_env("Hopper");
  const mjModel* model = dynamic_cast<MujocoEnv&>(*env).model();
  RenderOptions o = small_picture();
  o.camera = "nosuch";
  CHECK_THROWS_WITH(Renderer(model, o), Catch::Contains("camera 'nosuch'") && Catch::Contains("'track'"));
  o = small_picture();
  o.width = 8;
  CHECK_THROWS_WITH(Renderer(model, o), Catch::Contains("8x120"));
  o = small_picture();
  o.height = 5000;
  CHECK_THROWS_AS(Renderer(model, o), std::invalid_argument);
}
