// One update of the agent: the critic step, then the actor, temperature and target steps
// (UpdateStats says what a non-finite loss or gradient skips).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rl/agent.hpp"

namespace maac::rl {
double Agent::critic_step(const TransitionBatch& b, Rng& rng, bool* ok, bool* targets_updated) {
  const int64_t n = b.size;
  *targets_updated = false;
  if (critic_graph_ && n == critic_graph_->options().batch) {
    // Targets, loss, the guarded step and Polyak in one replayed graph.
    const CriticUpdateResult r = critic_graph_->run(b, alpha());
    *ok = r.applied;
    *targets_updated = true;
    return r.loss;
  }
  // The same work as the critic graph's, op by op with host-drawn noise.
  std::vector<float> alive(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) alive[i] = 1.f - b.terminated[i];
  tape_.reset();
  Var<float> r = tape_.constant(Shape{n, 1}, b.reward.data()), alive_v = tape_.constant(Shape{n, 1}, alive.data());
  Var<float> s_next = tape_.constant(Shape{n, obs_}, b.next_obs.data());
  Var<float> alpha_v = tape_.filled(Shape{1, 1}, static_cast<float>(alpha()));
  Var<float> y;
  if (steve_critic()) {
    const SteveNoise<float> noise = SteveNoise<float>::draw(options_.steve, n, *model_, act_, rng);
    y = steve_targets_var(policy_, *model_, critic_, *reward_, r, alive_v, s_next, alpha_v,
                          SteveNoiseVars<float>::on_tape(tape_, noise, n, act_, *model_), options_.steve)
            .target;
  } else {
    const std::vector<float> eps = rng.normal_vector<float>(n * act_);
    y = td_target_var(policy_, critic_, r, alive_v, s_next, tape_.constant(Shape{n, act_}, eps.data()), alpha_v,
                      options_.gamma);
  }
  Var<float> loss = critic_.loss(tape_, tape_.constant(Shape{n, obs_}, b.obs.data()),
                                 tape_.constant(Shape{n, act_}, b.action.data()), y);
  critic_guarded_step_.run(tape_, loss);
  *ok = critic_guarded_step_.stepped();
  return loss.item();
}

// Real transitions of a batch as tape constants (SVG(1)'s value and actor steps).
namespace {
RealTransitions<float> on_tape(Tape<float>& tape, const TransitionBatch& b, int64_t obs, int64_t act) {
  const int64_t n = b.size;
  return {tape.constant(Shape{n, obs}, b.obs.data()), tape.constant(Shape{n, act}, b.action.data()),
          tape.constant(Shape{n, 1}, b.reward.data()), tape.constant(Shape{n, obs}, b.next_obs.data())};
}
}  // namespace

double Agent::value_step(const TransitionBatch& b, Rng& rng, bool* ok) {
  const int64_t n = b.size;
  std::vector<float> alive(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) alive[i] = 1.f - b.terminated[i];
  tape_.reset();
  const RealTransitions<float> t = on_tape(tape_, b, obs_, act_);
  const std::vector<float> eps = rng.normal_vector<float>(n * act_);
  Var<float> y = svg1_value_target(tape_, t, tape_.constant(Shape{n, 1}, alive.data()), policy_, *value_, alpha(),
                                   tape_.constant(Shape{n, act_}, eps.data()), options_.gamma);
  Var<float> loss = value_->loss(tape_, t.s, y);
  value_guarded_step_->run(tape_, loss);
  *ok = value_guarded_step_->stepped();
  return loss.item();
}

double Agent::actor_step(const TransitionBatch& b, Rng& rng, bool* ok, UpdateStats& stats) {
  const int64_t n = b.size;
  if (actor_graph_ && n == actor_graph_->batch()) {
    const CapturedActorStep r = actor_graph_->run(b.obs.data(), alpha());
    *ok = r.stepped;
    return r.loss;
  }
  tape_.reset();
  Var<float> s0 = tape_.constant(Shape{n, obs_}, b.obs.data());
  Var<float> loss;
  if (options_.algorithm == Algorithm::maac) {
    MaacNoise<float> noise = MaacNoise<float>::draw(options_.objective, n, *model_, act_, rng);
    MaacObjective<float> objective =
        maac_policy_objective(tape_, s0, policy_, *model_, critic_, *reward_, alpha(), noise, options_.objective);
    loss = objective.loss;
    stats.terminal_share = terminal_share(objective);
  } else if (options_.algorithm == Algorithm::svg1) {
    const SvgNoise<float> noise = SvgNoise<float>::draw(n, *model_, act_, rng);
    const SvgObjectiveOptions o{options_.gamma, options_.objective.model_noise, options_.objective.evaluation,
                                options_.objective.termination};
    loss = svg1_policy_objective(tape_, on_tape(tape_, b, obs_, act_), policy_, *model_, *value_, *reward_, alpha(),
                                 noise, o)
               .loss;
  } else {
    std::vector<float> eps = rng.normal_vector<float>(n * act_);
    loss = sac_actor_loss(tape_, s0, policy_, critic_, alpha(), tape_.constant(Shape{n, act_}, eps.data()));
  }
  policy_guarded_step_.run(tape_, loss);
  *ok = policy_guarded_step_.stepped();
  stats.actor_grad_norm = policy_guarded_step_.grad_norm();
  return loss.item();
}

UpdateStats Agent::update(const TransitionBatch& b, Rng& rng) {
  if (b.size < 1 || static_cast<int64_t>(b.obs.size()) != b.size * obs_)
    throw std::invalid_argument("Agent::update: batch of " + std::to_string(b.size) + " rows with " +
                                std::to_string(b.obs.size()) + " observation values, expected obs_dim " +
                                std::to_string(obs_) + " per row");
  UpdateStats stats;
  bool critic_ok = false, actor_ok = false, targets_updated = false;
  // SVG(1)'s critic is its state value V.
  stats.critic_loss = value_ ? value_step(b, rng, &critic_ok) : critic_step(b, rng, &critic_ok, &targets_updated);
  if (!critic_ok) {
    // A skipped update changes nothing: no actor, temperature or target step either (the
    // critic graph guards its own Polyak step with the same flag).
    stats.critic_skipped = true;
    stats.alpha = alpha();
    return stats;
  }
  stats.actor_loss = actor_step(b, rng, &actor_ok, stats);
  stats.actor_skipped = !actor_ok;
  if (options_.entropy && options_.learn_alpha && actor_ok) {
    // Temperature: log-probabilities of fresh samples at the batch's states.
    tape_.reset();
    NoGrad<float> off(tape_);
    std::vector<float> eps = rng.normal_vector<float>(b.size * act_);
    Var<float> lp = policy_.sample(tape_, tape_.constant(Shape{b.size, obs_}, b.obs.data()),
                                   tape_.constant(Shape{b.size, act_}, eps.data()))
                        .log_prob;
    const std::vector<float> lp_host = lp.to_host();
    if (std::all_of(lp_host.begin(), lp_host.end(), [](float v) { return std::isfinite(v); })) temperature_.update(lp_host.data(), b.size);
  }
  if (value_) value_->update_targets(options_.tau);
  else if (!targets_updated) critic_.update_targets(options_.tau);  // the critic graph does its own
  stats.alpha = alpha();
  return stats;
}

}  // namespace maac::rl
