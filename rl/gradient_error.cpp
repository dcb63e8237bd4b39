#include "rl/gradient_error.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "rl/dynamics_trainer.hpp"
#include "rl/env_reward.hpp"
#include "rl/linear_policy_evaluation.hpp"
#include "rl/linear_policy_objective.hpp"

namespace maac::rl {

void GradientErrorOptions::check() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("gradient-error experiment: " + what); };
  if (gain.size() != 2) fail(fmt::format("gain has {} values, expected 2 (K is [1, 2])", gain.size()));
  for (double k : gain)
    if (!std::isfinite(k)) fail(fmt::format("gain value {}, expected finite", k));
  if (!(noise_std > 0) || !std::isfinite(noise_std)) fail(fmt::format("noise_std {}, expected > 0", noise_std));
  if (!(gamma > 0 && gamma < 1)) fail(fmt::format("gamma {}, expected 0 < gamma < 1", gamma));
  if (horizons.empty()) fail("no horizons");
  for (int64_t h : horizons)
    if (h < 0 || h > 1000) fail(fmt::format("horizon {}, expected 0 <= H <= 1000", h));
  if (data_episodes < 1) fail(fmt::format("data_episodes {}, expected >= 1", data_episodes));
  if (estimate_groups < 2 || estimate_episodes < estimate_groups || estimate_episodes % estimate_groups != 0)
    fail(fmt::format("estimate_episodes {} in estimate_groups {}: expected at least 2 groups of equal size",
                     estimate_episodes, estimate_groups));
  if (terminal_samples < 1) fail(fmt::format("terminal_samples {}, expected >= 1", terminal_samples));
  if (td_steps < 1 || td_batch < 1) fail(fmt::format("td_steps {}, td_batch {}, expected >= 1", td_steps, td_batch));
  if (!(critic_lr > 0)) fail(fmt::format("critic_lr {}, expected > 0", critic_lr));
  if (members < 1) fail(fmt::format("members {}, expected >= 1", members));
  if (model_max_epochs < 1) fail(fmt::format("model_max_epochs {}, expected >= 1", model_max_epochs));
  if (env.max_episode_steps < 1) fail(fmt::format("episode length {}, expected >= 1", env.max_episode_steps));
  // The DoubleIntegrator never terminates: data_episodes * T transitions exactly. 5: the
  // ensemble's 20 % hold-out needs at least one row.
  const int64_t data_transitions = data_episodes * env.max_episode_steps;
  if (model_transitions != 0 && (model_transitions < 5 || model_transitions > data_transitions))
    fail(fmt::format("model_transitions {}, expected 0 (all) or 5 .. {} (data_episodes {} x T {})", model_transitions,
                     data_transitions, data_episodes, env.max_episode_steps));
  for (const auto* hidden : {&critic_hidden, &model_hidden})
    for (int64_t w : *hidden)
      if (w < 1) fail(fmt::format("hidden width {}, expected >= 1", w));
}

GradientComparison compare_gradients(const std::vector<double>& g, const std::vector<double>& exact) {
  if (g.size() != exact.size() || g.empty())
    throw std::invalid_argument(fmt::format("compare_gradients: {} and {} values, expected equal and non-empty",
                                            g.size(), exact.size()));
  double l1 = 0, norm1 = 0, dot = 0, gg = 0, ee = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    l1 += std::abs(g[i] - exact[i]);
    norm1 += std::abs(exact[i]);
    dot += g[i] * exact[i];
    gg += g[i] * g[i];
    ee += exact[i] * exact[i];
  }
  return {l1, l1 / norm1, dot / std::sqrt(gg * ee)};
}

namespace {

// The start states of horizon H in one group of episodes (e % groups == group): each
// episode's visited states at t_j = j (H + 1), weighted gamma^{t_j} / (episodes in the
// group) (the telescoping sum in the header, averaged over the group's episodes).
struct StartStates {
  std::vector<double> s0, weight;
  int64_t n = 0;
};
StartStates start_states(const PolicyTransitions& episodes, int64_t H, double gamma, size_t group, size_t groups) {
  StartStates st;
  const double per_episode = double(groups) / double(episodes.states.size());
  for (size_t e = group; e < episodes.states.size(); e += groups)
    for (size_t t = 0; t < episodes.states[e].size(); t += size_t(H + 1)) {
      st.s0.insert(st.s0.end(), episodes.states[e][t].begin(), episodes.states[e][t].end());
      st.weight.push_back(std::pow(gamma, double(t)) * per_episode);
      ++st.n;
    }
  return st;
}

// The mean of the groups' gradients and its standard error, per component.
struct GroupMean {
  std::vector<double> mean, standard_error;
};
GroupMean group_mean(const std::vector<std::vector<double>>& g) {
  const double G = double(g.size());
  GroupMean m{std::vector<double>(g[0].size(), 0.0), std::vector<double>(g[0].size(), 0.0)};
  for (size_t i = 0; i < m.mean.size(); ++i) {
    for (const auto& x : g) m.mean[i] += x[i] / G;
    for (const auto& x : g) m.standard_error[i] += (x[i] - m.mean[i]) * (x[i] - m.mean[i]) / (G - 1);
    m.standard_error[i] = std::sqrt(m.standard_error[i] / G);
  }
  return m;
}

// d/dK of sum_i w_i J_H(s0_i) for the objective `build` makes on the tape.
template <class Build>
std::vector<double> weighted_gradient(LinearGaussianPolicy<double>& policy, const StartStates& st, Build&& build) {
  Tape<double> tape;
  zero_grad(policy.parameters());
  MaacObjective<double> obj = build(tape, tape.constant(Shape{st.n, policy.obs_dim()}, st.s0.data()));
  tape.backward(sum(mul(obj.returns, tape.constant(Shape{st.n, 1}, st.weight.data()))));
  return policy.gain_gradient();
}

}  // namespace

GradientErrorSeed run_gradient_error_seed(const GradientErrorOptions& o, uint64_t seed,
                                          const std::function<void(const std::string&)>& progress) {
  o.check();
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  envs::DoubleIntegratorEnv env(o.env);
  const envs::LinearQuadraticSystem& sys = env.system();
  LinearGaussianPolicy<double> policy(2, 1, o.gain, o.noise_std);
  EnvActionRewardModel<double> reward(env);
  LinearDynamics<double> dynamics(sys);
  Rng rng(seed);
  GradientErrorSeed out;

  // The reference, and how far the unbounded-episode sum the estimators target is from it.
  const Eigen::Map<const Eigen::MatrixXd> K(o.gain.data(), 1, 2);
  const int T = o.env.max_episode_steps;
  const Eigen::MatrixXd exact = envs::linear_policy_return(sys, K, T, o.gamma, o.noise_std).gradient;
  const int long_horizon = T + int(std::ceil(std::log(1e-12) / std::log(o.gamma)));
  const Eigen::MatrixXd unbounded = envs::linear_policy_return(sys, K, long_horizon, o.gamma, o.noise_std).gradient;
  out.exact = {exact(0, 0), exact(0, 1)};
  out.truncation_gap = compare_gradients({unbounded(0, 0), unbounded(0, 1)}, out.exact).relative;

  // Real transitions of the policy; separate episodes give the estimators' start states.
  const uint64_t episode_seed = seed * 1'000'003ULL;
  const PolicyTransitions data = collect_policy_transitions(env, policy, o.data_episodes, episode_seed, rng);
  const PolicyTransitions visited =
      collect_policy_transitions(env, policy, o.estimate_episodes, episode_seed + 500'000, rng);
  out.transitions = data.n;

  // The learned Q: fitted Q evaluation of the policy by TD.
  CriticOptions critic_options;
  critic_options.hidden = o.critic_hidden;
  critic_options.activation = Unary::silu;
  TwinCritic<double> critic(2, 1, critic_options, rng);
  QEvaluationOptions q_options;
  q_options.steps = o.td_steps;
  q_options.batch = o.td_batch;
  q_options.lr = o.critic_lr;
  q_options.gamma = o.gamma;
  out.td_loss = fit_policy_q(critic, policy, data, q_options, rng);
  say(fmt::format("seed {}: {} transitions, Q by {} TD steps (final TD loss {:.3g})", seed, data.n, o.td_steps,
                  out.td_loss));

  // The learned ensemble on the same transitions, or on the first model_transitions of them.
  out.model_transitions = o.model_transitions == 0 ? data.n : o.model_transitions;
  if (out.model_transitions > data.n)
    throw std::invalid_argument(fmt::format("gradient-error experiment: model_transitions {}, but only {} transitions "
                                            "were collected",
                                            out.model_transitions, data.n));
  DynamicsModelOptions model_options;
  model_options.members = o.members;
  model_options.hidden = o.model_hidden;
  DynamicsModel<double> model(2, 1, model_options, rng);
  DynamicsTrainingOptions fit_options;
  fit_options.max_epochs = o.model_max_epochs;
  const DynamicsTrainingReport fit =
      DynamicsTrainer<double>(model, fit_options).fit(data.s.data(), data.a.data(), data.s_next.data(), nullptr,
                                                      out.model_transitions, rng);
  for (double mse : fit.holdout_mse) out.model_holdout_mse += mse / double(fit.holdout_mse.size());
  say(fmt::format("seed {}: ensemble of {} fit on {} transitions in {} epochs (held-out MSE {:.3g})", seed, o.members,
                  out.model_transitions, fit.epochs, out.model_holdout_mse));

  for (int64_t H : o.horizons) {
    MaacObjectiveOptions mo;
    mo.horizon = H;
    mo.terminal_samples = o.terminal_samples;
    mo.gamma = o.gamma;
    // Each group on its own tape (bounded memory); the groups' spread gives the MC error.
    std::vector<std::vector<double>> g_true, g_model;
    for (int64_t group = 0; group < o.estimate_groups; ++group) {
      const StartStates st = start_states(visited, H, o.gamma, size_t(group), size_t(o.estimate_groups));
      // Common random numbers: both estimators use the same action eps (the true dynamics
      // ignore the model's eps and members), so their difference is the model's alone.
      const MaacNoise<double> noise = MaacNoise<double>::draw(mo, st.n, model, 1, rng);
      g_true.push_back(weighted_gradient(policy, st, [&](Tape<double>& tape, Var<double> s0) {
        return linear_policy_objective(tape, s0, policy, dynamics, &critic, reward, noise, mo);
      }));
      g_model.push_back(weighted_gradient(policy, st, [&](Tape<double>& tape, Var<double> s0) {
        return linear_policy_objective(tape, s0, policy, model, &critic, reward, noise, mo);
      }));
    }
    const GroupMean t = group_mean(g_true), m = group_mean(g_model);
    out.rows.push_back({"true_dynamics", H, seed, t.mean, t.standard_error, compare_gradients(t.mean, out.exact)});
    out.rows.push_back({"learned_model", H, seed, m.mean, m.standard_error, compare_gradients(m.mean, out.exact)});
    say(fmt::format("seed {} H {}: L1 error true dynamics {:.4g}, learned model {:.4g}", seed, H,
                    out.rows[out.rows.size() - 2].error.l1, out.rows.back().error.l1));
  }
  return out;
}

}  // namespace maac::rl
