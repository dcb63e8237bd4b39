#include "rl/mpc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "rl/agent.hpp"

namespace maac::rl {

void check_mpc_options(const MpcOptions& o) {
  auto bad = [](const char* name, auto value, const char* expected) {
    throw std::invalid_argument(fmt::format("MPC option {} = {}: expected {}", name, value, expected));
  };
  if (o.candidates < 1 || o.candidates > 1000000) bad("candidates", o.candidates, "1 <= candidates <= 1000000");
  if (o.horizon < 1 || o.horizon > 1000) bad("horizon", o.horizon, "1 <= horizon <= 1000");
  if (o.iterations < 1 || o.iterations > 1000) bad("iterations", o.iterations, "1 <= iterations <= 1000");
  if (!(o.elite_fraction > 0.0 && o.elite_fraction <= 1.0))
    bad("elite_fraction", o.elite_fraction, "0 < elite_fraction <= 1");
  if (!(o.momentum >= 0.0 && o.momentum < 1.0)) bad("momentum", o.momentum, "0 <= momentum < 1");
  if (!(o.initial_std >= 0.0 && std::isfinite(o.initial_std))) bad("initial_std", o.initial_std, "a finite value >= 0");
  if (!(o.gamma >= 0.0 && o.gamma <= 1.0)) bad("gamma", o.gamma, "0 <= gamma <= 1");
}

int64_t mpc_elite_count(const MpcOptions& o) {
  return std::max<int64_t>(1, std::llround(o.elite_fraction * static_cast<double>(o.candidates)));
}

Var<float> EnsembleMeanDynamics::step(Tape<float>& tape, Var<float> s, Var<float> a,
                                      const std::vector<int32_t>& member_of_row) {
  // Zero noise: each member's mean prediction (docs/maac.md, "MPC at test time").
  Var<float> eps = tape.filled(Shape{s.rows(), model_.out_dim()}, 0.0f);
  return model_.next_state_rows(tape, s, a, member_of_row, eps, EnsembleEvaluation::routed);
}

MpcPlanner::MpcPlanner(MpcOptions options, SquashedGaussianPolicy<float>& policy, TwinCritic<float>& critic,
                       const RewardModel<float>& reward, PlanDynamics& dynamics)
    : options_(options),
      policy_(policy),
      critic_(critic),
      reward_(reward),
      dynamics_(dynamics),
      obs_(policy.obs_dim()),
      act_(policy.act_dim()),
      rng_(options.seed),
      tape_(policy.parameters().front()->device(), size_t(1) << 24) {
  check_mpc_options(options_);
  if (critic.obs_dim() != obs_ || critic.act_dim() != act_)
    throw std::invalid_argument(fmt::format("MpcPlanner: critic takes obs {} act {}, the policy obs {} act {}",
                                            critic.obs_dim(), critic.act_dim(), obs_, act_));
  if (dynamics.members().empty()) throw std::invalid_argument("MpcPlanner: the dynamics offer no members");
}

std::vector<float> MpcPlanner::policy_rollout(const std::vector<float>& s0, int64_t n,
                                              const std::vector<int32_t>& member_of_row) {
  tape_.reset();
  NoGrad<float> off(tape_);
  Var<float> s = tape_.constant(Shape{n, obs_}, s0.data());
  std::vector<float> out;
  out.reserve(static_cast<size_t>(options_.horizon * n * act_));
  for (int64_t h = 0; h < options_.horizon; ++h) {
    Var<float> a = policy_.deterministic(tape_, s);
    std::vector<float> a_host = a.to_host();
    out.insert(out.end(), a_host.begin(), a_host.end());
    if (h + 1 < options_.horizon) s = dynamics_.step(tape_, s, a, member_of_row);
  }
  return out;
}

std::vector<double> MpcPlanner::score(const std::vector<float>& s0, const std::vector<float>& actions, int64_t rows,
                                      const std::vector<int32_t>& member_of_row) {
  tape_.reset();
  NoGrad<float> off(tape_);
  Var<float> s = tape_.constant(Shape{rows, obs_}, s0.data());
  Var<float> ret = tape_.filled(Shape{rows, 1}, 0.0f);
  Var<float> alive = tape_.filled(Shape{rows, 1}, 1.0f);
  double discount = 1.0;
  for (int64_t h = 0; h < options_.horizon; ++h) {
    Var<float> a = tape_.constant(Shape{rows, act_}, actions.data() + h * rows * act_);
    Var<float> s_next = dynamics_.step(tape_, s, a, member_of_row);
    // A path that terminated earns nothing after its last step (the mask of s_h).
    ret = add(ret, scale(mul(alive, reward_.reward(tape_, s, a, s_next)), discount));
    alive = mul(alive, checked_alive(reward_, tape_, s_next));
    s = s_next;
    discount *= options_.gamma;
  }
  Var<float> terminal = critic_.min_q(tape_, s, policy_.deterministic(tape_, s));
  ret = add(ret, scale(mul(alive, terminal), discount));
  std::vector<float> r = ret.to_host();
  return std::vector<double>(r.begin(), r.end());
}

void MpcPlanner::plan(const float* obs, int64_t n, float* actions) {
  if (n < 1) throw std::invalid_argument(fmt::format("MpcPlanner::plan: n = {}: expected at least 1 state", n));
  const int64_t C = options_.candidates, H = options_.horizon, A = act_, rows = C * n;
  const int64_t elites = mpc_elite_count(options_);
  auto at = [&](int64_t h, int64_t row, int64_t d) { return static_cast<size_t>((h * rows + row) * A + d); };
  auto seq_at = [&](int64_t h, int64_t i, int64_t d) { return static_cast<size_t>((h * n + i) * A + d); };

  // One member per candidate for the whole plan; candidate c of state i is row c n + i.
  const std::vector<int32_t> pool = dynamics_.members();
  std::vector<int32_t> member(static_cast<size_t>(rows));
  for (int32_t& m : member) m = pool[static_cast<size_t>(rng_.below(static_cast<int64_t>(pool.size())))];
  std::vector<int32_t> member0(member.begin(), member.begin() + n);

  std::vector<float> s0(obs, obs + n * obs_), s0_rows(static_cast<size_t>(rows * obs_));
  for (int64_t c = 0; c < C; ++c) std::copy(s0.begin(), s0.end(), s0_rows.begin() + c * n * obs_);

  // The policy's own sequence [H, n, act] (its member: candidate 0's) starts the search.
  const std::vector<float> policy_seq = policy_rollout(s0, n, member0);
  std::vector<double> mean(policy_seq.begin(), policy_seq.end());
  std::vector<double> stdev(mean.size(), options_.initial_std);

  record_ = MpcPlanRecord{};
  record_.states = n;
  record_.members = member;
  record_.policy_sequence.resize(static_cast<size_t>(n * H * A));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < A; ++d) record_.policy_sequence[(i * H + h) * A + d] = policy_seq[seq_at(h, i, d)];

  std::vector<double> best(static_cast<size_t>(n), -std::numeric_limits<double>::infinity());
  std::vector<float> best_action(static_cast<size_t>(n * A));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < A; ++d) best_action[i * A + d] = policy_seq[seq_at(0, i, d)];
  std::vector<float> cand(static_cast<size_t>(H * rows * A));
  std::vector<int64_t> order(static_cast<size_t>(C));
  for (int64_t it = 0; it < options_.iterations; ++it) {
    // Candidate 0 is the policy's sequence; the others N(mean, std) clipped to [-1, 1].
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t d = 0; d < A; ++d) cand[at(h, i, d)] = policy_seq[seq_at(h, i, d)];
    if (C > 1) {
      std::vector<float> z = rng_.normal_vector<float>(H * (rows - n) * A);
      size_t k = 0;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t row = n; row < rows; ++row)
          for (int64_t d = 0; d < A; ++d) {
            const size_t m = seq_at(h, row % n, d);
            cand[at(h, row, d)] = static_cast<float>(std::clamp(mean[m] + stdev[m] * z[k++], -1.0, 1.0));
          }
    }
    if (it == 0) {
      record_.first_candidates.resize(cand.size());
      for (int64_t h = 0; h < H; ++h)
        for (int64_t row = 0; row < rows; ++row)
          for (int64_t d = 0; d < A; ++d) record_.first_candidates[(row * H + h) * A + d] = cand[at(h, row, d)];
    }
    std::vector<double> sc = score(s0_rows, cand, rows, member);
    // A non-finite score (a model that diverged) ranks below every finite one.
    for (double& v : sc)
      if (!std::isfinite(v)) v = -std::numeric_limits<double>::infinity();
    if (it == 0) record_.policy_score.assign(sc.begin(), sc.begin() + n);

    for (int64_t i = 0; i < n; ++i) {
      std::iota(order.begin(), order.end(), 0);
      // Stable: among equal scores the lower candidate (the policy's first) ranks higher.
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t x, int64_t y) { return sc[x * n + i] > sc[y * n + i]; });
      const int64_t top = order[0];
      if (sc[top * n + i] > best[i]) {
        best[i] = sc[top * n + i];
        for (int64_t d = 0; d < A; ++d) best_action[i * A + d] = cand[at(0, top * n + i, d)];
      }
      // Refit: mean and std of the elites, mixed with the previous ones by the momentum.
      for (int64_t h = 0; h < H; ++h)
        for (int64_t d = 0; d < A; ++d) {
          double sum = 0, sum2 = 0;
          for (int64_t e = 0; e < elites; ++e) sum += cand[at(h, order[e] * n + i, d)];
          const double m = sum / static_cast<double>(elites);
          for (int64_t e = 0; e < elites; ++e) {
            const double dev = cand[at(h, order[e] * n + i, d)] - m;
            sum2 += dev * dev;
          }
          const size_t k = seq_at(h, i, d);
          mean[k] = options_.momentum * mean[k] + (1.0 - options_.momentum) * m;
          const double sd = std::sqrt(sum2 / static_cast<double>(elites));
          stdev[k] = options_.momentum * stdev[k] + (1.0 - options_.momentum) * sd;
        }
    }
  }
  record_.best_score = best;
  std::copy(best_action.begin(), best_action.end(), actions);
}

AgentPlanner::AgentPlanner(Agent& agent, MpcOptions options) {
  if (!agent.uses_model() || agent.model() == nullptr)
    throw std::invalid_argument("MPC needs the agent's dynamics ensemble: this checkpoint's algorithm has none (sac)");
  if (agent.options().algorithm == Algorithm::svg1)
    throw std::invalid_argument(
        "MPC scores plans with the twin critic, which this checkpoint's algorithm (svg1) does not train: it learns a "
        "state value V");
  options.gamma = agent.options().gamma;
  dynamics_ = std::make_unique<EnsembleMeanDynamics>(*agent.model());
  planner_ = std::make_unique<MpcPlanner>(options, agent.policy(), agent.critic(), agent.reward_model(), *dynamics_);
}

}  // namespace maac::rl
