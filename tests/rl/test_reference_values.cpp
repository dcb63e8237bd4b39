// Values of whole objectives against independent float64 loops written here: the MAAC
// policy objective (H = 2, K = 2) and the critic targets (TD, STEVE's per-horizon means,
// variances, weights and target), and SVG(1)'s inferred noise, actor loss and value
// target. The references read the weights out of the parameters and write the math from
// docs/maac.md (SVG(1): rl/svg_objective.hpp) with <cmath> only: no tape, no ops, no
// kernels, no math:: helpers. Agreement within 1e-10 relative.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "rl/critic_targets.hpp"
#include "rl/maac_objective.hpp"
#include "rl/svg_objective.hpp"

using namespace maac;
using namespace maac::rl;
using Vec = std::vector<double>;

namespace {

constexpr double kTol = 1e-10;
const double kInf = std::numeric_limits<double>::infinity();
const double kHalfLog2Pi = 0.5 * std::log(2.0 * std::acos(-1.0));

void require_near(double got, double want, const std::string& what) {
  INFO(what << ": got " << got << ", reference " << want);
  REQUIRE(std::fabs(got - want) <= kTol * std::max(1.0, std::fabs(want)));
}

// ---------------------------------------------------------------- plain networks
double act(Unary f, double x) {
  switch (f) {
    case Unary::tanh: return std::tanh(x);
    case Unary::silu: return x / (1.0 + std::exp(-x));
    case Unary::relu: return x > 0 ? x : 0.0;
    default: FAIL("activation not used by these references"); return x;
  }
}
double softplus(double x) { return std::log1p(std::exp(x)); }

// An MLP from its parameters {W0 [in,out], b0 [1,out], W1, b1, ...}: rank 2 weights, or
// member m of an ensemble's rank 3 {W [M,in,out], b [M,1,out]}.
Vec mlp(const ParameterList<double>& ps, Vec x, Unary hidden, int64_t member = 0) {
  const size_t layers = ps.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    const Parameter<double>& W = *ps[2 * l];
    const Parameter<double>& b = *ps[2 * l + 1];
    const bool ensemble = W.shape().rank() == 3;
    const int64_t in = ensemble ? W.shape()[1] : W.shape()[0], out = W.shape().cols();
    REQUIRE(int64_t(x.size()) == in);
    const double* w = W.value().host().data() + (ensemble ? member * in * out : 0);
    const double* bb = b.value().host().data() + (ensemble ? member * out : 0);
    Vec y(static_cast<size_t>(out));
    for (int64_t j = 0; j < out; ++j) {
      double z = bb[j];
      for (int64_t k = 0; k < in; ++k) z += x[size_t(k)] * w[k * out + j];
      y[size_t(j)] = l + 1 < layers ? act(hidden, z) : z;
    }
    x = std::move(y);
  }
  return x;
}

Vec cat(const Vec& a, const Vec& b) {
  Vec c = a;
  c.insert(c.end(), b.begin(), b.end());
  return c;
}
Vec row(const Vec& v, int64_t i, int64_t d) { return Vec(v.begin() + i * d, v.begin() + (i + 1) * d); }

// ---------------------------------------------------------------- the tiny problem
constexpr int64_t kObs = 3, kAct = 2, kM = 3, kN = 3;

struct Problem {
  Rng rng;
  DynamicsModel<double> model;
  SquashedGaussianPolicy<double> policy;
  TwinCritic<double> critic;
  Vec s0;

  static DynamicsModelOptions model_options() {
    DynamicsModelOptions o;
    o.members = kM;
    o.hidden = {4, 4};
    o.activation = Unary::silu;
    return o;
  }
  static PolicyOptions policy_options() {
    PolicyOptions o;
    o.hidden = {4, 4};
    o.activation = Unary::tanh;
    // Tight log-std bounds, so that the hard clamp acts on some entries at both ends.
    o.log_std_min = -0.35;
    o.log_std_max = 0.2;
    return o;
  }
  static CriticOptions critic_options() {
    CriticOptions o;
    o.hidden = {4, 4};
    o.activation = Unary::relu;
    return o;
  }
  explicit Problem(uint64_t seed = 31)
      : rng(seed),
        model(kObs, kAct, model_options(), rng),
        policy(kObs, kAct, policy_options(), rng),
        critic(kObs, kAct, critic_options(), rng),
        s0(rng.normal_vector<double>(kN * kObs)) {
    // Per-member normalisers that differ, so a row normalised by the wrong member shows.
    for (auto* norm : {&model.input_normalizer(), &model.target_normalizer()})
      for (size_t i = 0; i < norm->mean.size(); ++i) {
        norm->mean[i] = rng.uniform(-0.3, 0.3);
        norm->std[i] = rng.uniform(0.2, 0.6);
      }
    // Log-variance bounds near the raw outputs, per column, so the soft clamp bends them.
    model.max_log_var().value().host() = {0.3, -0.1, 0.5};
    model.min_log_var().value().host() = {-1.2, -2.0, -0.6};
    // Target critics differ from the online ones.
    for (Parameter<double>* p : critic.target_parameters())
      for (double& v : p->value().host()) v += rng.uniform(-0.05, 0.05);
  }

  // ---- the references ----
  struct PolicySample {
    Vec a;
    double log_prob;
  };
  // clamp counters: entries of log-std cut at the lower and upper bound.
  int64_t clamped_low = 0, clamped_high = 0;
  PolicySample pi(const Vec& s, const Vec& eps) {
    const Vec out = mlp(policy.parameters(), s, Unary::tanh);
    const PolicyOptions& o = policy.options();
    PolicySample r{Vec(size_t(kAct)), 0.0};
    for (int64_t c = 0; c < kAct; ++c) {
      const double mu = out[size_t(c)], raw = out[size_t(kAct + c)];
      double ls = raw;
      if (raw < o.log_std_min) ls = o.log_std_min, ++clamped_low;
      if (raw > o.log_std_max) ls = o.log_std_max, ++clamped_high;
      const double e = eps[size_t(c)], u = mu + std::exp(ls) * e;
      r.a[size_t(c)] = std::tanh(u);
      // log N(u; mu, std) - log(1 - tanh(u)^2), with 1 - tanh^2 = 1 / cosh^2.
      r.log_prob += -0.5 * e * e - ls - kHalfLog2Pi + 2.0 * std::log(std::cosh(u));
    }
    return r;
  }
  // s' = s + denorm_m(mu + exp(scale) eps), scale = logvar / 2 (std_dev) or logvar (variance).
  Vec step(const Vec& s, const Vec& a, int64_t m, const Vec& eps, ModelNoiseScale noise) {
    const auto& in = model.input_normalizer();
    const auto& outn = model.target_normalizer();
    const int64_t d = kObs;  // no reward column
    Vec x = cat(s, a);
    for (int64_t k = 0; k < kObs + kAct; ++k)
      x[size_t(k)] = (x[size_t(k)] - in.mean[size_t(m * (kObs + kAct) + k)]) / in.std[size_t(m * (kObs + kAct) + k)];
    const Vec out = mlp(model.network().parameters(), x, Unary::silu, m);
    const Vec& hi = model.max_log_var().value().host();
    const Vec& lo = model.min_log_var().value().host();
    Vec s2 = s;
    for (int64_t c = 0; c < d; ++c) {
      const double mean = out[size_t(c)], raw = out[size_t(d + c)];
      const double u = hi[size_t(c)] - softplus(hi[size_t(c)] - raw);
      const double log_var = lo[size_t(c)] + softplus(u - lo[size_t(c)]);
      const double scale = noise == ModelNoiseScale::std_dev ? 0.5 * log_var : log_var;
      const double z = mean + std::exp(scale) * eps[size_t(c)];
      s2[size_t(c)] += z * outn.std[size_t(m * d + c)] + outn.mean[size_t(m * d + c)];
    }
    return s2;
  }
  // Q_j(s, a) of the online (target = false) or target twin j.
  double q(int j, const Vec& s, const Vec& a, bool target) {
    ParameterList<double> all = target ? critic.target_parameters() : critic.parameters();
    const size_t half = all.size() / 2;
    ParameterList<double> net(all.begin() + long(j * half), all.begin() + long((j + 1) * half));
    return mlp(net, cat(s, a), Unary::relu)[0];
  }
};

// ---------------------------------------------------------------- reward models
// r(s, a, s') and alive(s') written as plain functions, next to the RewardModel under test.
struct RewardRef {
  std::function<double(const Vec&, const Vec&, const Vec&)> r;
  std::function<bool(const Vec&)> alive;
};

// QuadraticReward: -ws |s'|^2 - wa |a|^2 + wp (s'_0 - s_0); terminal when |s'_0| > above (> 0).
RewardRef quadratic_ref(double ws, double wa, double wp, double above) {
  return {[=](const Vec& s, const Vec& a, const Vec& s2) {
            double r = 0.0;
            for (double v : s2) r -= ws * v * v;
            for (double v : a) r -= wa * v * v;
            return r + wp * (s2[0] - s[0]);
          },
          [=](const Vec& s2) { return !(above > 0.0 && std::fabs(s2[0]) > above); }};
}

// A Hopper-like model defined here: forward progress, a healthy bonus, a control cost and
// a smooth height term; healthy while s'_1 < max_height and |s'_2| < max_angle (tape-side
// masks from inside(), no host read).
class HealthyReward : public RewardModel<double> {
 public:
  HealthyReward(double max_height, double max_angle) : max_height_(max_height), max_angle_(max_angle) {}
  Var<double> reward(Tape<double>&, Var<double> s, Var<double> a, Var<double> s2) const override {
    Var<double> progress = scale(sub(slice_cols(s2, 0, 1), slice_cols(s, 0, 1)), 1.5);
    Var<double> ctrl = scale(sum_cols(square(a)), -0.1);
    Var<double> height = scale(maac::tanh(slice_cols(s2, 1, 1)), 0.3);
    return add_scalar(add(add(progress, ctrl), height), 1.0);
  }
  Var<double> alive(Tape<double>&, Var<double> s2) const override {
    return mul(inside(slice_cols(s2, 1, 1), -kInf, max_height_), inside(slice_cols(s2, 2, 1), -max_angle_, max_angle_));
  }
  static RewardRef ref(double max_height, double max_angle) {
    return {[](const Vec& s, const Vec& a, const Vec& s2) {
              return 1.5 * (s2[0] - s[0]) - 0.1 * (a[0] * a[0] + a[1] * a[1]) + 0.3 * std::tanh(s2[1]) + 1.0;
            },
            [=](const Vec& s2) { return s2[1] < max_height && std::fabs(s2[2]) < max_angle; }};
  }

 private:
  double max_height_, max_angle_;
};

// ---------------------------------------------------------------- MAAC reference
struct MaacRef {
  Vec J;        // [N]
  double loss;  // -mean J
  std::vector<Vec> states;  // states[t][row * obs ..]: s_t for t = 0..H
  std::vector<Vec> alive;   // alive[t][row]: alive(s_{t+1})
};

// From docs/maac.md "The policy objective": rows N = P n, row p n + i starts at s0[i].
MaacRef maac_reference(Problem& P, const RewardRef& reward, double alpha, const MaacNoise<double>& z,
                       const MaacObjectiveOptions& o) {
  const int64_t n = kN, N = o.samples_per_state * n, H = o.horizon, K = o.terminal_samples;
  const bool along = o.entropy == EntropyBonus::along_path;
  MaacRef out{Vec(size_t(N)), 0.0, {}, {}};
  std::vector<Vec> s(static_cast<size_t>(N));
  for (int64_t k = 0; k < N; ++k) s[size_t(k)] = row(P.s0, k % n, kObs);
  Vec mask(size_t(N), 1.0), first_log_prob(size_t(N), 0.0);
  auto snapshot = [&] {
    Vec flat;
    for (const Vec& v : s) flat.insert(flat.end(), v.begin(), v.end());
    out.states.push_back(flat);
  };
  snapshot();
  double discount = 1.0;
  for (int64_t t = 0; t < H; ++t) {
    Vec alive_t(static_cast<size_t>(N));
    for (int64_t k = 0; k < N; ++k) {
      const auto pi = P.pi(s[size_t(k)], row(z.action_eps[size_t(t)], k, kAct));
      if (t == 0) first_log_prob[size_t(k)] = pi.log_prob;
      const Vec s2 = P.step(s[size_t(k)], pi.a, z.members[size_t(t)][size_t(k)],
                            row(z.model_eps[size_t(t)], k, kObs), o.model_noise);
      double term = reward.r(s[size_t(k)], pi.a, s2);
      if (along) term -= alpha * pi.log_prob;
      out.J[size_t(k)] += discount * mask[size_t(k)] * term;
      alive_t[size_t(k)] = reward.alive(s2) ? 1.0 : 0.0;
      mask[size_t(k)] *= alive_t[size_t(k)];
      s[size_t(k)] = s2;
    }
    out.alive.push_back(alive_t);
    snapshot();
    discount *= o.gamma;
  }
  // Terminal: K actions at s_H (sample k of row j uses terminal eps row k N + j).
  for (int64_t j = 0; j < N; ++j) {
    double value = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      const auto pi = P.pi(s[size_t(j)], row(z.terminal_eps, k * N + j, kAct));
      if (H == 0 && k == 0) first_log_prob[size_t(j)] = pi.log_prob;
      double v = std::min(P.q(0, s[size_t(j)], pi.a, false), P.q(1, s[size_t(j)], pi.a, false));
      if (along) v -= alpha * pi.log_prob;
      value += v / double(K);
    }
    out.J[size_t(j)] += discount * mask[size_t(j)] * value;
    if (!along) out.J[size_t(j)] -= alpha * first_log_prob[size_t(j)];
    out.loss -= out.J[size_t(j)] / double(N);
  }
  return out;
}

constexpr double kAlpha = 0.3;

MaacObjectiveOptions options(EnsembleEvaluation evaluation) {
  MaacObjectiveOptions o;
  o.horizon = 2;
  o.terminal_samples = 2;
  o.samples_per_state = 1;
  o.gamma = 0.9;
  o.evaluation = evaluation;
  o.termination = Termination::hard;  // the reference loop applies the 0/1 alive masks
  return o;
}

// The tape's objective (op by op, or graph mode with the noise and alpha as nodes) against
// the reference, row by row.
void compare_objective(Problem& P, const RewardModel<double>& model, const RewardRef& ref,
                       const MaacNoise<double>& z, const MaacObjectiveOptions& o, bool graph_mode,
                       const std::string& what) {
  Tape<double> tape;
  Var<double> s0 = tape.constant(Shape{kN, kObs}, P.s0.data());
  MaacObjective<double> obj =
      graph_mode ? maac_policy_objective(tape, s0, P.policy, P.model, P.critic, model, tape.filled(Shape{1, 1}, kAlpha),
                                         MaacNoiseVars<double>::from_host(tape, z, kAct, P.model.out_dim()), o)
                 : maac_policy_objective(tape, s0, P.policy, P.model, P.critic, model, kAlpha, z, o);
  const MaacRef r = maac_reference(P, ref, kAlpha, z, o);
  const int64_t N = o.samples_per_state * kN;
  REQUIRE(obj.returns.shape() == Shape{N, 1});
  for (int64_t k = 0; k < N; ++k) require_near(obj.returns.value()[k], r.J[size_t(k)], what + ": J of row " + std::to_string(k));
  require_near(obj.loss.item(), r.loss, what + ": loss");
}

// A threshold that ends at least one path at the first model step while another lives to
// the end: first[k] is the path's value after step 0, worst[k] its largest along the path
// (a row dies where the value exceeds the threshold).
double split_threshold(const Vec& first, const Vec& worst) {
  const double max_first = *std::max_element(first.begin(), first.end());
  const double min_worst = *std::min_element(worst.begin(), worst.end());
  INFO("largest first-step value " << max_first << ", smallest path maximum " << min_worst);
  REQUIRE(min_worst < max_first);
  return 0.5 * (min_worst + max_first);
}

// ---------------------------------------------------------------- STEVE reference
struct SteveRef {
  Vec means, variances, weights, target;  // [(H_c + 1) n] horizon-major, target [n]
};

// From docs/maac.md "Critic targets": member m's copy of transition i at row m n + i;
// a_1 shared; T_h^{m,j} = r + sum_{i=1..h} gamma^i m_i (r_i - alpha log pi_i)
//                          + gamma^{h+1} m_{h+1} (Q'_j(s_{h+1}, a_{h+1}) - alpha log pi_{h+1}).
SteveRef steve_reference(Problem& P, const RewardRef& reward, const Vec& r, const Vec& alive, const Vec& s_next,
                         double alpha, const SteveNoise<double>& z, const SteveOptions& o) {
  const int64_t n = int64_t(r.size()), M = kM, Hc = o.horizon;
  std::vector<Vec> s(size_t(M * n)), a(size_t(M * n));
  Vec logp(size_t(M * n)), ret(size_t(M * n)), mask(size_t(M * n));
  for (int64_t i = 0; i < n; ++i) {
    const auto pi = P.pi(row(s_next, i, kObs), row(z.next_eps, i, kAct));
    for (int64_t m = 0; m < M; ++m) {
      const size_t k = size_t(m * n + i);
      s[k] = row(s_next, i, kObs);
      a[k] = pi.a;
      logp[k] = pi.log_prob;
      ret[k] = r[size_t(i)];
      mask[k] = alive[size_t(i)];
    }
  }
  SteveRef out;
  double disc = o.gamma;
  for (int64_t h = 0; h <= Hc; ++h) {
    for (int64_t i = 0; i < n; ++i) {
      Vec values;
      double sum_min = 0.0;
      for (int64_t m = 0; m < M; ++m) {
        const size_t k = size_t(m * n + i);
        const double v1 = ret[k] + disc * mask[k] * (P.q(0, s[k], a[k], true) - alpha * logp[k]);
        const double v2 = ret[k] + disc * mask[k] * (P.q(1, s[k], a[k], true) - alpha * logp[k]);
        sum_min += std::min(v1, v2);
        if (o.variance == SteveVariance::members_and_twins) {
          values.push_back(v1);
          values.push_back(v2);
        } else {
          values.push_back(std::min(v1, v2));
        }
      }
      double mu = 0.0, var = 0.0;
      for (double v : values) mu += v;
      mu /= double(values.size());
      for (double v : values) var += (v - mu) * (v - mu);
      out.means.push_back(sum_min / double(M));
      out.variances.push_back(var / double(values.size()));
    }
    if (h == Hc) break;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t i = 0; i < n; ++i) {
        const size_t k = size_t(m * n + i);
        const Vec s2 = P.step(s[k], a[k], m, row(z.model_eps[size_t(h)], int64_t(k), kObs), o.model_noise);
        ret[k] += disc * mask[k] * (reward.r(s[k], a[k], s2) - alpha * logp[k]);
        mask[k] *= reward.alive(s2) ? 1.0 : 0.0;
        s[k] = s2;
        const auto pi = P.pi(s2, row(z.action_eps[size_t(h)], int64_t(k), kAct));
        a[k] = pi.a;
        logp[k] = pi.log_prob;
      }
    disc *= o.gamma;
  }
  // w_h = 1 / (var_h + eps), normalised per row; target = sum_h w_h mean_h.
  out.weights.resize(out.means.size());
  out.target.assign(size_t(n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double total = 0.0;
    for (int64_t h = 0; h <= Hc; ++h) total += 1.0 / (out.variances[size_t(h * n + i)] + o.variance_eps);
    for (int64_t h = 0; h <= Hc; ++h) {
      const size_t k = size_t(h * n + i);
      out.weights[k] = 1.0 / (out.variances[k] + o.variance_eps) / total;
      out.target[size_t(i)] += out.weights[k] * out.means[k];
    }
  }
  return out;
}

void require_variance_near(double got, double want, const std::string& what) {
  INFO(what << ": got " << got << ", reference " << want);
  REQUIRE(std::fabs(got - want) <= kTol * std::fabs(want) + 1e-14);
}

}  // namespace

TEST_CASE("MAAC objective at H = 2, K = 2 equals a plain float64 loop") {
  struct Case {
    const char* name;
    EnsembleEvaluation evaluation;
    bool graph_mode;
    EntropyBonus entropy;
    MemberChoice members;
    ModelNoiseScale noise;
    int64_t P;
  };
  const Case cases[] = {
      {"routed", EnsembleEvaluation::routed, false, EntropyBonus::along_path, MemberChoice::per_step,
       ModelNoiseScale::std_dev, 1},
      {"all members then select", EnsembleEvaluation::all_then_select, false, EntropyBonus::along_path,
       MemberChoice::per_step, ModelNoiseScale::std_dev, 1},
      {"graph mode", EnsembleEvaluation::all_then_select, true, EntropyBonus::along_path, MemberChoice::per_step,
       ModelNoiseScale::std_dev, 1},
      {"first-action entropy, per-trajectory members, variance noise, P = 2, routed", EnsembleEvaluation::routed, false,
       EntropyBonus::first_action, MemberChoice::per_trajectory, ModelNoiseScale::variance, 2},
      {"first-action entropy, per-trajectory members, variance noise, P = 2, all then select",
       EnsembleEvaluation::all_then_select, false, EntropyBonus::first_action, MemberChoice::per_trajectory,
       ModelNoiseScale::variance, 2},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Problem P;
      QuadraticReward<double> reward(0.5, 0.1, 1.0);
      MaacObjectiveOptions o = options(c.evaluation);
      o.entropy = c.entropy;
      o.member_choice = c.members;
      o.model_noise = c.noise;
      o.samples_per_state = c.P;
      Rng noise_rng(41);
      const auto z = MaacNoise<double>::draw(o, kN, P.model, kAct, noise_rng);
      compare_objective(P, reward, quadratic_ref(0.5, 0.1, 1.0, 0.0), z, o, c.graph_mode, c.name);
      // The reference exercised what it claims to: the log-std clamp at both ends and more
      // than one member.
      CHECK(P.clamped_low > 0);
      CHECK(P.clamped_high > 0);
      std::set<int32_t> used;
      for (const auto& step : z.members) used.insert(step.begin(), step.end());
      CHECK(used.size() > 1);
    }
  }
}

TEST_CASE("MAAC objective at H = 0 with K P samples per start state equals a plain float64 loop") {
  // No model step: the terminal samples are taken at the start states themselves.
  for (EntropyBonus entropy : {EntropyBonus::along_path, EntropyBonus::first_action})
    for (bool graph_mode : {false, true}) {
      Problem P;
      QuadraticReward<double> reward(0.5, 0.1, 1.0);
      MaacObjectiveOptions o = options(EnsembleEvaluation::all_then_select);
      o.horizon = 0;
      o.terminal_samples = 3;
      o.samples_per_state = 2;
      o.entropy = entropy;
      Rng noise_rng(43);
      const auto z = MaacNoise<double>::draw(o, kN, P.model, kAct, noise_rng);
      compare_objective(P, reward, quadratic_ref(0.5, 0.1, 1.0, 0.0), z, o, graph_mode,
                        std::string("H = 0, K = 3, P = 2, ") + (graph_mode ? "graph mode, " : "") +
                            (entropy == EntropyBonus::along_path ? "along the path" : "first action"));
    }
}

TEST_CASE("MAAC objective with a termination inside the path equals a plain float64 loop") {
  Problem P;
  for (EnsembleEvaluation evaluation : {EnsembleEvaluation::routed, EnsembleEvaluation::all_then_select}) {
    MaacObjectiveOptions o = options(evaluation);
    o.samples_per_state = 2;  // N = 6 paths
    Rng noise_rng(43);
    const auto z = MaacNoise<double>::draw(o, kN, P.model, kAct, noise_rng);
    const int64_t N = 2 * kN;
    // The paths without termination give the thresholds.
    const MaacRef free = maac_reference(P, quadratic_ref(0.5, 0.1, 1.0, 0.0), kAlpha, z, o);
    SECTION(std::string("QuadraticReward, |s'_0| above a threshold, ") +
            (evaluation == EnsembleEvaluation::routed ? "routed" : "all then select")) {
      Vec first(static_cast<size_t>(N)), worst(static_cast<size_t>(N));
      for (int64_t k = 0; k < N; ++k) {
        first[size_t(k)] = std::fabs(free.states[1][size_t(k * kObs)]);
        worst[size_t(k)] = std::max(first[size_t(k)], std::fabs(free.states[2][size_t(k * kObs)]));
      }
      const double above = split_threshold(first, worst);
      QuadraticReward<double> reward(0.5, 0.1, 1.0, above);
      const RewardRef ref = quadratic_ref(0.5, 0.1, 1.0, above);
      const MaacRef r = maac_reference(P, ref, kAlpha, z, o);
      // Some path ends after step 0 (its step-1 reward and terminal value drop), one lives.
      REQUIRE(std::count(r.alive[0].begin(), r.alive[0].end(), 0.0) > 0);
      bool one_lives = false;
      for (int64_t k = 0; k < N; ++k) one_lives |= r.alive[0][size_t(k)] * r.alive[1][size_t(k)] == 1.0;
      REQUIRE(one_lives);
      compare_objective(P, reward, ref, z, o, false, "quadratic termination");
      // And the masks matter: the returns differ from the never-terminating ones.
      int differ = 0;
      for (int64_t k = 0; k < N; ++k) differ += std::fabs(r.J[size_t(k)] - free.J[size_t(k)]) > 1e-6;
      REQUIRE(differ > 0);
      REQUIRE(differ < N);
    }
    SECTION(std::string("a Hopper-like healthy check built from inside(), ") +
            (evaluation == EnsembleEvaluation::routed ? "routed" : "all then select")) {
      Vec first(static_cast<size_t>(N)), worst(static_cast<size_t>(N));
      for (int64_t k = 0; k < N; ++k) {
        first[size_t(k)] = free.states[1][size_t(k * kObs + 1)];
        worst[size_t(k)] = std::max(first[size_t(k)], free.states[2][size_t(k * kObs + 1)]);
      }
      const double max_height = split_threshold(first, worst);
      const double max_angle = 50.0;  // the second mask stays 1: the product is still exercised
      HealthyReward reward(max_height, max_angle);
      const RewardRef ref = HealthyReward::ref(max_height, max_angle);
      const MaacRef r = maac_reference(P, ref, kAlpha, z, o);
      REQUIRE(std::count(r.alive[0].begin(), r.alive[0].end(), 0.0) > 0);
      compare_objective(P, reward, ref, z, o, false, "healthy termination");
      if (evaluation == EnsembleEvaluation::all_then_select)
        compare_objective(P, reward, ref, z, o, true, "healthy termination, graph mode");
    }
  }
}

TEST_CASE("the TD target equals a plain float64 loop") {
  Problem P;
  Rng rng(47);
  const Vec r = rng.normal_vector<double>(kN), alive{1, 0, 1}, s_next = rng.normal_vector<double>(kN * kObs);
  const Vec eps = rng.normal_vector<double>(kN * kAct);
  const double gamma = 0.9;
  Tape<double> tape;
  Var<double> y = td_target_var(P.policy, P.critic, tape.constant(Shape{kN, 1}, r.data()),
                                tape.constant(Shape{kN, 1}, alive.data()), tape.constant(Shape{kN, kObs}, s_next.data()),
                                tape.constant(Shape{kN, kAct}, eps.data()), tape.filled(Shape{1, 1}, kAlpha), gamma);
  for (int64_t i = 0; i < kN; ++i) {
    // y = r + gamma alive (min_j Q'_j(s', a') - alpha log pi(a'|s')), target critics.
    const Vec s = row(s_next, i, kObs);
    const auto pi = P.pi(s, row(eps, i, kAct));
    const double v = std::min(P.q(0, s, pi.a, true), P.q(1, s, pi.a, true)) - kAlpha * pi.log_prob;
    const double want = r[size_t(i)] + gamma * alive[size_t(i)] * v;
    require_near(y.value()[i], want, "td_target_var row " + std::to_string(i));
  }
}

TEST_CASE("STEVE per-horizon means, variances, weights and targets equal plain float64 loops") {
  Problem P;
  Rng rng(53);
  const Vec r = rng.normal_vector<double>(kN), alive{1, 0, 1}, s_next = rng.normal_vector<double>(kN * kObs);
  bool rollout_terminated = false;
  for (int64_t horizon : {0, 1, 2})
    for (SteveVariance variance : {SteveVariance::members_and_twins, SteveVariance::authors_zero_h0})
      for (ModelNoiseScale noise_scale : {ModelNoiseScale::std_dev, ModelNoiseScale::variance})
        for (bool terminating : {false, true}) {
          if (terminating && horizon == 0) continue;  // no model step to end
          SteveOptions o;
          o.horizon = horizon;
          o.gamma = 0.9;
          o.variance = variance;
          o.model_noise = noise_scale;
          const SteveNoise<double> z = SteveNoise<double>::draw(o, kN, P.model, kAct, rng);
          // The terminating reward ends some member rollouts at their first model step:
          // the threshold sits between the |s_2,0| of the member rows (found without it).
          double above = 0.0;
          if (terminating) {
            Vec first;
            // s_2 of every (m, i): one model step from s' with the shared a_1.
            for (int64_t m = 0; m < kM; ++m)
              for (int64_t i = 0; i < kN; ++i) {
                const auto pi = P.pi(row(s_next, i, kObs), row(z.next_eps, i, kAct));
                const Vec s2 = P.step(row(s_next, i, kObs), pi.a, m, row(z.model_eps[0], m * kN + i, kObs), noise_scale);
                first.push_back(std::fabs(s2[0]));
              }
            std::sort(first.begin(), first.end());
            above = 0.5 * (first[first.size() / 2 - 1] + first[first.size() / 2]);
          }
          CAPTURE(horizon, int(variance), int(noise_scale), terminating, above);
          QuadraticReward<double> reward(0.5, 0.1, 1.0, above);
          const RewardRef ref_reward = quadratic_ref(0.5, 0.1, 1.0, above);
          const SteveRef ref = steve_reference(P, ref_reward, r, alive, s_next, kAlpha, z, o);
          if (terminating) {
            const SteveRef free = steve_reference(P, quadratic_ref(0.5, 0.1, 1.0, 0.0), r, alive, s_next, kAlpha, z, o);
            for (size_t k = 0; k < ref.means.size(); ++k) rollout_terminated |= std::fabs(ref.means[k] - free.means[k]) > 1e-6;
          }
          Tape<double> tape;
          const SteveTargetVars<double> ops = steve_targets_var(
              P.policy, P.model, P.critic, reward, tape.constant(Shape{kN, 1}, r.data()),
              tape.constant(Shape{kN, 1}, alive.data()), tape.constant(Shape{kN, kObs}, s_next.data()),
              tape.filled(Shape{1, 1}, kAlpha), SteveNoiseVars<double>::on_tape(tape, z, kN, kAct, P.model), o);
          REQUIRE(ref.means.size() == size_t((o.horizon + 1) * kN));
          REQUIRE(ops.means.size() == size_t(o.horizon + 1));
          for (int64_t h = 0; h <= o.horizon; ++h)
            for (int64_t i = 0; i < kN; ++i) {
              const size_t k = size_t(h * kN + i);
              const std::string at = " h = " + std::to_string(h) + ", row " + std::to_string(i);
              require_near(ops.means[size_t(h)].value()[i], ref.means[k], "op mean" + at);
              require_variance_near(ops.variances[size_t(h)].value()[i], ref.variances[k], "op variance" + at);
              require_near(ops.weights[size_t(h)].value()[i], ref.weights[k], "op weight" + at);
            }
          for (int64_t i = 0; i < kN; ++i) {
            require_near(ops.target.value()[i], ref.target[size_t(i)], "op target row " + std::to_string(i));
            // Weights sum to 1 per row.
            double total = 0.0;
            for (int64_t h = 0; h <= o.horizon; ++h) total += ref.weights[size_t(h * kN + i)];
            REQUIRE(total == Approx(1.0).epsilon(1e-14));
          }
          // The terminated transition (row 1): every candidate is r, variances 0, equal weights.
          for (int64_t h = 0; h <= o.horizon; ++h) {
            require_near(ref.means[size_t(h * kN + 1)], r[1], "terminated transition's mean");
            REQUIRE(ref.variances[size_t(h * kN + 1)] < 1e-28);
            REQUIRE(ref.weights[size_t(h * kN + 1)] == Approx(1.0 / double(o.horizon + 1)).epsilon(1e-14));
          }
          // h = 0: the twin spread only (members share a_1), or exactly 0 in the authors' mode.
          for (int64_t i : {0, 2}) {
            if (variance == SteveVariance::authors_zero_h0) {
              REQUIRE(ref.variances[size_t(i)] < 1e-28);
              REQUIRE(ops.variances[0].value()[i] == 0.0);
            } else {
              REQUIRE(ref.variances[size_t(i)] > 1e-8);
            }
          }
        }
  REQUIRE(rollout_terminated);
}

// ---------------------------------------------------------------- SVG(1) references
namespace {

// Member m's Gaussian over the normalised target at (s, a): mean and bounded log-variance
// (the math of Problem::step, stopped before sampling).
struct Gaussian {
  Vec mean, log_var;
};
Gaussian model_gaussian(Problem& P, const Vec& s, const Vec& a, int64_t m) {
  const auto& in = P.model.input_normalizer();
  Vec x = cat(s, a);
  for (int64_t k = 0; k < kObs + kAct; ++k)
    x[size_t(k)] = (x[size_t(k)] - in.mean[size_t(m * (kObs + kAct) + k)]) / in.std[size_t(m * (kObs + kAct) + k)];
  const Vec out = mlp(P.model.network().parameters(), x, Unary::silu, m);
  const Vec& hi = P.model.max_log_var().value().host();
  const Vec& lo = P.model.min_log_var().value().host();
  Gaussian g;
  for (int64_t c = 0; c < kObs; ++c) {
    const double u = hi[size_t(c)] - softplus(hi[size_t(c)] - out[size_t(kObs + c)]);
    g.mean.push_back(out[size_t(c)]);
    g.log_var.push_back(lo[size_t(c)] + softplus(u - lo[size_t(c)]));
  }
  return g;
}

// xi = (norm_m(s' - s) - mu_m(s, a)) / exp(scale), scale = logvar / 2 (std) or logvar.
Vec inferred_noise_ref(Problem& P, const Vec& s, const Vec& a, const Vec& s_next, int64_t m, ModelNoiseScale noise) {
  const auto& outn = P.model.target_normalizer();
  const Gaussian g = model_gaussian(P, s, a, m);
  Vec xi;
  for (int64_t c = 0; c < kObs; ++c) {
    const double z = (s_next[size_t(c)] - s[size_t(c)] - outn.mean[size_t(m * kObs + c)]) / outn.std[size_t(m * kObs + c)];
    const double scale = noise == ModelNoiseScale::std_dev ? 0.5 * g.log_var[size_t(c)] : g.log_var[size_t(c)];
    xi.push_back((z - g.mean[size_t(c)]) / std::exp(scale));
  }
  return xi;
}

double value_ref(ValueFunction<double>& V, const Vec& s, bool target) {
  return mlp(target ? V.target_parameters() : V.parameters(), s, Unary::relu)[0];
}

// A batch of real transitions: s, a_obs, r_obs, s'_obs, terminated.
struct RealBatch {
  Vec s, a, r, s_next, alive;
  explicit RealBatch(Rng& rng)
      : s(rng.normal_vector<double>(kN * kObs)),
        r(rng.normal_vector<double>(kN)),
        s_next(rng.normal_vector<double>(kN * kObs)),
        alive{1, 0, 1} {
    for (int64_t i = 0; i < kN * kAct; ++i) a.push_back(rng.uniform(-0.9, 0.9));
  }
  RealTransitions<double> on(Tape<double>& tape) const {
    return {tape.constant(Shape{kN, kObs}, s.data()), tape.constant(Shape{kN, kAct}, a.data()),
            tape.constant(Shape{kN, 1}, r.data()), tape.constant(Shape{kN, kObs}, s_next.data())};
  }
};

// From rl/svg_objective.hpp: J_i = r(s, a, s') + gamma alive(s') V(s') - alpha log pi(a|s),
// a = pi(s; eps), s' = f_m(s, a, xi), xi inferred from the observed transition.
Vec svg1_returns_ref(Problem& P, ValueFunction<double>& V, const RewardRef& reward, const RealBatch& b,
                     const SvgNoise<double>& z, double gamma, ModelNoiseScale noise, int64_t* ended = nullptr) {
  Vec J;
  for (int64_t i = 0; i < kN; ++i) {
    const Vec s = row(b.s, i, kObs);
    const int64_t m = z.members[size_t(i)];
    const Vec xi = inferred_noise_ref(P, s, row(b.a, i, kAct), row(b.s_next, i, kObs), m, noise);
    const auto pi = P.pi(s, row(z.action_eps, i, kAct));
    const Vec s2 = P.step(s, pi.a, m, xi, noise);
    const double alive = reward.alive(s2) ? 1.0 : 0.0;
    if (ended) *ended += alive == 0.0 ? 1 : 0;
    J.push_back(reward.r(s, pi.a, s2) + gamma * alive * value_ref(V, s2, false) - kAlpha * pi.log_prob);
  }
  return J;
}

}  // namespace

TEST_CASE("SVG(1) inferred noise equals a plain float64 loop and reproduces the observed next state") {
  Problem P;
  Rng rng(61);
  const RealBatch b(rng);
  const std::vector<int32_t> members{2, 0, 2};
  for (EnsembleEvaluation evaluation : {EnsembleEvaluation::routed, EnsembleEvaluation::all_then_select})
    for (ModelNoiseScale noise : {ModelNoiseScale::std_dev, ModelNoiseScale::variance}) {
      CAPTURE(int(evaluation), int(noise));
      Tape<double> tape;
      const RealTransitions<double> t = b.on(tape);
      Var<double> xi = P.model.infer_noise_rows(tape, t.s, t.a, sub(t.s_next, t.s), members, evaluation, noise);
      REQUIRE_FALSE(xi.requires_grad());
      Var<double> s2 = P.model.next_state_rows(tape, t.s, t.a, members, xi, evaluation, noise);
      for (int64_t i = 0; i < kN; ++i) {
        const Vec want = inferred_noise_ref(P, row(b.s, i, kObs), row(b.a, i, kAct), row(b.s_next, i, kObs),
                                            members[size_t(i)], noise);
        for (int64_t c = 0; c < kObs; ++c) {
          const std::string at = "row " + std::to_string(i) + ", column " + std::to_string(c);
          require_near(xi.value()[i * kObs + c], want[size_t(c)], "xi " + at);
          require_near(s2.value()[i * kObs + c], b.s_next[size_t(i * kObs + c)], "reproduced s' " + at);
        }
      }
    }
}

TEST_CASE("SVG(1) actor loss and its policy gradient equal a plain float64 loop") {
  Problem P;
  Rng rng(67);
  ValueFunction<double> V(kObs, Problem::critic_options(), rng);
  const RealBatch b(rng);
  const double gamma = 0.9;
  for (ModelNoiseScale noise : {ModelNoiseScale::std_dev, ModelNoiseScale::variance})
    for (double above : {0.0, 1.2}) {
      CAPTURE(int(noise), above);
      QuadraticReward<double> reward(0.5, 0.1, 1.0, above);
      const RewardRef ref = quadratic_ref(0.5, 0.1, 1.0, above);
      const SvgNoise<double> z = SvgNoise<double>::draw(kN, P.model, kAct, rng);
      SvgObjectiveOptions o;
      o.gamma = gamma;
      o.model_noise = noise;
      o.termination = Termination::hard;  // the reference loop applies the 0/1 alive mask
      double loss = NAN;
      auto run = [&] {
        Tape<double> tape;
        zero_grad(P.policy.parameters());
        zero_grad(P.model.parameters());
        zero_grad(V.parameters());
        SvgObjective<double> obj = svg1_policy_objective(tape, b.on(tape), P.policy, P.model, V, reward, kAlpha, z, o);
        tape.backward(obj.loss);
        loss = obj.loss.item();
        return obj.returns.to_host();
      };
      const Vec J = run();
      int64_t ended = 0;
      const Vec want = svg1_returns_ref(P, V, ref, b, z, gamma, noise, &ended);
      // The terminating reward ends some rows' model step and not others.
      if (above > 0.0) CHECK((ended > 0 && ended < kN));
      double loss_ref = 0.0;
      for (int64_t i = 0; i < kN; ++i) {
        require_near(J[size_t(i)], want[size_t(i)], "J row " + std::to_string(i));
        loss_ref -= want[size_t(i)] / double(kN);
      }
      require_near(loss, loss_ref, "loss");
      // The gradient reaches the policy only, and equals central differences of the loop
      // (xi depends on the model and the data alone, so it stays fixed under them).
      for (Parameter<double>* p : P.model.parameters())
        for (double g : p->grad().host()) REQUIRE(g == 0.0);
      for (Parameter<double>* p : V.parameters())
        for (double g : p->grad().host()) REQUIRE(g == 0.0);
      for (Parameter<double>* p : P.policy.parameters()) {
        const Vec grad = p->grad().host();
        for (size_t k = 0; k < grad.size(); ++k) {
          double& w = p->value().host()[k];
          const double w0 = w, h = 1e-6;
          auto loss_at = [&](double x) {
            w = x;
            const Vec Jx = svg1_returns_ref(P, V, ref, b, z, gamma, noise);
            double l = 0.0;
            for (double v : Jx) l -= v / double(kN);
            return l;
          };
          const double numeric = (loss_at(w0 + h) - loss_at(w0 - h)) / (2 * h);
          w = w0;
          INFO(p->name() << "[" << k << "]: analytic " << grad[k] << ", numeric " << numeric);
          REQUIRE(std::fabs(grad[k] - numeric) <= 1e-5 + 1e-3 * std::fabs(numeric));
        }
      }
    }
}

TEST_CASE("SVG(1) value target equals a plain float64 loop") {
  Problem P;
  Rng rng(71);
  ValueFunction<double> V(kObs, Problem::critic_options(), rng);
  // The target V differs from the online one, so using the wrong one would show.
  for (Parameter<double>* p : V.target_parameters())
    for (double& v : p->value().host()) v += rng.uniform(-0.05, 0.05);
  const RealBatch b(rng);
  const Vec eps = rng.normal_vector<double>(kN * kAct);
  const double gamma = 0.9;
  Tape<double> tape;
  Var<double> y = svg1_value_target(tape, b.on(tape), tape.constant(Shape{kN, 1}, b.alive.data()), P.policy, V, kAlpha,
                                    tape.constant(Shape{kN, kAct}, eps.data()), gamma);
  REQUIRE_FALSE(y.requires_grad());
  for (int64_t i = 0; i < kN; ++i) {
    // y = r_obs - alpha log pi(a_hat|s) + gamma alive V'(s'_obs), a_hat = pi(s; eps).
    const auto pi = P.pi(row(b.s, i, kObs), row(eps, i, kAct));
    const double want = b.r[size_t(i)] - kAlpha * pi.log_prob +
                        gamma * b.alive[size_t(i)] * value_ref(V, row(b.s_next, i, kObs), true);
    require_near(y.value()[i], want, "value target row " + std::to_string(i));
  }
  // Its loss is mean (V(s) - y)^2 with the online V.
  Var<double> loss = V.loss(tape, b.on(tape).s, y);
  double want = 0.0;
  for (int64_t i = 0; i < kN; ++i) {
    const double d = value_ref(V, row(b.s, i, kObs), false) - y.value()[i];
    want += d * d / double(kN);
  }
  require_near(loss.item(), want, "value loss");
}
