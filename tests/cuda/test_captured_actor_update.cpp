// The MAAC policy update as a CUDA graph: the graph-mode objective on cuda equals the cpu
// objective for the same noise; replays draw fresh noise, and the first replay equals the
// same update op by op from the same generator counters; a non-finite input skips the
// step; with gradient clipping the gradients are clipped on the device and the replay
// still equals op by op; the normalisers' device copies follow the host tables. Exit 77
// without a GPU.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/math.cuh"
#include "rl/captured_actor_update.hpp"
#include "tests/cuda/helpers.hpp"
#include "tests/cuda/rl_nets.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

constexpr int64_t kObs = 5, kAct = 2, kMembers = 3, kBatch = 16;

// The same seed gives the same networks and normalisers; then they move to `device`.
struct Nets : cuda::test::SmallNets {
  static cuda::test::SmallNetSizes sizes() {
    cuda::test::SmallNetSizes s;
    s.obs = kObs;
    s.act = kAct;
    s.members = kMembers;
    s.policy_hidden = s.critic_hidden = {32, 32};
    return s;
  }
  Nets(uint64_t seed, Device device) : SmallNets(sizes(), seed) {
    for (auto* norm : {&model.input_normalizer(), &model.target_normalizer()})
      for (size_t i = 0; i < norm->mean.size(); ++i) {
        norm->mean[i] = float(rng.uniform(-0.3, 0.3));
        norm->std[i] = float(rng.uniform(0.2, 0.6));
      }
    move_to(device);
  }
};

MaacObjectiveOptions options() {
  MaacObjectiveOptions o;
  o.horizon = 3;
  o.terminal_samples = 2;
  o.evaluation = EnsembleEvaluation::all_then_select;
  return o;
}

using cuda::test::grads_of;
using cuda::test::values_of;
double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

// Policy values, Adam moments and step count, to rewind an update.
struct Snapshot {
  std::vector<Buffer<float>> values, m, v;
  int64_t steps = 0;
  explicit Snapshot(const ParameterList<float>& ps, Adam<float>& adam) : steps(adam.steps()) {
    for (size_t i = 0; i < ps.size(); ++i) {
      values.push_back(ps[i]->value());
      m.push_back(adam.first_moments()[i]);
      v.push_back(adam.second_moments()[i]);
    }
  }
  void restore(const ParameterList<float>& ps, Adam<float>& adam) const {
    for (size_t i = 0; i < ps.size(); ++i) {
      ps[i]->value().copy_from(values[i]);
      adam.first_moments()[i].copy_from(m[i]);
      adam.second_moments()[i].copy_from(v[i]);
    }
    adam.set_steps(steps);
  }
};

}  // namespace

TEST_CASE("graph-mode objective on cuda equals the cpu objective for the same noise") {
  Nets cpu(11, Device::cpu), gpu(11, Device::cuda);
  QuadraticReward<float> reward(0.05, 0.1, 1.0);
  MaacObjectiveOptions o = options();
  o.samples_per_state = 2;
  Rng rng(4);
  const std::vector<float> s0 = rng.normal_vector<float>(kBatch * kObs);
  const double alpha = 0.2;
  for (MemberChoice choice : {MemberChoice::per_step, MemberChoice::per_trajectory}) {
    o.member_choice = choice;
    // The noise is drawn once on the host and given to both devices.
    const MaacNoise<float> noise = MaacNoise<float>::draw(o, kBatch, cpu.model, kAct, rng);

    Tape<float> tc;
    zero_grad(cpu.policy.parameters());
    MaacObjectiveOptions routed = o;
    routed.evaluation = EnsembleEvaluation::routed;
    auto oc = maac_policy_objective(tc, tc.constant(Shape{kBatch, kObs}, s0.data()), cpu.policy, cpu.model, cpu.critic,
                                    reward, alpha, noise, routed);
    tc.backward(oc.loss);

    Tape<float> tg(Device::cuda);
    zero_grad(gpu.policy.parameters(), tg.stream());
    MaacNoiseVars<float> z = MaacNoiseVars<float>::from_host(tg, noise, kAct, gpu.model.out_dim());
    const float a = float(alpha);
    auto og = maac_policy_objective(tg, tg.constant(Shape{kBatch, kObs}, s0.data()), gpu.policy, gpu.model,
                                    gpu.critic, reward, tg.constant(Shape{1, 1}, &a), z, o);
    tg.backward(og.loss);
    device::synchronize(tg.stream());

    const double lc = oc.loss.item(), lg = og.loss.item();
    REQUIRE(std::isfinite(lc));
    REQUIRE(lg == Approx(lc).epsilon(1e-4));
    const std::vector<float> gc = grads_of(cpu.policy.parameters()), gg = grads_of(gpu.policy.parameters());
    // Gradients sum over H steps and every row: absolute tolerance relative to their scale.
    cuda::test::require_close(gg, gc, 1e-4 * max_abs(gc), 1e-3);
  }
}

TEST_CASE("captured actor update: warm-up, capture, fresh noise per replay, equal to op by op") {
  Nets gpu(12, Device::cuda);
  QuadraticReward<float> reward(0.05, 0.1, 1.0);
  Adam<float> adam(gpu.policy.parameters(), AdamOptions{1e-3});
  CapturedActorUpdate update(gpu.policy, adam, gpu.model, gpu.critic, reward, options(), kBatch, 77);
  Rng rng(5);
  const std::vector<float> s0 = rng.normal_vector<float>(kBatch * kObs);
  const ParameterList<float> ps = gpu.policy.parameters();

  for (int i = 0; i < CapturedActorUpdate::kWarmup; ++i) {
    CapturedActorStep r = update.run(s0.data(), 0.2);
    REQUIRE_FALSE(r.replayed);
    REQUIRE(r.stepped);
    REQUIRE(std::isfinite(r.loss));
  }
  REQUIRE_FALSE(update.captured());

  // The first replay, then the same update op by op from the same state and counters.
  const Snapshot before(ps, adam);
  const uint64_t normal = update.noise().normal_counter(), member = update.noise().member_counter();
  CapturedActorStep replay = update.run(s0.data(), 0.2);
  REQUIRE(replay.replayed);
  REQUIRE(update.captured());
  REQUIRE(update.graph_nodes() > 50);
  REQUIRE(replay.stepped);
  const std::vector<float> after_replay = values_of(ps);
  const uint64_t per_update = update.noise().normal_counter() - normal;
  REQUIRE(per_update > 0);
  REQUIRE(update.noise().member_counter() - member == uint64_t(options().horizon * kBatch));

  before.restore(ps, adam);
  update.noise().set_counters(normal, member);
  CapturedActorStep op = update.run_op_by_op(s0.data(), 0.2);
  REQUIRE(op.loss == Approx(replay.loss).epsilon(1e-6));
  // The same kernels in the same order; the margin covers reductions whose order of
  // additions may vary between launches (docs/cuda.md, "Atomics vs reductions").
  cuda::test::require_close(values_of(ps), after_replay, 1e-5, 1e-5);
  REQUIRE(adam.steps() == before.steps + 1);

  // Same state and inputs, counters not rewound: the next replay draws other noise.
  before.restore(ps, adam);
  CapturedActorStep again = update.run(s0.data(), 0.2);
  REQUIRE(again.replayed);
  REQUIRE(again.loss != replay.loss);
  REQUIRE(update.noise().normal_counter() == normal + 2 * per_update);

  // The staged alpha is read by the replay: alpha = 0 changes the loss for the same noise.
  before.restore(ps, adam);
  update.noise().set_counters(normal, member);
  CapturedActorStep no_entropy = update.run(s0.data(), 0.0);
  REQUIRE(no_entropy.loss != Approx(replay.loss).epsilon(1e-6));
}

// Clipping inside the captured work. From identical networks and noise, the clipped run's
// gradients are the unclipped run's times math::clip_factor of their squared norm; the
// first replay equals the same clipped update op by op; the replay's gradients have the
// clipped norm.
TEST_CASE("captured actor update with gradient clipping: clipped gradients, replay equal to op by op") {
  const double clip = 1e-3;  // far under these gradients' norm
  Nets gpu(12, Device::cuda), plain(12, Device::cuda);
  QuadraticReward<float> reward(0.05, 0.1, 1.0);
  Adam<float> adam(gpu.policy.parameters(), AdamOptions{1e-3});
  Adam<float> adam_plain(plain.policy.parameters(), AdamOptions{1e-3});
  CapturedActorUpdate update(gpu.policy, adam, gpu.model, gpu.critic, reward, options(), kBatch, 77, clip);
  CapturedActorUpdate unclipped(plain.policy, adam_plain, plain.model, plain.critic, reward, options(), kBatch, 77);
  REQUIRE(update.grad_clip() == clip);
  Rng rng(7);
  const std::vector<float> s0 = rng.normal_vector<float>(kBatch * kObs);
  const ParameterList<float> ps = gpu.policy.parameters();

  // The first call of each (op by op, the same seed: the same noise).
  const CapturedActorStep c = update.run(s0.data(), 0.2), u = unclipped.run(s0.data(), 0.2);
  REQUIRE(c.stepped);
  REQUIRE(u.stepped);
  REQUIRE(c.loss == Approx(u.loss).epsilon(1e-6));
  const std::vector<float> g = grads_of(plain.policy.parameters());
  double squared = 0;
  for (float x : g) squared += double(x) * double(x);
  REQUIRE(std::sqrt(squared) > clip);
  const double factor = math::clip_factor(squared, clip);
  std::vector<float> expected(g.size());
  for (size_t i = 0; i < g.size(); ++i) expected[i] = math::clip_scaled(g[i], factor);
  cuda::test::require_close(grads_of(ps), expected, 1e-6 * max_abs(expected), 1e-5);

  // Warm-up done: the first replay, then the same update op by op from the same state.
  for (int i = 1; i < CapturedActorUpdate::kWarmup; ++i) REQUIRE(update.run(s0.data(), 0.2).stepped);
  const Snapshot before(ps, adam);
  const uint64_t normal = update.noise().normal_counter(), member = update.noise().member_counter();
  const CapturedActorStep replay = update.run(s0.data(), 0.2);
  REQUIRE(replay.replayed);
  REQUIRE(replay.stepped);
  const std::vector<float> after_replay = values_of(ps), replay_grads = grads_of(ps);
  double replay_squared = 0;
  for (float x : replay_grads) replay_squared += double(x) * double(x);
  REQUIRE(std::sqrt(replay_squared) == Approx(clip).epsilon(1e-3));  // clip * norm / (norm + 1e-6)

  before.restore(ps, adam);
  update.noise().set_counters(normal, member);
  const CapturedActorStep op = update.run_op_by_op(s0.data(), 0.2);
  REQUIRE(op.stepped);
  REQUIRE(op.loss == Approx(replay.loss).epsilon(1e-6));
  cuda::test::require_close(grads_of(ps), replay_grads, 1e-6 * max_abs(replay_grads), 1e-5);
  cuda::test::require_close(values_of(ps), after_replay, 1e-5, 1e-5);
  REQUIRE(adam.steps() == before.steps + 1);
}

TEST_CASE("captured actor update: a non-finite start state skips the step") {
  Nets gpu(13, Device::cuda);
  QuadraticReward<float> reward(0.05, 0.1);
  Adam<float> adam(gpu.policy.parameters(), AdamOptions{1e-3});
  CapturedActorUpdate update(gpu.policy, adam, gpu.model, gpu.critic, reward, options(), kBatch, 3);
  Rng rng(6);
  std::vector<float> s0 = rng.normal_vector<float>(kBatch * kObs);
  for (int i = 0; i < CapturedActorUpdate::kWarmup + 1; ++i) REQUIRE(update.run(s0.data(), 0.1).stepped);
  REQUIRE(update.captured());
  const std::vector<float> before = values_of(gpu.policy.parameters());
  const int64_t steps = adam.steps();
  s0[7] = NAN;
  CapturedActorStep r = update.run(s0.data(), 0.1);
  REQUIRE(r.replayed);
  REQUIRE_FALSE(r.stepped);
  REQUIRE_FALSE(std::isfinite(r.loss));
  REQUIRE(values_of(gpu.policy.parameters()) == before);
  REQUIRE(adam.steps() == steps);
  // And the next finite batch steps again.
  s0[7] = 0.5f;
  REQUIRE(update.run(s0.data(), 0.1).stepped);
}

TEST_CASE("normaliser device copies follow the host tables") {
  Nets gpu(14, Device::cuda);
  EnsembleNormalizer<float>& norm = gpu.model.input_normalizer();
  REQUIRE(norm.device_stale());
  REQUIRE(norm.sync_device());
  REQUIRE_FALSE(norm.device_stale());
  REQUIRE_FALSE(norm.sync_device());
  Tape<float> tape(Device::cuda);
  // A direct write (as a checkpoint load does) is seen by the next use on the device.
  norm.mean[4] = 2.5f;
  REQUIRE(norm.device_stale());
  REQUIRE(norm.mean_all(tape).to_host()[4] == 2.5f);
  REQUIRE_FALSE(norm.device_stale());
  // Assigning a whole normaliser copies the tables into the same device copy.
  EnsembleNormalizer<float> other(norm.members, norm.dim);
  other.std.assign(other.std.size(), 2.0f);
  norm = other;
  REQUIRE(norm.device_stale());
  REQUIRE(norm.inv_std_all(tape).to_host() == std::vector<float>(other.std.size(), 0.5f));
}
