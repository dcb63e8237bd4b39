#include "envs/mujoco_env.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace maac::envs {
namespace {

// Warnings that mean this step's physics is not the model's: MuJoCo resets the state
// (bad numbers) or drops constraints (full buffers).
constexpr std::array<int, 6> kUnstableWarnings{mjWARN_BADQPOS,     mjWARN_BADQVEL,   mjWARN_BADQACC,
                                               mjWARN_BADCTRL,     mjWARN_CONTACTFULL, mjWARN_CNSTRFULL};

const char* warning_name(int w) {
  switch (w) {
    case mjWARN_INERTIA: return "mjWARN_INERTIA";
    case mjWARN_CONTACTFULL: return "mjWARN_CONTACTFULL";
    case mjWARN_CNSTRFULL: return "mjWARN_CNSTRFULL";
    case mjWARN_VGEOMFULL: return "mjWARN_VGEOMFULL";
    case mjWARN_BADQPOS: return "mjWARN_BADQPOS";
    case mjWARN_BADQVEL: return "mjWARN_BADQVEL";
    case mjWARN_BADQACC: return "mjWARN_BADQACC";
    case mjWARN_BADCTRL: return "mjWARN_BADCTRL";
  }
  return "unknown warning";
}

bool all_finite(const double* x, int n) {
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

}  // namespace

EnvSpec MujocoEnv::complete_spec(EnvSpec spec, const mjModel* m, int frame_skip) {
  if (m->nu != spec.act_dim)
    throw std::invalid_argument(
        fmt::format("{}: the model has {} actuators, expected {}", spec.name, m->nu, spec.act_dim));
  if (frame_skip < 1) throw std::invalid_argument(fmt::format("{}: frame_skip {}, expected >= 1", spec.name, frame_skip));
  spec.dt = m->opt.timestep * frame_skip;
  spec.action_low.resize(static_cast<size_t>(m->nu));
  spec.action_high.resize(static_cast<size_t>(m->nu));
  for (int i = 0; i < m->nu; ++i) {
    spec.action_low[i] = m->actuator_ctrlrange[2 * i];
    spec.action_high[i] = m->actuator_ctrlrange[2 * i + 1];
  }
  return spec;
}

MujocoEnv::MujocoEnv(EnvSpec spec, const std::filesystem::path& xml, int frame_skip, bool needs_contact_forces)
    : MujocoEnv(std::move(spec), xml, load_model(xml), frame_skip, needs_contact_forces) {}

MujocoEnv::MujocoEnv(EnvSpec spec, const std::filesystem::path& xml, ModelPtr model, int frame_skip,
                     bool needs_contact_forces)
    : Env(complete_spec(std::move(spec), model.get(), frame_skip)),
      model_path_(xml),
      model_(std::move(model)),
      data_(make_data(model_.get())),
      frame_skip_(frame_skip),
      needs_contact_forces_(needs_contact_forces) {
  // Gymnasium's init_qpos/init_qvel: the state of a fresh mjData (qpos0, zero velocity).
  init_qpos_.assign(data_->qpos, data_->qpos + model_->nq);
  init_qvel_.assign(data_->qvel, data_->qvel + model_->nv);
  saved_qpos_.resize(static_cast<size_t>(model_->nq));
  saved_qvel_.resize(static_cast<size_t>(model_->nv));
}

void MujocoEnv::set_state(std::span<const double> qpos, std::span<const double> qvel) {
  if (qpos.size() != static_cast<size_t>(model_->nq) || qvel.size() != static_cast<size_t>(model_->nv))
    throw std::invalid_argument(fmt::format("{}::set_state: qpos has {} and qvel {} values, expected {} and {}",
                                            spec().name, qpos.size(), qvel.size(), model_->nq, model_->nv));
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  mj_forward(model_.get(), data_.get());
}

void MujocoEnv::reset_to(std::span<const double> qpos_noise, std::span<const double> qvel_noise) {
  mj_resetData(model_.get(), data_.get());
  std::vector<double> qpos(init_qpos_), qvel(init_qvel_);
  for (size_t i = 0; i < qpos.size(); ++i) qpos[i] += qpos_noise[i];
  for (size_t i = 0; i < qvel.size(); ++i) qvel[i] += qvel_noise[i];
  set_state(qpos, qvel);
}

std::vector<double> MujocoEnv::uniform_noise(Rng& rng, int n, double scale) {
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = rng.uniform(-scale, scale);
  return v;
}

std::vector<double> MujocoEnv::normal_noise(Rng& rng, int n, double scale) {
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = scale * rng.normal();
  return v;
}

bool MujocoEnv::simulate(std::span<const double> ctrl) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  std::copy(ctrl.begin(), ctrl.end(), d->ctrl);
  try {
    for (int sub = 0; sub < frame_skip_; ++sub) {
      // Keep the state before each mj_step: MuJoCo resets the state when it finds a
      // bad number, and we report the last state it accepted instead.
      std::copy(d->qpos, d->qpos + m->nq, saved_qpos_.begin());
      std::copy(d->qvel, d->qvel + m->nv, saved_qvel_.begin());
      std::array<int, mjNWARNING> before{};
      for (int w = 0; w < mjNWARNING; ++w) before[w] = d->warning[w].number;

      mj_step(m, d);

      int raised = -1;
      for (int w : kUnstableWarnings)
        if (d->warning[w].number != before[w]) raised = w;
      bool finite = all_finite(d->qpos, m->nq) && all_finite(d->qvel, m->nv);
      if (raised >= 0 || !finite) {
        spdlog::warn("{}: unstable simulation at env step {} (substep {} of {}, time {:.4f}): {}; the episode ends as "
                     "terminated with StepResult::unstable",
                     spec().name, elapsed_steps(), sub + 1, frame_skip_, d->time,
                     raised >= 0 ? fmt::format("{} (info {})", warning_name(raised), d->warning[raised].lastinfo)
                                 : std::string("non-finite qpos/qvel"));
        if (raised >= 0) {  // MuJoCo reset the state: report the last accepted one
          std::copy(saved_qpos_.begin(), saved_qpos_.end(), d->qpos);
          std::copy(saved_qvel_.begin(), saved_qvel_.end(), d->qvel);
          mj_forward(m, d);
        }
        return true;
      }
    }
    if (needs_contact_forces_) mj_rnePostConstraint(m, d);
  } catch (const MujocoError& e) {
    abort_episode();  // the mjData may be half-updated: only reset() may follow
    throw MujocoError(fmt::format("{}: at env step {}: {}", spec().name, elapsed_steps(), e.what()));
  }
  return false;
}

}  // namespace maac::envs
