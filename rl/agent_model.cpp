// The agent's dynamics model at work: fitting it on real data, imagined rollouts into the
// model buffer, and the open-loop model error diagnostic.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rl/agent.hpp"
#include "rl/model_error.hpp"

namespace maac::rl {
ModelFitStats Agent::fit_model(ReplayBuffer& real, Rng& rng) {
  if (!model_) throw std::logic_error("Agent::fit_model: this algorithm has no model");
  const DynamicsTrainingOptions& fit_options = model_trainer_->options();
  real.assign_split(rng, fit_options.holdout_fraction);
  const DynamicsSplit split = capped_split(real.split(), fit_options.max_holdout);
  TransitionBatch b;
  real.gather_all(b);
  DynamicsTrainingReport report =
      model_trainer_->fit(b.obs.data(), b.action.data(), b.next_obs.data(), b.reward.data(), b.size, split, rng);
  ModelFitStats stats;
  stats.epochs = report.epochs;
  stats.early_stopped = report.early_stopped;
  stats.train_rows = report.train_rows;
  stats.holdout_rows = report.holdout_rows;
  stats.epochs_kept = report.epochs_kept;
  stats.member_holdout_nll = report.holdout_nll;
  stats.member_holdout_mse = report.holdout_mse;
  double nll = 0, mse = 0;
  for (int32_t m : model_->sampling_members()) {
    nll += report.holdout_nll[m];
    mse += report.holdout_mse[m];
  }
  const double k = static_cast<double>(model_->sampling_members().size());
  stats.holdout_nll = nll / k;
  stats.holdout_mse = mse / k;
  for (size_t m = 0; m < report.holdout_nll.size(); ++m)
    if (report.holdout_nll[m] < report.initial_holdout_nll[m]) ++stats.members_improved;
  return stats;
}

std::vector<double> Agent::model_error_by_horizon(const ReplayBuffer& real, int64_t horizon) {
  if (!model_) throw std::logic_error("Agent::model_error_by_horizon: this algorithm has no model");
  return open_loop_error(*model_, tape_, real, newest_episode(real, horizon, 1000), horizon);
}

void Agent::rollout(const ReplayBuffer& real, ReplayBuffer& model_buffer, int64_t starts, int64_t length, Rng& rng) {
  if (!model_) throw std::logic_error("Agent::rollout: this algorithm has no model");
  TransitionBatch start;
  real.sample(rng, starts, start);
  std::vector<float> s = start.obs, s_next, r, alive;
  int64_t n = starts;
  const std::vector<int32_t>& pool = model_->sampling_members();
  for (int64_t t = 0; t < length && n > 0; ++t) {
    tape_.reset();
    NoGrad<float> off(tape_);
    std::vector<float> a_eps = rng.normal_vector<float>(n * act_);
    std::vector<float> m_eps = rng.normal_vector<float>(n * model_->out_dim());
    std::vector<int32_t> members(static_cast<size_t>(n));
    for (int32_t& m : members) m = pool[static_cast<size_t>(rng.below(static_cast<int64_t>(pool.size())))];
    Var<float> sv = tape_.constant(Shape{n, obs_}, s.data());
    Var<float> av = policy_.sample(tape_, sv, tape_.constant(Shape{n, act_}, a_eps.data())).action;
    // Imagined data uses the correct std-scaled noise (the authors' non-differentiable path).
    Var<float> nv = model_->next_state_rows(tape_, sv, av, members, tape_.constant(Shape{n, model_->out_dim()}, m_eps.data()),
                                           EnsembleEvaluation::routed, ModelNoiseScale::std_dev);
    Var<float> rv = reward_->reward(tape_, sv, av, nv);
    Var<float> alive_v = checked_alive(*reward_, tape_, nv);
    // Keep finite rows; chain the ones still alive.
    const std::vector<float> ns_all = nv.to_host(), a_all = av.to_host(), r_all = rv.to_host(),
                             alive_all = alive_v.to_host();
    std::vector<float> next_s;
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float* ns = ns_all.data() + i * obs_;
      if (!std::all_of(ns, ns + obs_, [](float v) { return std::isfinite(v); }) || !std::isfinite(r_all[i])) continue;
      bool done = alive_all[i] < 0.5f;
      model_buffer.add(s.data() + i * obs_, a_all.data() + i * act_, r_all[i], ns, done);
      if (!done) {
        next_s.insert(next_s.end(), ns, ns + obs_);
        ++kept;
      }
    }
    s.swap(next_s);
    n = kept;
  }
}

}  // namespace maac::rl
