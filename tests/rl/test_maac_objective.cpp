// The MAAC policy objective: float64 gradient checks through the whole H-step path,
// routed against all-members evaluation, the H = 0 SAC limit, and termination masks.
#include <catch2/catch.hpp>
#include <cmath>

#include "autodiff/gradcheck.hpp"
#include "rl/captured_actor_update.hpp"
#include "rl/captured_critic_update.hpp"
#include "rl/maac_objective.hpp"
#include "rl_fixture.hpp"

using namespace maac;
using namespace maac::rl;
using maac::rl::test::TinySetup;

namespace {

constexpr double kAlpha = 0.2;

struct Evaluation {
  double loss;
  std::vector<double> grads;  // the policy's parameter gradients, concatenated
};

Evaluation evaluate(TinySetup& t, const RewardModel<double>& reward, const MaacNoise<double>& noise,
                    const MaacObjectiveOptions& o) {
  Tape<double> tape;
  zero_grad(t.policy.parameters());
  auto obj = maac_policy_objective(tape, tape.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                   reward, kAlpha, noise, o);
  tape.backward(obj.loss);
  Evaluation e{obj.loss.item(), {}};
  for (Parameter<double>* p : t.policy.parameters())
    e.grads.insert(e.grads.end(), p->grad().host().begin(), p->grad().host().end());
  return e;
}

bool all_zero(const ParameterList<double>& ps) {
  for (Parameter<double>* p : ps)
    for (double g : p->grad().host())
      if (g != 0.0) return false;
  return true;
}

}  // namespace

TEST_CASE("MAAC objective gradient w.r.t. the policy matches finite differences") {
  struct Case {
    const char* name;
    int64_t H, K, P;
    EntropyBonus entropy;
    MemberChoice members;
    EnsembleEvaluation evaluation;
    ModelNoiseScale noise;
    double terminate_above;
  };
  const Case cases[] = {
      {"H=0", 0, 1, 1, EntropyBonus::along_path, MemberChoice::per_step, EnsembleEvaluation::routed,
       ModelNoiseScale::std_dev, 0.0},
      {"H=0 K=2 P=2 first-action", 0, 2, 2, EntropyBonus::first_action, MemberChoice::per_step,
       EnsembleEvaluation::routed, ModelNoiseScale::std_dev, 0.0},
      {"H=1 K=2", 1, 2, 1, EntropyBonus::along_path, MemberChoice::per_step, EnsembleEvaluation::routed,
       ModelNoiseScale::std_dev, 0.0},
      {"H=3 K=2 P=2 first-action per-trajectory", 3, 2, 2, EntropyBonus::first_action, MemberChoice::per_trajectory,
       EnsembleEvaluation::routed, ModelNoiseScale::std_dev, 0.0},
      {"H=3 K=3 all-members variance-noise terminating", 3, 3, 1, EntropyBonus::along_path, MemberChoice::per_step,
       EnsembleEvaluation::all_then_select, ModelNoiseScale::variance, 0.7},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      TinySetup t;
      QuadraticReward<double> reward(0.5, 0.1, 1.0, c.terminate_above);
      MaacObjectiveOptions o;
      o.horizon = c.H;
      o.terminal_samples = c.K;
      o.samples_per_state = c.P;
      o.entropy = c.entropy;
      o.member_choice = c.members;
      o.evaluation = c.evaluation;
      o.model_noise = c.noise;
      o.termination = Termination::hard;  // 0/1 masks: some paths end, the rest are untouched
      Rng noise_rng(17);
      auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
      GradcheckFn fn = [&](Tape<double>& tape, const std::vector<Var<double>>&) {
        return maac_policy_objective(tape, tape.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                     reward, kAlpha, noise, o)
            .loss;
      };
      GradcheckReport r = gradcheck(std::string("maac ") + c.name, fn, {}, t.policy.parameters());
      INFO(r.name << ": " << r.checked << " entries, " << r.failed << " failed, worst " << r.worst);
      REQUIRE(r.checked == parameter_count(t.policy.parameters()));
      REQUIRE(r.passed());
      // Model, critic and target parameters are read frozen: they receive nothing.
      REQUIRE(all_zero(t.model.parameters()));
      REQUIRE(all_zero(t.critic.parameters()));
      REQUIRE(all_zero(t.critic.target_parameters()));
      if (c.terminate_above > 0.0) {
        // Some, not all, paths terminate, so the masks are exercised in the check.
        Tape<double> tape;
        QuadraticReward<double> never(0.5, 0.1, 1.0);
        Var<double> s = tape.constant(Shape{t.n, t.obs}, t.s0.data());
        auto with = maac_policy_objective(tape, s, t.policy, t.model, t.critic, reward, kAlpha, noise, o).returns;
        auto without = maac_policy_objective(tape, s, t.policy, t.model, t.critic, never, kAlpha, noise, o).returns;
        int differ = 0;
        for (int64_t i = 0; i < t.n; ++i) differ += with.value()[i] != without.value()[i];
        REQUIRE(differ > 0);
        REQUIRE(differ < t.n);
      }
    }
  }
}

TEST_CASE("routed and all-members-then-select give the same objective and gradients") {
  for (int64_t H : {1, 3}) {
    TinySetup t;
    QuadraticReward<double> reward(0.5, 0.1, 1.0);
    MaacObjectiveOptions o;
    o.horizon = H;
    o.terminal_samples = 2;
    o.samples_per_state = 3;
    Rng noise_rng(23);
    auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
    Evaluation routed = evaluate(t, reward, noise, o);
    o.evaluation = EnsembleEvaluation::all_then_select;
    Evaluation all = evaluate(t, reward, noise, o);
    REQUIRE(routed.loss == Approx(all.loss).epsilon(1e-12));
    REQUIRE(routed.grads.size() == all.grads.size());
    for (size_t i = 0; i < all.grads.size(); ++i) REQUIRE(routed.grads[i] == Approx(all.grads[i]).margin(1e-12));
    // And the path matters: another member choice changes the value.
    for (auto& m : noise.members)
      for (int32_t& k : m) k = (k + 1) % 3;
    REQUIRE(evaluate(t, reward, noise, o).loss != Approx(all.loss).epsilon(1e-9));
  }
}

TEST_CASE("H = 0 is the SAC actor loss, computed independently") {
  TinySetup t;
  QuadraticReward<double> reward(0.5, 0.1);
  for (EntropyBonus entropy : {EntropyBonus::along_path, EntropyBonus::first_action}) {
    MaacObjectiveOptions o;
    o.horizon = 0;
    o.terminal_samples = 1;
    o.entropy = entropy;
    Rng noise_rng(29);
    auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
    double maac = evaluate(t, reward, noise, o).loss;

    // By hand from the policy's mu and log-std: a = tanh(u), log pi with the tanh correction.
    Tape<double> tape;
    Var<double> s = tape.constant(Shape{t.n, t.obs}, t.s0.data());
    auto d = t.policy.distribution(tape, s);
    std::vector<double> a(t.n * t.act), logp(t.n, 0.0);
    for (int64_t i = 0; i < t.n * t.act; ++i) {
      double sd = std::exp(d.log_std.value()[i]), e = noise.terminal_eps[i], u = d.mu.value()[i] + sd * e;
      a[i] = std::tanh(u);
      logp[i / t.act] += -0.5 * e * e - std::log(sd) - 0.5 * std::log(2 * M_PI) - std::log(1 - a[i] * a[i]);
    }
    Var<double> q = t.critic.min_q(tape, s, tape.constant(Shape{t.n, t.act}, a.data()));
    double sac = 0;
    for (int64_t i = 0; i < t.n; ++i) sac += (kAlpha * logp[i] - q.value()[i]) / t.n;
    REQUIRE(maac == Approx(sac).epsilon(1e-9));
    // And the library's SAC loss agrees, value and gradient.
    Tape<double> t2;
    zero_grad(t.policy.parameters());
    Var<double> l = sac_actor_loss(t2, t2.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.critic, kAlpha,
                                   t2.constant(Shape{t.n, t.act}, noise.terminal_eps.data()));
    REQUIRE(l.item() == Approx(sac).epsilon(1e-12));
  }
}

TEST_CASE("termination masks later rewards and the terminal value") {
  TinySetup t;
  MaacObjectiveOptions o;
  o.horizon = 3;
  o.terminal_samples = 2;
  Rng noise_rng(31);
  auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
  // Every path terminates at its first step: only r_0 - alpha log pi(a_0|s_0) remains.
  QuadraticReward<double> ends_at_once(0.5, 0.1, 1.0, 1e-12);
  Tape<double> tape;
  Var<double> s = tape.constant(Shape{t.n, t.obs}, t.s0.data());
  auto J = maac_policy_objective(tape, s, t.policy, t.model, t.critic, ends_at_once, kAlpha, noise, o).returns;
  auto pi = t.policy.sample(tape, s, tape.constant(Shape{t.n, t.act}, noise.action_eps[0].data()));
  Var<double> s1 = t.model.next_state_rows(tape, s, pi.action, noise.members[0],
                                           tape.constant(Shape{t.n, t.obs}, noise.model_eps[0].data()));
  Var<double> r0 = ends_at_once.reward(tape, s, pi.action, s1);
  for (int64_t i = 0; i < t.n; ++i)
    REQUIRE(J.value()[i] == Approx(r0.value()[i] - kAlpha * pi.log_prob.value()[i]).epsilon(1e-12));
  // Without termination the value differs.
  QuadraticReward<double> never(0.5, 0.1, 1.0);
  auto J2 = maac_policy_objective(tape, s, t.policy, t.model, t.critic, never, kAlpha, noise, o).returns;
  REQUIRE(J2.value()[0] != Approx(J.value()[0]).epsilon(1e-6));
}

TEST_CASE("MAAC objective checks its noise and options") {
  TinySetup t;
  QuadraticReward<double> reward(0.5, 0.1);
  MaacObjectiveOptions o;
  o.horizon = 2;
  Rng rng(1);
  auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, rng);
  Tape<double> tape;
  Var<double> s = tape.constant(Shape{t.n, t.obs}, t.s0.data());
  MaacObjectiveOptions longer = o;
  longer.horizon = 3;
  REQUIRE_THROWS_AS(maac_policy_objective(tape, s, t.policy, t.model, t.critic, reward, kAlpha, noise, longer),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(maac_policy_objective(tape, s, t.policy, t.model, t.critic, reward, -1.0, noise, o),
                    std::invalid_argument);
  MaacObjectiveOptions bad = o;
  bad.terminal_samples = 0;
  REQUIRE_THROWS_AS(MaacNoise<double>::draw(bad, t.n, t.model, t.act, rng), std::invalid_argument);
}

namespace {
// The graph-mode entry point (noise as nodes, device member ids, alpha a [1, 1] node) on a
// cpu tape, where the "device" ids are host memory.
Evaluation evaluate_graph_mode(TinySetup& t, const RewardModel<double>& reward, const MaacNoise<double>& noise,
                               const MaacObjectiveOptions& o) {
  Tape<double> tape;
  zero_grad(t.policy.parameters());
  MaacNoiseVars<double> z = MaacNoiseVars<double>::from_host(tape, noise, t.act, t.model.out_dim());
  const double alpha = kAlpha;
  auto obj = maac_policy_objective(tape, tape.constant(Shape{t.n, t.obs}, t.s0.data()), t.policy, t.model, t.critic,
                                   reward, tape.constant(Shape{1, 1}, &alpha), z, o);
  tape.backward(obj.loss);
  Evaluation e{obj.loss.item(), {}};
  for (Parameter<double>* p : t.policy.parameters())
    e.grads.insert(e.grads.end(), p->grad().host().begin(), p->grad().host().end());
  return e;
}
}  // namespace

TEST_CASE("the graph-mode objective equals the host-noise objective") {
  for (MemberChoice choice : {MemberChoice::per_step, MemberChoice::per_trajectory})
    for (EntropyBonus entropy : {EntropyBonus::along_path, EntropyBonus::first_action})
      for (int64_t H : {0, 1, 3}) {
        INFO("H " << H << ", per_trajectory " << (choice == MemberChoice::per_trajectory) << ", first_action "
                  << (entropy == EntropyBonus::first_action));
        TinySetup t;
        QuadraticReward<double> reward(0.5, 0.1, 1.0);
        MaacObjectiveOptions o;
        o.horizon = H;
        o.terminal_samples = 2;
        o.samples_per_state = 2;
        o.member_choice = choice;
        o.entropy = entropy;
        Rng noise_rng(31);
        auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, noise_rng);
        Evaluation routed = evaluate(t, reward, noise, o);
        o.evaluation = EnsembleEvaluation::all_then_select;
        Evaluation graph = evaluate_graph_mode(t, reward, noise, o);
        REQUIRE(graph.loss == Approx(routed.loss).epsilon(1e-12));
        REQUIRE(graph.grads.size() == routed.grads.size());
        for (size_t i = 0; i < graph.grads.size(); ++i) REQUIRE(graph.grads[i] == Approx(routed.grads[i]).margin(1e-12));
      }
}

TEST_CASE("the graph-mode objective checks its evaluation, alpha and noise") {
  TinySetup t;
  QuadraticReward<double> reward(0.5, 0.1);
  MaacObjectiveOptions o;
  o.horizon = 2;
  o.terminal_samples = 1;
  Rng rng(3);
  auto noise = MaacNoise<double>::draw(o, t.n, t.model, t.act, rng);
  Tape<double> tape;
  MaacNoiseVars<double> z = MaacNoiseVars<double>::from_host(tape, noise, t.act, t.model.out_dim());
  Var<double> s0 = tape.constant(Shape{t.n, t.obs}, t.s0.data());
  const double alpha = 0.1;
  Var<double> a = tape.constant(Shape{1, 1}, &alpha);
  // Routed evaluation groups rows on the host: not available in graph mode.
  REQUIRE_THROWS_WITH(maac_policy_objective(tape, s0, t.policy, t.model, t.critic, reward, a, z, o),
                      Catch::Contains("routed"));
  o.evaluation = EnsembleEvaluation::all_then_select;
  REQUIRE_NOTHROW(maac_policy_objective(tape, s0, t.policy, t.model, t.critic, reward, a, z, o));
  REQUIRE_THROWS_AS(maac_policy_objective(tape, s0, t.policy, t.model, t.critic, reward,
                                          tape.constant(Shape{1, 2}, t.s0.data()), z, o),
                    std::invalid_argument);
  MaacNoiseVars<double> short_z = z;
  short_z.members.pop_back();
  REQUIRE_THROWS_AS(maac_policy_objective(tape, s0, t.policy, t.model, t.critic, reward, a, short_z, o),
                    std::invalid_argument);
  // Host noise of the wrong width is refused when it is copied onto the tape.
  REQUIRE_THROWS_AS(MaacNoiseVars<double>::from_host(tape, noise, t.act + 1, t.model.out_dim()), std::invalid_argument);
}

TEST_CASE("capturable reward models write never-terminating masks on the tape's device") {
  QuadraticReward<double> free_running(0.5, 0.1), terminating(0.5, 0.1, 0.0, 1.0);
  REQUIRE(free_running.capturable());
  REQUIRE_FALSE(terminating.capturable());
  Tape<double> tape;
  std::vector<double> s(6, 5.0);
  Var<double> m = checked_alive<double>(free_running, tape, tape.constant(Shape{3, 2}, s.data()));
  REQUIRE(m.to_host() == std::vector<double>{1, 1, 1});
  REQUIRE(checked_alive<double>(terminating, tape, tape.constant(Shape{3, 2}, s.data())).to_host() ==
          std::vector<double>{0, 0, 0});
}

namespace {
// Tiny float networks on the cpu (obs 3, act 2): enough for the captured updates'
// argument checks, which run before any GPU is looked for.
struct TinyFloatNets {
  Rng rng;
  DynamicsModel<float> model;
  SquashedGaussianPolicy<float> policy;
  TwinCritic<float> critic;
  Adam<float> policy_adam, critic_adam;
  static DynamicsModelOptions model_options() {
    DynamicsModelOptions mo;
    mo.members = 2;
    mo.hidden = {4};
    return mo;
  }
  template <class O> static O hidden4() {
    O o;
    o.hidden = {4};
    return o;
  }
  explicit TinyFloatNets(uint64_t seed)
      : rng(seed),
        model(3, 2, model_options(), rng),
        policy(3, 2, hidden4<PolicyOptions>(), rng),
        critic(3, 2, hidden4<CriticOptions>(), rng),
        policy_adam(policy.parameters(), AdamOptions{}),
        critic_adam(critic.parameters(), AdamOptions{}) {}
};
}  // namespace

TEST_CASE("the captured actor update refuses settings it cannot capture, naming them") {
  TinyFloatNets nets(1);
  auto& [rng, model, policy, critic, adam, critic_adam] = nets;
  QuadraticReward<float> free_running(0.1, 0.1), terminating(0.1, 0.1, 0.0, 2.0);
  MaacObjectiveOptions o;  // routed evaluation by default
  REQUIRE_THAT(CapturedActorUpdate::not_capturable(o, free_running), Catch::Contains("routed"));
  REQUIRE_THROWS_WITH(CapturedActorUpdate(policy, adam, model, critic, free_running, o, 8, 1),
                      Catch::Contains("objective.evaluation"));
  o.evaluation = EnsembleEvaluation::all_then_select;
  REQUIRE(CapturedActorUpdate::not_capturable(o, free_running).empty());
  REQUIRE_THROWS_WITH(CapturedActorUpdate(policy, adam, model, critic, terminating, o, 8, 1),
                      Catch::Contains("not capturable"));
  // Capturable settings on cpu networks: refused for the device (or for want of a GPU).
  REQUIRE_THROWS(CapturedActorUpdate(policy, adam, model, critic, free_running, o, 8, 1));
}

// Both captured updates clip on the device when grad_clip > 0; a negative or NaN value is
// refused, naming it, before either looks for a GPU (so this runs everywhere).
TEST_CASE("the captured updates refuse a negative or NaN grad_clip") {
  TinyFloatNets nets(2);
  auto& [rng, model, policy, critic, policy_adam, critic_adam] = nets;
  QuadraticReward<float> reward(0.1, 0.1);
  MaacObjectiveOptions o;
  o.evaluation = EnsembleEvaluation::all_then_select;
  for (double bad : {-1.0, double(NAN)}) {
    CAPTURE(bad);
    REQUIRE_THROWS_WITH(CapturedActorUpdate(policy, policy_adam, model, critic, reward, o, 8, 1, bad),
                        Catch::Contains("grad_clip") && Catch::Contains("expected a finite value >= 0"));
    CapturedCriticOptions c;
    c.grad_clip = bad;
    REQUIRE_THROWS_WITH(CapturedCriticUpdate(policy, critic, critic_adam, nullptr, nullptr, c),
                        Catch::Contains("grad_clip") && Catch::Contains("expected a finite value >= 0"));
  }
  REQUIRE_THROWS_WITH(CapturedActorUpdate(policy, policy_adam, model, critic, reward, o, 8, 1, -1.0),
                      Catch::Contains("grad_clip -1"));
}
