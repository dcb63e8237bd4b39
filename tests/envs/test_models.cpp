// The project's MJCF files against Gymnasium's reference models: compiled with MuJoCo,
// every physical quantity must agree, and so must a short simulation.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "envs/assets.hpp"
#include "envs/registry.hpp"
#include "envs/mujoco_model.hpp"
#include "envs/rng.hpp"
#include "env_test_helpers.hpp"

using namespace maac::envs;
namespace fs = std::filesystem;

namespace {

fs::path reference_dir() {
  if (const char* env = std::getenv("MAAC_REFERENCE_ASSET_DIR"); env && *env) return env;
  return MAAC_REFERENCE_ASSET_DIR;
}

void compare_array(const char* what, const double* ours, const double* ref, int n) {
  for (int i = 0; i < n; ++i) {
    INFO(what << "[" << i << "]: ours " << ours[i] << ", reference " << ref[i]);
    REQUIRE(std::abs(ours[i] - ref[i]) <= 1e-9 + 1e-9 * std::abs(ref[i]));
  }
}

template <class I>
void compare_ints(const char* what, const I* ours, const I* ref, int n) {
  for (int i = 0; i < n; ++i) {
    INFO(what << "[" << i << "]");
    REQUIRE(ours[i] == ref[i]);
  }
}

void compare_models(const mjModel* a, const mjModel* b) {
  REQUIRE(a->nq == b->nq);
  REQUIRE(a->nv == b->nv);
  REQUIRE(a->nu == b->nu);
  REQUIRE(a->nbody == b->nbody);
  REQUIRE(a->njnt == b->njnt);
  REQUIRE(a->ngeom == b->ngeom);
  CHECK(a->opt.timestep == b->opt.timestep);
  CHECK(a->opt.integrator == b->opt.integrator);
  compare_array("gravity", a->opt.gravity, b->opt.gravity, 3);
  CHECK(a->nstack == b->nstack);
  compare_array("qpos0", a->qpos0, b->qpos0, a->nq);
  // bodies
  compare_ints("body_parentid", a->body_parentid, b->body_parentid, a->nbody);
  compare_array("body_mass", a->body_mass, b->body_mass, a->nbody);
  compare_array("body_inertia", a->body_inertia, b->body_inertia, 3 * a->nbody);
  compare_array("body_pos", a->body_pos, b->body_pos, 3 * a->nbody);
  compare_array("body_quat", a->body_quat, b->body_quat, 4 * a->nbody);
  compare_array("body_ipos", a->body_ipos, b->body_ipos, 3 * a->nbody);
  compare_array("body_iquat", a->body_iquat, b->body_iquat, 4 * a->nbody);
  // joints and dofs
  compare_ints("jnt_type", a->jnt_type, b->jnt_type, a->njnt);
  compare_ints("jnt_bodyid", a->jnt_bodyid, b->jnt_bodyid, a->njnt);
  compare_ints("jnt_limited", a->jnt_limited, b->jnt_limited, a->njnt);
  compare_array("jnt_range", a->jnt_range, b->jnt_range, 2 * a->njnt);
  compare_array("jnt_pos", a->jnt_pos, b->jnt_pos, 3 * a->njnt);
  compare_array("jnt_axis", a->jnt_axis, b->jnt_axis, 3 * a->njnt);
  compare_array("jnt_stiffness", a->jnt_stiffness, b->jnt_stiffness, a->njnt);
  compare_array("jnt_margin", a->jnt_margin, b->jnt_margin, a->njnt);
  compare_array("jnt_solref", a->jnt_solref, b->jnt_solref, mjNREF * a->njnt);
  compare_array("jnt_solimp", a->jnt_solimp, b->jnt_solimp, mjNIMP * a->njnt);
  compare_array("dof_damping", a->dof_damping, b->dof_damping, a->nv);
  compare_array("dof_armature", a->dof_armature, b->dof_armature, a->nv);
  compare_array("dof_frictionloss", a->dof_frictionloss, b->dof_frictionloss, a->nv);
  // geoms
  compare_ints("geom_type", a->geom_type, b->geom_type, a->ngeom);
  compare_ints("geom_bodyid", a->geom_bodyid, b->geom_bodyid, a->ngeom);
  compare_ints("geom_contype", a->geom_contype, b->geom_contype, a->ngeom);
  compare_ints("geom_conaffinity", a->geom_conaffinity, b->geom_conaffinity, a->ngeom);
  compare_ints("geom_condim", a->geom_condim, b->geom_condim, a->ngeom);
  compare_array("geom_size", a->geom_size, b->geom_size, 3 * a->ngeom);
  compare_array("geom_pos", a->geom_pos, b->geom_pos, 3 * a->ngeom);
  compare_array("geom_quat", a->geom_quat, b->geom_quat, 4 * a->ngeom);
  compare_array("geom_friction", a->geom_friction, b->geom_friction, 3 * a->ngeom);
  compare_array("geom_solref", a->geom_solref, b->geom_solref, mjNREF * a->ngeom);
  compare_array("geom_solimp", a->geom_solimp, b->geom_solimp, mjNIMP * a->ngeom);
  compare_array("geom_margin", a->geom_margin, b->geom_margin, a->ngeom);
  compare_array("geom_gap", a->geom_gap, b->geom_gap, a->ngeom);
  // actuators
  compare_ints("actuator_trnid", a->actuator_trnid, b->actuator_trnid, 2 * a->nu);
  compare_ints("actuator_ctrllimited", a->actuator_ctrllimited, b->actuator_ctrllimited, a->nu);
  compare_array("actuator_gear", a->actuator_gear, b->actuator_gear, 6 * a->nu);
  compare_array("actuator_ctrlrange", a->actuator_ctrlrange, b->actuator_ctrlrange, 2 * a->nu);
  compare_array("actuator_gainprm", a->actuator_gainprm, b->actuator_gainprm, mjNGAIN * a->nu);
  compare_array("actuator_biasprm", a->actuator_biasprm, b->actuator_biasprm, mjNBIAS * a->nu);
}

// 200 mj_steps of the same random controls from the same perturbed state.
void compare_simulation(const mjModel* a, const mjModel* b) {
  DataPtr da = make_data(a), db = make_data(b);
  Rng rng(11);
  for (int i = 0; i < a->nq; ++i) da->qpos[i] = db->qpos[i] = a->qpos0[i] + rng.uniform(-0.05, 0.05);
  for (int t = 0; t < 200; ++t) {
    for (int i = 0; i < a->nu; ++i) da->ctrl[i] = db->ctrl[i] = rng.uniform(-1, 1);
    mj_step(a, da.get());
    mj_step(b, db.get());
  }
  compare_array("qpos after 200 steps", da->qpos, db->qpos, a->nq);
  compare_array("qvel after 200 steps", da->qvel, db->qvel, a->nv);
}

}  // namespace

TEST_CASE("each model file reproduces the reference model", "[env]") {
  const fs::path ref = reference_dir();
  if (!fs::is_directory(ref)) {
    WARN("reference models not found at " << ref.string() << " (set MAAC_REFERENCE_ASSET_DIR); comparison skipped");
    return;
  }
  const std::pair<const char*, const char*> pairs[] = {{"half_cheetah.xml", "half_cheetah.xml"},
                                                       {"hopper.xml", "hopper.xml"},
                                                       {"walker2d.xml", "walker2d_v5.xml"},
                                                       {"ant.xml", "ant.xml"},
                                                       {"inverted_pendulum.xml", "inverted_pendulum.xml"}};
  for (auto [ours, theirs] : pairs) {
    if (!fs::is_regular_file(ref / theirs)) {
      WARN("reference model " << (ref / theirs).string() << " missing; skipped");
      continue;
    }
    INFO("ours " << ours << " vs reference " << theirs);
    ModelPtr a = load_model(asset_path(ours));
    ModelPtr b = load_model(ref / theirs);
    compare_models(a.get(), b.get());
    compare_simulation(a.get(), b.get());
  }
}

namespace {

// The MJCF text without what only pictures use: cameras, lights, textures, materials
// (elements and material="..." references) and an <asset> block left empty.
std::string without_visual_elements(std::string xml) {
  for (const char* pattern : {R"(<camera\b[^>]*/>)", R"(<light\b[^>]*/>)", R"(<texture\b[^>]*/>)", R"(<material\b[^>]*/>)",
                              R"(\s+material="[^"]*")", R"(<asset>\s*</asset>)"})
    xml = std::regex_replace(xml, std::regex(pattern), "");
  return xml;
}

}  // namespace

TEST_CASE("the models' cameras, lights and floor textures change no physics", "[env]") {
  const fs::path stripped_dir = fs::temp_directory_path() / ("maac_test_models_without_visuals_" + std::to_string(getpid()));
  fs::create_directories(stripped_dir);
  const std::pair<const char*, const char*> models[] = {{"HalfCheetah", "half_cheetah.xml"},
                                                        {"Hopper", "hopper.xml"},
                                                        {"Walker2d", "walker2d.xml"},
                                                        {"Ant", "ant.xml"},
                                                        {"InvertedPendulum", "inverted_pendulum.xml"}};
  for (auto [env_name, file] : models) {
    INFO(env_name << " (" << file << ")");
    std::ifstream in(asset_path(file));
    std::stringstream text;
    text << in.rdbuf();
    const std::string stripped = without_visual_elements(text.str());
    REQUIRE(stripped != text.str());  // the model has visual elements to take out
    REQUIRE(stripped.find("<camera") == std::string::npos);
    REQUIRE(stripped.find("material") == std::string::npos);
    std::ofstream(stripped_dir / file) << stripped;

    ModelPtr with = load_model(asset_path(file));
    ModelPtr without = load_model(stripped_dir / file);
    CHECK(with->ncam >= 1);
    CHECK(with->nlight >= 1);
    CHECK(without->ncam == 0);
    // 100 env steps with the same random actions, including resets: bit-identical.
    auto env_with = make_env(env_name);
    auto env_without = make_env(env_name, test::with_asset_dir(stripped_dir));
    const auto a = test::random_rollout(*env_with, 11, 100);
    const auto b = test::random_rollout(*env_without, 11, 100);
    REQUIRE(a.size() == b.size());
    for (size_t t = 0; t < a.size(); ++t) {
      INFO("step " << t);
      REQUIRE(a[t].s_next == b[t].s_next);
      REQUIRE(a[t].result.reward == b[t].result.reward);
      REQUIRE(a[t].result.terminated == b[t].result.terminated);
    }
  }
  fs::remove_all(stripped_dir);
}
