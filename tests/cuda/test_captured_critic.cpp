// The critic update as tape ops and as a CUDA graph (rl/critic_targets.hpp,
// rl/captured_critic_update.hpp): targets on a cuda tape equal the same targets on a cpu
// tape for the same noise; a captured TD update equals the same updates op by op on the cpu (the
// device noise rewound with set_counters to read what each run drew), and replays draw
// fresh noise; a non-finite reward skips the step; with gradient clipping the captured,
// op-by-op and cpu (clip_grad_norm) updates agree. Two set-ups built from one seed have
// the same initial weights (networks initialise on the cpu, then move).
#include <catch2/catch.hpp>

#include <cmath>

#include "rl/captured_critic_update.hpp"
#include "tests/cuda/helpers.hpp"
#include "tests/cuda/rl_nets.hpp"

using namespace maac;
using namespace maac::rl;
using cuda::test::require_close;

namespace {

constexpr int64_t kObs = 4, kAct = 2, kMembers = 3, kRows = 16;

struct Setup : cuda::test::SmallNets {
  static cuda::test::SmallNetSizes sizes() {
    cuda::test::SmallNetSizes s;
    s.obs = kObs;
    s.act = kAct;
    s.members = kMembers;
    s.policy_activation = Unary::tanh;
    s.critic_activation = Unary::silu;
    return s;
  }
  explicit Setup(Device device, uint64_t seed = 7) : SmallNets(sizes(), seed) {
    // Targets differ from the online critics, so using the wrong ones would show.
    for (Parameter<float>* p : critic.target_parameters())
      for (float& v : p->value().host()) v += float(rng.uniform(-0.05, 0.05));
    move_to(device);
  }
};

struct Batch {
  std::vector<float> s, a, r, alive, s_next;
  explicit Batch(Rng& rng)
      : s(rng.normal_vector<float>(kRows * kObs)),
        a(rng.uniform_vector<float>(kRows * kAct, -0.9, 0.9)),
        r(rng.normal_vector<float>(kRows)),
        alive(size_t(kRows), 1.f),
        s_next(rng.normal_vector<float>(kRows * kObs)) {
    alive[3] = 0.f;  // one terminated transition
  }
};

using cuda::test::values_of;

// One batch through two updates that must agree (captured and op by op): both applied,
// the same loss. Returns the first one's result.
CriticUpdateResult require_same_update(CapturedCriticUpdate& x, CapturedCriticUpdate& y, const Batch& b, double alpha) {
  const CriticUpdateResult rx = x.run(b.s.data(), b.a.data(), b.r.data(), b.alive.data(), b.s_next.data(), alpha);
  const CriticUpdateResult ry = y.run(b.s.data(), b.a.data(), b.r.data(), b.alive.data(), b.s_next.data(), alpha);
  REQUIRE(rx.applied);
  REQUIRE(ry.applied);
  REQUIRE(rx.loss == Approx(ry.loss).epsilon(1e-5));
  return rx;
}

// A batch with one NaN reward: the update reports a non-finite loss, applies nothing and
// leaves the critic's parameters as they were.
void require_nan_reward_skipped(CapturedCriticUpdate& update, Rng& data, TwinCritic<float>& critic, double alpha) {
  const std::vector<float> before = values_of(critic.parameters());
  Batch bad(data);
  bad.r[1] = NAN;
  const CriticUpdateResult skipped =
      update.run(bad.s.data(), bad.a.data(), bad.r.data(), bad.alive.data(), bad.s_next.data(), alpha);
  REQUIRE_FALSE(skipped.applied);
  REQUIRE_FALSE(std::isfinite(skipped.loss));
  REQUIRE(values_of(critic.parameters()) == before);
}

// The TD target on a cpu tape: the reference the cuda runs are held to.
std::vector<float> cpu_td_target(Setup& cpu, const Batch& b, const std::vector<float>& eps, double alpha,
                                 double gamma) {
  Tape<float> tape;
  return td_target_var(cpu.policy, cpu.critic, tape.constant(Shape{kRows, 1}, b.r.data()),
                       tape.constant(Shape{kRows, 1}, b.alive.data()), tape.constant(Shape{kRows, kObs}, b.s_next.data()),
                       tape.constant(Shape{kRows, kAct}, eps.data()), tape.filled(Shape{1, 1}, float(alpha)), gamma)
      .to_host();
}

AdamOptions adam_options() {
  AdamOptions o{1e-3};
  o.eps = 1e-3;  // damps the sign of near-zero gradients, where float rounding differs
  return o;
}

}  // namespace

TEST_CASE("critic targets as tape ops on cuda equal the same ops on the cpu") {
  Setup cpu(Device::cpu), gpu(Device::cuda);
  QuadraticReward<float> reward(0.5, 0.1, 1.0);
  Rng data(3);
  Batch b(data);
  const double alpha = 0.2, gamma = 0.9;
  Tape<float> tape(Device::cuda);
  auto put = [&](const std::vector<float>& v, Shape shape) { return tape.constant(shape, v.data()); };
  Var<float> r = put(b.r, Shape{kRows, 1}), alive = put(b.alive, Shape{kRows, 1}),
             s_next = put(b.s_next, Shape{kRows, kObs}), alpha_v = tape.filled(Shape{1, 1}, float(alpha));

  const std::vector<float> eps = data.normal_vector<float>(kRows * kAct);
  const std::vector<float> td = cpu_td_target(cpu, b, eps, alpha, gamma);
  Var<float> y = td_target_var(gpu.policy, gpu.critic, r, alive, s_next, put(eps, Shape{kRows, kAct}), alpha_v, gamma);
  require_close(y.to_host(), td, 1e-4, 1e-4);

  for (SteveVariance variance : {SteveVariance::members_and_twins, SteveVariance::authors_zero_h0}) {
    SteveOptions o;
    o.gamma = gamma;
    o.horizon = 2;
    o.variance = variance;
    const SteveNoise<float> noise = SteveNoise<float>::draw(o, kRows, cpu.model, kAct, data);
    Tape<float> cpu_tape;
    const std::vector<float> host =
        steve_targets_var(cpu.policy, cpu.model, cpu.critic, reward, cpu_tape.constant(Shape{kRows, 1}, b.r.data()),
                          cpu_tape.constant(Shape{kRows, 1}, b.alive.data()),
                          cpu_tape.constant(Shape{kRows, kObs}, b.s_next.data()),
                          cpu_tape.filled(Shape{1, 1}, float(alpha)),
                          SteveNoiseVars<float>::on_tape(cpu_tape, noise, kRows, kAct, cpu.model), o)
            .target.to_host();
    SteveTargetVars<float> ops =
        steve_targets_var(gpu.policy, gpu.model, gpu.critic, reward, r, alive, s_next, alpha_v,
                          SteveNoiseVars<float>::on_tape(tape, noise, kRows, kAct, gpu.model), o);
    CAPTURE(int(variance));
    require_close(ops.target.to_host(), host, 1e-4, 1e-3);
  }
}

TEST_CASE("a captured TD critic update equals the cpu update op by op, and replays draw fresh noise") {
  Setup cpu(Device::cpu), gpu(Device::cuda);
  Adam<float> adam_cpu(cpu.critic.parameters(), adam_options()), adam_gpu(gpu.critic.parameters(), adam_options());
  CapturedCriticOptions o;
  o.batch = kRows;
  o.gamma = 0.9;
  o.polyak_in_graph = true;
  o.tau = 0.1;
  o.noise_seed = 11;
  CapturedCriticUpdate update(gpu.policy, gpu.critic, adam_gpu, nullptr, nullptr, o);

  // The normals a run drew: rewind the counter, draw the same shape again, restore it.
  auto drawn_by_last_run = [&](uint64_t before) {
    const uint64_t after = update.noise().normal_counter(), members = update.noise().member_counter();
    update.noise().set_counters(before, members);
    Tape<float> scratch(Device::cuda);
    const std::vector<float> eps = update.noise().normal(scratch, Shape{kRows, kAct}).to_host();
    update.noise().set_counters(after, members);
    return eps;
  };
  Rng data(5);
  std::vector<std::vector<float>> eps_of_run;
  for (int k = 0; k < 6; ++k) {
    CAPTURE(k);
    Batch b(data);
    const double alpha = 0.1 + 0.05 * k;
    const uint64_t before = update.noise().normal_counter();
    const CriticUpdateResult got = update.run(b.s.data(), b.a.data(), b.r.data(), b.alive.data(), b.s_next.data(), alpha);
    REQUIRE(got.applied);
    eps_of_run.push_back(drawn_by_last_run(before));

    // The same update on the cpu: targets with the same noise, loss, Adam, Polyak.
    const std::vector<float> y = cpu_td_target(cpu, b, eps_of_run.back(), alpha, o.gamma);
    Tape<float> tape;
    Var<float> loss = cpu.critic.loss(tape, tape.constant(Shape{kRows, kObs}, b.s.data()),
                                      tape.constant(Shape{kRows, kAct}, b.a.data()), tape.constant(Shape{kRows, 1}, y.data()));
    REQUIRE(got.loss == Approx(loss.item()).epsilon(1e-4));
    adam_cpu.zero_grad();
    tape.backward(loss);
    adam_cpu.step();
    cpu.critic.update_targets(o.tau);
  }
  REQUIRE(update.captured());
  REQUIRE(update.graph_nodes() > 10);
  REQUIRE(update.runs() == 6);
  // Replays (runs 3 to 6) drew fresh numbers each time.
  for (size_t k = 3; k < eps_of_run.size(); ++k) {
    int same = 0;
    for (size_t i = 0; i < eps_of_run[k].size(); ++i) same += eps_of_run[k][i] == eps_of_run[k - 1][i];
    REQUIRE(same < 2);
  }
  require_close(values_of(gpu.critic.parameters()), values_of(cpu.critic.parameters()), 1e-4, 1e-3);
  require_close(values_of(gpu.critic.target_parameters()), values_of(cpu.critic.target_parameters()), 1e-4, 1e-3);
  REQUIRE(adam_gpu.steps() == adam_cpu.steps());

  // A NaN reward: the replay reports it and leaves the critic and the step count alone.
  require_nan_reward_skipped(update, data, gpu.critic, 0.1);
  REQUIRE(adam_gpu.steps() == adam_cpu.steps());
  // ... and the next finite batch is applied again.
  Batch good(data);
  REQUIRE(update.run(good.s.data(), good.a.data(), good.r.data(), good.alive.data(), good.s_next.data(), 0.1).applied);
}

// STEVE's captured work runs the dynamics model and RewardModel::alive, which upload no
// host data (device copies of the normaliser tables, masks written by tape.filled).
TEST_CASE("a captured STEVE critic update equals the same updates op by op") {
  Setup a(Device::cuda), b(Device::cuda);
  QuadraticReward<float> reward(0.5, 0.1, 1.0);
  Adam<float> adam_a(a.critic.parameters(), adam_options()), adam_b(b.critic.parameters(), adam_options());
  CapturedCriticOptions o;
  o.batch = kRows;
  o.steve = true;
  o.steve_options.horizon = 2;
  o.steve_options.gamma = 0.9;
  o.polyak_in_graph = true;
  o.tau = 0.1;
  o.noise_seed = 4;
  CapturedCriticUpdate captured(a.policy, a.critic, adam_a, &a.model, &reward, o);
  o.capture = false;
  CapturedCriticUpdate op_by_op(b.policy, b.critic, adam_b, &b.model, &reward, o);
  Rng data(8);
  for (int k = 0; k < 5; ++k) {
    CAPTURE(k);
    Batch batch(data);
    require_same_update(captured, op_by_op, batch, 0.2);
  }
  REQUIRE(captured.captured());
  REQUIRE_FALSE(op_by_op.captured());
  require_close(values_of(a.critic.parameters()), values_of(b.critic.parameters()), 1e-5, 1e-4);
  require_close(values_of(a.critic.target_parameters()), values_of(b.critic.target_parameters()), 1e-5, 1e-4);
}

// Clipping in the captured work: the same clip as the op-by-op run (capture = false) and as
// the cpu update with clip_grad_norm between backward and Adam (Agent::update's order).
TEST_CASE("a captured TD critic update with gradient clipping equals op by op and the cpu clip") {
  Setup cpu(Device::cpu), a(Device::cuda), b(Device::cuda);
  Adam<float> adam_cpu(cpu.critic.parameters(), adam_options()), adam_a(a.critic.parameters(), adam_options()),
      adam_b(b.critic.parameters(), adam_options());
  CapturedCriticOptions o;
  o.batch = kRows;
  o.gamma = 0.9;
  o.polyak_in_graph = true;
  o.tau = 0.1;
  o.noise_seed = 12;
  o.grad_clip = 0.05;  // well under these gradients' norm: every update clips
  CapturedCriticUpdate captured(a.policy, a.critic, adam_a, nullptr, nullptr, o);
  o.capture = false;
  CapturedCriticUpdate op_by_op(b.policy, b.critic, adam_b, nullptr, nullptr, o);
  Rng data(6);
  for (int k = 0; k < 5; ++k) {
    CAPTURE(k);
    Batch batch(data);
    const uint64_t before = captured.noise().normal_counter(), members = captured.noise().member_counter();
    const CriticUpdateResult x = require_same_update(captured, op_by_op, batch, 0.2);

    // The cpu update with the noise the captured run drew (rewound and drawn again).
    const uint64_t after = captured.noise().normal_counter();
    captured.noise().set_counters(before, members);
    Tape<float> scratch(Device::cuda);
    const std::vector<float> eps = captured.noise().normal(scratch, Shape{kRows, kAct}).to_host();
    captured.noise().set_counters(after, members);
    const std::vector<float> target = cpu_td_target(cpu, batch, eps, 0.2, o.gamma);
    Tape<float> tape;
    Var<float> loss = cpu.critic.loss(tape, tape.constant(Shape{kRows, kObs}, batch.s.data()),
                                      tape.constant(Shape{kRows, kAct}, batch.a.data()),
                                      tape.constant(Shape{kRows, 1}, target.data()));
    REQUIRE(x.loss == Approx(loss.item()).epsilon(1e-4));
    adam_cpu.zero_grad();
    tape.backward(loss);
    REQUIRE(clip_grad_norm(cpu.critic.parameters(), o.grad_clip) > o.grad_clip);
    // The gradients the captured Adam step read: clipped like the cpu ones.
    const std::vector<float> g_cpu = cuda::test::grads_of(cpu.critic.parameters());
    require_close(cuda::test::grads_of(a.critic.parameters()), g_cpu, 1e-6, 1e-3);
    require_close(cuda::test::grads_of(b.critic.parameters()), g_cpu, 1e-6, 1e-3);
    adam_cpu.step();
    cpu.critic.update_targets(o.tau);
  }
  REQUIRE(captured.captured());
  REQUIRE_FALSE(op_by_op.captured());
  require_close(values_of(a.critic.parameters()), values_of(b.critic.parameters()), 1e-5, 1e-4);
  require_close(values_of(a.critic.target_parameters()), values_of(b.critic.target_parameters()), 1e-5, 1e-4);
  require_close(values_of(a.critic.parameters()), values_of(cpu.critic.parameters()), 1e-4, 1e-3);
  REQUIRE(adam_a.steps() == adam_cpu.steps());

  // A NaN reward still skips the step with clipping on.
  require_nan_reward_skipped(captured, data, a.critic, 0.2);
}

TEST_CASE("a captured critic update refuses what it cannot capture") {
  Setup gpu(Device::cuda), cpu(Device::cpu);
  Adam<float> adam(gpu.critic.parameters(), adam_options()), adam_cpu(cpu.critic.parameters(), adam_options());
  CapturedCriticOptions o;
  o.batch = kRows;
  o.grad_clip = -1.0;
  REQUIRE_THROWS_WITH(CapturedCriticUpdate(gpu.policy, gpu.critic, adam, nullptr, nullptr, o),
                      Catch::Contains("grad_clip -1"));
  o.grad_clip = 0.0;
  o.steve = true;  // without a model
  REQUIRE_THROWS_AS(CapturedCriticUpdate(gpu.policy, gpu.critic, adam, nullptr, nullptr, o), std::invalid_argument);
  o.steve = false;
  REQUIRE_THROWS_AS(CapturedCriticUpdate(cpu.policy, cpu.critic, adam_cpu, nullptr, nullptr, o), std::invalid_argument);
  Adam<float> other(gpu.critic.target_parameters(), adam_options());
  REQUIRE_THROWS_AS(CapturedCriticUpdate(gpu.policy, gpu.critic, other, nullptr, nullptr, o), std::invalid_argument);
  CapturedCriticUpdate ok(gpu.policy, gpu.critic, adam, nullptr, nullptr, o);
  TransitionBatch wrong;
  wrong.resize(kRows + 1, kObs, kAct);
  REQUIRE_THROWS_AS(ok.run(wrong, 0.1), std::invalid_argument);
}
