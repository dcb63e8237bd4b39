// Whole updates on the GPU against the CPU: two agents built from the same seed (so the
// same initial weights: networks initialise on the cpu, then move), fed the same batch
// and the same host RNG (so the same noise and member draws), must agree after a MAAC
// update (critic with STEVE targets, pathwise actor, temperature, Polyak targets), a
// model fit and a model rollout, to float32 tolerance, with and without gradient clipping.
// With graphs on, clipping keeps both updates captured.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "autodiff/safetensors.hpp"
#include "rl/agent.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

constexpr int64_t kObs = 5, kAct = 2;

// cuda_graphs off: the op-by-op updates draw their noise from the host Rng, as the cpu does.
AgentOptions small_options(Device device, bool graphs = false, double grad_clip = 0.0) {
  AgentOptions o;
  o.device = device;
  o.cuda_graphs = graphs;
  o.grad_clip = grad_clip;
  o.batch = 64;
  o.policy.hidden = {32, 32};
  o.critic.hidden = {32, 32};
  o.model.members = 3;
  o.model.hidden = {32, 32};
  o.model_training.max_epochs = 2;
  o.model_training.batch = 64;
  o.objective.horizon = 3;
  o.objective.terminal_samples = 2;
  o.steve.horizon = 1;
  return o;
}

std::unique_ptr<Agent> make_agent(Device device, double grad_clip = 0.0) {
  return std::make_unique<Agent>(kObs, kAct, small_options(device, false, grad_clip),
                                 std::make_unique<QuadraticReward<float>>(0.1, 0.05, 1.0), 42);
}

TransitionBatch random_batch(int64_t n, uint64_t seed) {
  Rng rng(seed);
  TransitionBatch b;
  b.resize(n, kObs, kAct);
  b.obs = rng.normal_vector<float>(n * kObs);
  b.next_obs = rng.normal_vector<float>(n * kObs);
  b.action = rng.uniform_vector<float>(n * kAct, -0.9, 0.9);
  b.reward = rng.normal_vector<float>(n);
  std::fill(b.terminated.begin(), b.terminated.end(), 0.f);
  return b;
}

// Every tensor of two checkpoints within atol + rtol |cpu|.
void require_same_state(Agent& cpu, Agent& gpu, double atol, double rtol) {
  Safetensors a, b;
  cpu.save(a);
  gpu.save(b);
  for (const auto& [name, tensor] : a.tensors()) {
    if (tensor.type != StoredType::f32) continue;
    const auto x = a.get<float>(name), y = b.get<float>(name);
    INFO("tensor " << name);
    cuda::test::require_close(y, x, atol, rtol);
  }
}

}  // namespace

TEST_CASE("a MAAC update on the GPU equals the same update on the CPU") {
  // Without clipping, and clipping well under the gradients' norm (the device clip kernel).
  const double clip = GENERATE(0.0, 0.05);
  CAPTURE(clip);
  auto cpu = make_agent(Device::cpu, clip), gpu = make_agent(Device::cuda, clip);
  REQUIRE(gpu->device() == Device::cuda);
  require_same_state(*cpu, *gpu, 0, 0);  // identical initial weights

  // The model first, so the update's rollouts go through a trained ensemble.
  ReplayBuffer real(1000, kObs, kAct);
  real.add(random_batch(400, 3));
  // A fit draws the buffer's split roles: each agent fits its own copy, with the same draws.
  ReplayBuffer real_gpu = real;
  Rng fit_cpu(5), fit_gpu(5);
  const ModelFitStats f_cpu = cpu->fit_model(real, fit_cpu), f_gpu = gpu->fit_model(real_gpu, fit_gpu);
  REQUIRE(real_gpu.split() == real.split());
  REQUIRE(f_gpu.epochs == f_cpu.epochs);
  REQUIRE(f_gpu.holdout_nll == Approx(f_cpu.holdout_nll).epsilon(1e-3));
  require_same_state(*cpu, *gpu, 1e-4, 1e-3);

  const TransitionBatch batch = random_batch(64, 11);
  for (int step = 0; step < 3; ++step) {
    Rng r_cpu(100 + step), r_gpu(100 + step);
    const UpdateStats s_cpu = cpu->update(batch, r_cpu), s_gpu = gpu->update(batch, r_gpu);
    CAPTURE(step);
    REQUIRE(!s_gpu.skipped());
    REQUIRE(s_gpu.critic_loss == Approx(s_cpu.critic_loss).epsilon(1e-3).margin(1e-5));
    REQUIRE(s_gpu.actor_loss == Approx(s_cpu.actor_loss).epsilon(1e-3).margin(1e-5));
    REQUIRE(s_gpu.alpha == Approx(s_cpu.alpha).epsilon(1e-4));
  }
  require_same_state(*cpu, *gpu, 1e-4, 1e-3);

  // Imagined transitions from the same starts and draws.
  ReplayBuffer m_cpu(1000, kObs, kAct), m_gpu(1000, kObs, kAct);
  Rng ro_cpu(9), ro_gpu(9);
  cpu->rollout(real, m_cpu, 50, 2, ro_cpu);
  gpu->rollout(real, m_gpu, 50, 2, ro_gpu);
  REQUIRE(m_gpu.size() == m_cpu.size());
  std::vector<int64_t> all(static_cast<size_t>(m_cpu.size()));
  for (int64_t i = 0; i < m_cpu.size(); ++i) all[i] = i;
  TransitionBatch t_cpu, t_gpu;
  m_cpu.gather(all, t_cpu);
  m_gpu.gather(all, t_gpu);
  cuda::test::require_close(t_gpu.next_obs, t_cpu.next_obs, 1e-4, 1e-3);
  cuda::test::require_close(t_gpu.reward, t_cpu.reward, 1e-4, 1e-3);

  // Acting: the deterministic policy gives the same actions.
  std::vector<float> obs = random_batch(8, 21).obs, a_cpu(8 * kAct), a_gpu(8 * kAct);
  Rng act_rng(1);
  cpu->act(obs.data(), 8, true, act_rng, a_cpu.data());
  gpu->act(obs.data(), 8, true, act_rng, a_gpu.data());
  cuda::test::require_close(a_gpu, a_cpu, 1e-5, 1e-4);
}

TEST_CASE("a non-finite batch skips the GPU update and changes nothing") {
  auto gpu = make_agent(Device::cuda);
  TransitionBatch b = random_batch(16, 2);
  std::fill(b.reward.begin(), b.reward.end(), NAN);
  Safetensors before, after;
  gpu->save(before);
  Rng rng(1);
  REQUIRE(gpu->update(b, rng).critic_skipped);
  gpu->save(after);
  // Nothing changed: no network, optimiser, temperature or target tensor (the graphs'
  // noise positions have moved on, as the cpu path's Rng does).
  for (const auto& [name, tensor] : before.tensors()) {
    INFO(name);
    if (name.rfind("graphs.", 0) != 0) REQUIRE(tensor.bytes == after.tensor(name).bytes);
  }
}

TEST_CASE("an agent on cuda runs its updates as CUDA graphs and checkpoints their noise") {
  // Gradient clipping runs inside both graphs: it no longer sends the updates op by op.
  const double clip = GENERATE(0.0, 0.05);
  CAPTURE(clip);
  auto make = [clip] {
    return std::make_unique<Agent>(kObs, kAct, small_options(Device::cuda, /*graphs=*/true, clip),
                                   std::make_unique<QuadraticReward<float>>(0.1, 0.05, 1.0), 42);
  };
  auto gpu = make();
  INFO(gpu->graph_summary());
  REQUIRE(gpu->graph_summary().find("actor as a CUDA graph") != std::string::npos);
  REQUIRE(gpu->graph_summary().find("critic as a CUDA graph") != std::string::npos);
  ReplayBuffer real(1000, kObs, kAct);
  real.add(random_batch(400, 3));
  Rng rng(5);
  gpu->fit_model(real, rng);
  Safetensors start;
  gpu->save(start);
  const TransitionBatch batch = random_batch(64, 11);
  // Warm-up (op by op), capture, then replays: every call is a real, finite update.
  for (int step = 0; step < 6; ++step) {
    const UpdateStats s = gpu->update(batch, rng);
    CAPTURE(step);
    REQUIRE_FALSE(s.skipped());
    REQUIRE(std::isfinite(s.critic_loss));
    REQUIRE(std::isfinite(s.actor_loss));
  }
  Safetensors after;
  gpu->save(after);
  bool policy_moved = false;
  for (const auto& [name, tensor] : after.tensors())
    if (name.rfind("policy.", 0) == 0) policy_moved = policy_moved || tensor.bytes != start.tensor(name).bytes;
  REQUIRE(policy_moved);
  REQUIRE(after.get<int64_t>("graphs.actor_noise", 2)[0] > 0);
  REQUIRE(after.get<int64_t>("graphs.critic_noise", 2)[0] > 0);
  // A fresh agent loaded from the checkpoint holds the same state, generator positions too.
  auto loaded = make();
  loaded->load(after);
  Safetensors again;
  loaded->save(again);
  for (const auto& [name, tensor] : after.tensors()) REQUIRE(tensor.bytes == again.tensor(name).bytes);
}
