// The MuJoCo plumbing every physics env shares, written after Gymnasium's MujocoEnv:
// model loading, reset to qpos0 plus noise, `frame_skip` mj_steps per env step, and a
// check of MuJoCo's warning counters after every mj_step so that a diverging simulation
// ends the episode (StepResult::unstable) instead of being silently reset by MuJoCo.
#pragma once
#include <filesystem>
#include <span>
#include <vector>

#include "envs/env.hpp"
#include "envs/mujoco_model.hpp"

namespace maac::envs {

class MujocoEnv : public Env {
 public:
  // Writes qpos and qvel and recomputes the derived quantities (mj_forward), like
  // Gymnasium's set_state. Values are not checked for finiteness on purpose: this is
  // also how tests reproduce a diverged state. Sizes must be nq and nv.
  void set_state(std::span<const double> qpos, std::span<const double> qvel);

  std::span<const double> qpos() const { return {data_->qpos, static_cast<size_t>(model_->nq)}; }
  std::span<const double> qvel() const { return {data_->qvel, static_cast<size_t>(model_->nv)}; }
  const mjModel* model() const { return model_.get(); }
  const mjData* data() const { return data_.get(); }
  int frame_skip() const { return frame_skip_; }
  const std::filesystem::path& model_path() const { return model_path_; }

 protected:
  // `spec` gives name, sizes, limits; dt and action bounds are taken from the model
  // (timestep x frame_skip, actuator ctrlrange) and checked against act_dim.
  MujocoEnv(EnvSpec spec, const std::filesystem::path& xml, int frame_skip, bool needs_contact_forces);

  // Gymnasium's reset: mj_resetData, then qpos0 + qpos_noise, qvel0 + qvel_noise.
  void reset_to(std::span<const double> qpos_noise, std::span<const double> qvel_noise);
  // Gymnasium's do_simulation: ctrl = action, frame_skip x mj_step, then
  // mj_rnePostConstraint when contact forces are read. Returns true when the
  // simulation went unstable; the state is then the last one MuJoCo accepted.
  bool simulate(std::span<const double> ctrl);

  // Reset noise vectors, drawn in Gymnasium's order (qpos first, then qvel).
  static std::vector<double> uniform_noise(Rng& rng, int n, double scale);
  static std::vector<double> normal_noise(Rng& rng, int n, double scale);

  const std::vector<double>& init_qpos() const { return init_qpos_; }
  const std::vector<double>& init_qvel() const { return init_qvel_; }
  mjData* mutable_data() { return data_.get(); }

 private:
  MujocoEnv(EnvSpec spec, const std::filesystem::path& xml, ModelPtr model, int frame_skip, bool needs_contact_forces);
  static EnvSpec complete_spec(EnvSpec spec, const mjModel* m, int frame_skip);

  std::filesystem::path model_path_;
  ModelPtr model_;
  DataPtr data_;
  int frame_skip_;
  bool needs_contact_forces_;
  std::vector<double> init_qpos_, init_qvel_;
  std::vector<double> saved_qpos_, saved_qvel_;  // state before the current mj_step
};

}  // namespace maac::envs
