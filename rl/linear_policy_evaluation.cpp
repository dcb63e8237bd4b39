#include "rl/linear_policy_evaluation.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "autodiff/optim/adam.hpp"

namespace maac::rl {
namespace {
// u = K x + sigma eps on the host, the same formula as LinearGaussianPolicy::sample.
void act(const std::vector<double>& K, double sigma, int64_t obs, int64_t act_dim, const double* x, const double* eps,
         double* u) {
  for (int64_t i = 0; i < act_dim; ++i) {
    u[i] = sigma * eps[i];
    for (int64_t j = 0; j < obs; ++j) u[i] += K[i * obs + j] * x[j];
  }
}
}  // namespace

PolicyTransitions collect_policy_transitions(envs::Env& env, const LinearGaussianPolicy<double>& policy,
                                             int64_t episodes, uint64_t seed, Rng& rng) {
  if (episodes < 1 || env.obs_dim() != policy.obs_dim() || env.act_dim() != policy.act_dim())
    throw std::invalid_argument(fmt::format("collect_policy_transitions: {} episodes, env obs/act {}/{}, policy {}/{}: "
                                            "expected >= 1 episode and equal dimensions",
                                            episodes, env.obs_dim(), env.act_dim(), policy.obs_dim(),
                                            policy.act_dim()));
  PolicyTransitions d;
  d.obs = env.obs_dim();
  d.act = env.act_dim();
  const std::vector<double> K = policy.gain();
  std::vector<double> u(static_cast<size_t>(d.act));
  envs::StepResult step;
  for (int64_t e = 0; e < episodes; ++e) {
    std::vector<double> x = env.reset(seed + uint64_t(e));
    d.states.emplace_back();
    while (true) {
      const std::vector<double> eps = rng.normal_vector<double>(d.act);
      act(K, policy.noise_std(), d.obs, d.act, x.data(), eps.data(), u.data());
      env.step(u, step);
      d.states.back().push_back(x);
      d.s.insert(d.s.end(), x.begin(), x.end());
      d.a.insert(d.a.end(), u.begin(), u.end());
      d.r.push_back(step.reward);
      d.s_next.insert(d.s_next.end(), step.observation.begin(), step.observation.end());
      ++d.n;
      x = step.observation;
      if (step.terminated || step.truncated) break;
    }
  }
  return d;
}

double fit_policy_q(TwinCritic<double>& critic, const LinearGaussianPolicy<double>& policy,
                    const PolicyTransitions& data, const QEvaluationOptions& o, Rng& rng) {
  if (o.steps < 1 || o.batch < 1 || !(o.lr > 0) || !(o.tau > 0 && o.tau <= 1) || !(o.gamma >= 0 && o.gamma <= 1) ||
      data.n < 1)
    throw std::invalid_argument(fmt::format("fit_policy_q: steps {}, batch {}, lr {}, tau {}, gamma {}, {} transitions: "
                                            "expected steps, batch >= 1, lr > 0, 0 < tau <= 1, 0 <= gamma <= 1 and "
                                            "data",
                                            o.steps, o.batch, o.lr, o.tau, o.gamma, data.n));
  const int64_t B = o.batch, obs = data.obs, act_dim = data.act;
  const std::vector<double> K = policy.gain();
  AdamOptions adam_options;
  adam_options.lr = o.lr;
  Adam<double> adam(critic.parameters(), adam_options);
  Tape<double> tape;
  std::vector<double> s(B * obs), a(B * act_dim), s2(B * obs), a2(B * act_dim), y(B);
  double tail_loss = 0;
  int64_t tail = 0;
  for (int64_t step = 0; step < o.steps; ++step) {
    // A uniform batch, and the policy's next action a' = K s' + sigma eps' for the target.
    for (int64_t i = 0; i < B; ++i) {
      const int64_t row = rng.below(data.n);
      std::copy_n(&data.s[row * obs], obs, &s[i * obs]);
      std::copy_n(&data.a[row * act_dim], act_dim, &a[i * act_dim]);
      std::copy_n(&data.s_next[row * obs], obs, &s2[i * obs]);
      const std::vector<double> eps = rng.normal_vector<double>(act_dim);
      act(K, policy.noise_std(), obs, act_dim, &s2[i * obs], eps.data(), &a2[i * act_dim]);
      y[i] = data.r[row];
    }
    // y = r + gamma min_j Q'_j(s', a'), read off a tape without backward.
    tape.reset();
    const std::vector<double> q_next =
        critic.min_q(tape, tape.constant(Shape{B, obs}, s2.data()), tape.constant(Shape{B, act_dim}, a2.data()), true)
            .to_host();
    for (int64_t i = 0; i < B; ++i) y[i] += o.gamma * q_next[i];
    tape.reset();
    Var<double> loss = critic.loss(tape, tape.constant(Shape{B, obs}, s.data()),
                                   tape.constant(Shape{B, act_dim}, a.data()), tape.constant(Shape{B, 1}, y.data()));
    adam.zero_grad();
    tape.backward(loss);
    adam.step();
    critic.update_targets(o.tau);
    if (step >= o.steps - std::max<int64_t>(1, o.steps / 10)) {
      tail_loss += loss.item();
      ++tail;
    }
  }
  return tail_loss / double(tail);
}

}  // namespace maac::rl
