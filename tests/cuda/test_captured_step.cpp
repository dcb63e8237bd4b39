// A whole training step (forward, backward, finite check, Adam) captured once as a CUDA
// graph and replayed on new inputs written to the same device addresses equals the same
// steps run op by op on the cpu; a replay whose loss is not finite changes nothing. The
// device-side gradient clip equals the cpu clip, op by op and replayed. GuardedStep decided
// on the device, run through a CapturedGraph, equals the host-decided step on the cpu.
#include <catch2/catch.hpp>

#include <cmath>

#include "autodiff/captured_graph.hpp"
#include "autodiff/device_noise.hpp"
#include "autodiff/modules/mlp.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/optim/adam.hpp"
#include "autodiff/optim/grad_clip.hpp"
#include "autodiff/optim/guarded_step.hpp"
#include "kernels/cuda/graph.hpp"
#include "tests/cuda/helpers.hpp"
#include "tests/cuda/rl_nets.hpp"

using namespace maac;

namespace {

constexpr int64_t kRows = 32, kIn = 3;

using cuda::test::values_of;

}  // namespace

TEST_CASE("a training step captured as a CUDA graph equals the same steps on the cpu") {
  Rng init_cpu(5), init_gpu(5);
  MLP<float> cpu("f", {kIn, 16, 1}, Unary::tanh, init_cpu), gpu("f", {kIn, 16, 1}, Unary::tanh, init_gpu);
  to_device(gpu.parameters(), Device::cuda);
  Adam<float> adam_cpu(cpu.parameters(), AdamOptions{1e-2}), adam_gpu(gpu.parameters(), AdamOptions{1e-2});
  Tape<float> tape_cpu, tape_gpu(Device::cuda);
  // The step's inputs: fixed device addresses, rewritten before every launch.
  Buffer<float> x_dev(Shape{kRows, kIn}, Device::cuda), y_dev(Shape{kRows, 1}, Device::cuda);
  DeviceFlag ok;

  auto gpu_step = [&] {
    tape_gpu.reset();
    zero_grad(gpu.parameters(), tape_gpu.stream());
    Var<float> err = sub(gpu.forward(tape_gpu, tape_gpu.constant(x_dev.view())), tape_gpu.constant(y_dev.view()));
    Var<float> loss = mean(square(err));
    tape_gpu.backward(loss);
    ok.check_finite(loss.value(), gpu.parameters(), tape_gpu.stream());
    adam_gpu.step_guarded(ok.get(), tape_gpu.stream());
  };
  auto cpu_step = [&](const std::vector<float>& x, const std::vector<float>& y) {
    tape_cpu.reset();
    adam_cpu.zero_grad();
    Var<float> err = sub(cpu.forward(tape_cpu, tape_cpu.constant(Shape{kRows, kIn}, x.data())),
                         tape_cpu.constant(Shape{kRows, 1}, y.data()));
    tape_cpu.backward(mean(square(err)));
    adam_cpu.step();
  };
  Rng data(9);
  auto next_batch = [&](std::vector<float>& x, std::vector<float>& y) {
    x = data.normal_vector<float>(kRows * kIn);
    y = data.normal_vector<float>(kRows);
    x_dev.copy_from_host(x);
    y_dev.copy_from_host(y);
  };

  // Two steps op by op (the arenas reach their size), then capture once and replay.
  std::vector<float> x, y;
  for (int i = 0; i < 2; ++i) {
    next_batch(x, y);
    gpu_step();
    cpu_step(x, y);
  }
  cuda::Graph graph;
  graph.capture(tape_gpu.stream(), gpu_step);
  REQUIRE(graph.node_count() > 10);
  for (int i = 0; i < 4; ++i) {
    next_batch(x, y);
    graph.launch(tape_gpu.stream());
    device::synchronize(tape_gpu.stream());
    cpu_step(x, y);
    REQUIRE(ok.read(tape_gpu.stream()));
  }
  cuda::test::require_close(values_of(gpu.parameters()), values_of(cpu.parameters()), 1e-5, 1e-4);
  REQUIRE(adam_gpu.steps() == adam_cpu.steps());

  // A NaN target: the flag clears, and the replay leaves parameters and step count alone.
  const std::vector<float> before = values_of(gpu.parameters());
  y.assign(size_t(kRows), NAN);
  y_dev.copy_from_host(y);
  graph.launch(tape_gpu.stream());
  device::synchronize(tape_gpu.stream());
  REQUIRE_FALSE(ok.read(tape_gpu.stream()));
  REQUIRE(values_of(gpu.parameters()) == before);
  REQUIRE(adam_gpu.steps() == adam_cpu.steps());
}

TEST_CASE("device noise draws fresh normals and members inside a captured graph") {
  Tape<float> tape(Device::cuda);
  DeviceNoise noise(3);
  const std::vector<int32_t> pool_host{1, 4, 6};
  int32_t* pool = static_cast<int32_t*>(device::allocate(pool_host.size() * sizeof(int32_t), Device::cuda));
  device::copy(pool, Device::cuda, pool_host.data(), Device::cpu, pool_host.size() * sizeof(int32_t),
               cuda::default_stream);
  Buffer<float> eps_out(Shape{64, 5}, Device::cuda);
  std::vector<int32_t> members_out(100);
  auto draw = [&] {
    tape.reset();
    Var<float> eps = noise.normal(tape, Shape{64, 5});
    const int32_t* m = noise.members(tape, 100, pool, 3);
    device::copy(eps_out.data(), Device::cuda, eps.value(), Device::cuda, eps_out.bytes(), tape.stream());
    (void)m;
  };
  draw();
  device::synchronize(tape.stream());
  REQUIRE(noise.normal_counter() == 64 * 5 / 4);
  REQUIRE(noise.member_counter() == 100);
  cuda::Graph graph;
  graph.capture(tape.stream(), draw);
  graph.launch(tape.stream());
  device::synchronize(tape.stream());
  const auto first = eps_out.to_host();
  graph.launch(tape.stream());
  device::synchronize(tape.stream());
  const auto second = eps_out.to_host();
  int same = 0;
  for (size_t i = 0; i < first.size(); ++i) same += first[i] == second[i];
  REQUIRE(same < 3);
  REQUIRE(noise.normal_counter() == 3 * (64 * 5 / 4));
  REQUIRE(noise.member_counter() == 300);
  device::release(pool, Device::cuda);
}

TEST_CASE("DeviceGradClip equals the cpu clip_grad_norm, op by op and replayed in a graph") {
  Parameter<float> a_cpu("a", {16, 8}), b_cpu("b", {1, 8}), c_cpu("c", {8, 300});
  Parameter<float> a_gpu("a", {16, 8}, Device::cuda), b_gpu("b", {1, 8}, Device::cuda);
  Parameter<float> c_gpu("c", {8, 300}, Device::cuda);
  const ParameterList<float> cpu{&a_cpu, &b_cpu, &c_cpu}, gpu{&a_gpu, &b_gpu, &c_gpu};
  cuda::OwnedStream stream;
  const double max_norm = 1.5;
  DeviceGradClip clip(max_norm);
  // The squared norm starts poisoned: clip() must zero it itself.
  const double nan = NAN;
  device::copy(const_cast<double*>(clip.squared_norm()), Device::cuda, &nan, Device::cpu, sizeof nan,
               cuda::default_stream);
  // Fresh gradients in [-scale, scale], the same on both devices (same device addresses).
  auto fresh = [&](float scale) {
    for (size_t i = 0; i < cpu.size(); ++i) {
      const std::vector<float> g = cuda::test::uniform<float>(cpu[i]->numel(), -scale, scale);
      cpu[i]->grad().host() = g;
      gpu[i]->grad().copy_from_host(g);
    }
  };
  // The norm before clipping, and the clipped gradients (the factor may round to a
  // neighbouring float: the sums add in another order).
  auto require_equal = [&](double cpu_norm) {
    REQUIRE(clip.norm(stream.get()) == Approx(cpu_norm).epsilon(1e-10));
    cuda::test::require_close(cuda::test::grads_of(gpu), cuda::test::grads_of(cpu), 0.0, 1e-6);
  };

  // Op by op: norm ~ sqrt(2536 / 3) ~ 29, clipped to 1.5.
  fresh(1.f);
  double norm = clip_grad_norm(cpu, max_norm);
  REQUIRE(norm > max_norm);
  clip.clip(gpu, stream.get());
  require_equal(norm);

  // Captured once; replays read fresh gradients at the same addresses.
  cuda::Graph graph;
  graph.capture(stream.get(), [&] { clip.clip(gpu, stream.get()); });
  for (float scale : {1.f, 2.f}) {
    CAPTURE(scale);
    fresh(scale);
    norm = clip_grad_norm(cpu, max_norm);
    graph.launch(stream.get());
    require_equal(norm);
  }
  // Within the limit (norm ~ 0.03): not one gradient changes.
  fresh(1e-3f);
  const std::vector<float> small = cuda::test::grads_of(gpu);
  norm = clip_grad_norm(cpu, max_norm);
  REQUIRE(norm < max_norm);
  graph.launch(stream.get());
  REQUIRE(clip.norm(stream.get()) == Approx(norm).epsilon(1e-10));
  REQUIRE(cuda::test::grads_of(gpu) == small);
  // A NaN gradient: the norm is NaN, and nothing is scaled (the finite check skips the step).
  fresh(1.f);
  b_gpu.grad().fill(NAN);
  const std::vector<float> a_before = a_gpu.grad().to_host(), c_before = c_gpu.grad().to_host();
  graph.launch(stream.get());
  REQUIRE(std::isnan(clip.norm(stream.get())));
  REQUIRE(a_gpu.grad().to_host() == a_before);
  REQUIRE(c_gpu.grad().to_host() == c_before);
  // ... and DeviceFlag::clear_unless_finite turns that norm into a skipped step.
  DeviceFlag ok;
  ok.check_finite(a_gpu.grad().data(), {&a_gpu}, stream.get());
  ok.clear_unless_finite(clip.squared_norm(), stream.get());
  REQUIRE_FALSE(ok.read(stream.get()));

  // Parameters off cuda are refused by name.
  REQUIRE_THROWS_WITH(clip.clip(cpu, stream.get()), Catch::Contains("'a'") && Catch::Contains("expected cuda"));
}

// The one update sequence in its two modes: the device-decided step (warm-up runs, then a
// captured graph) and the host-decided step on the cpu clip, skip and step alike.
TEST_CASE("GuardedStep decided on the device through a CapturedGraph equals the host-decided step") {
  Rng init_cpu(5), init_gpu(5);
  MLP<float> cpu("f", {kIn, 16, 1}, Unary::tanh, init_cpu), gpu("f", {kIn, 16, 1}, Unary::tanh, init_gpu);
  to_device(gpu.parameters(), Device::cuda);
  Adam<float> adam_cpu(cpu.parameters(), AdamOptions{1e-2}), adam_gpu(gpu.parameters(), AdamOptions{1e-2});
  const double clip = 0.05;  // under these gradients' norm: the clip is exercised
  GuardedStep<float> step_cpu(adam_cpu, clip, GuardedStep<float>::Decide::on_host, "cpu");
  GuardedStep<float> step_gpu(adam_gpu, clip, GuardedStep<float>::Decide::on_device, "gpu");
  Tape<float> tape_cpu, tape_gpu(Device::cuda);
  Buffer<float> x_dev(Shape{kRows, kIn}, Device::cuda), y_dev(Shape{kRows, 1}, Device::cuda);
  CapturedGraph graph("GuardedStep test");
  auto gpu_work = [&] {
    tape_gpu.reset();
    Var<float> err = sub(gpu.forward(tape_gpu, tape_gpu.constant(x_dev.view())), tape_gpu.constant(y_dev.view()));
    step_gpu.run(tape_gpu, mean(square(err)));
  };
  Rng data(13);
  for (int i = 0; i < 7; ++i) {
    CAPTURE(i);
    std::vector<float> x = data.normal_vector<float>(kRows * kIn), y = data.normal_vector<float>(kRows);
    if (i == 4) y[3] = NAN;  // a replay whose loss and gradients are not finite
    x_dev.copy_from_host(x);
    y_dev.copy_from_host(y);
    REQUIRE(graph.run(tape_gpu.stream(), gpu_work) == (i >= CapturedGraph::kWarmupRuns));
    tape_cpu.reset();
    Var<float> err = sub(cpu.forward(tape_cpu, tape_cpu.constant(Shape{kRows, kIn}, x.data())),
                         tape_cpu.constant(Shape{kRows, 1}, y.data()));
    step_cpu.run(tape_cpu, mean(square(err)));
    REQUIRE(step_cpu.stepped() == (i != 4));
    REQUIRE(step_gpu.stepped() == step_cpu.stepped());
    if (i != 4)  // the gradients the steps read: clipped alike
      cuda::test::require_close(cuda::test::grads_of(gpu.parameters()), cuda::test::grads_of(cpu.parameters()), 1e-6,
                                1e-3);
    cuda::test::require_close(values_of(gpu.parameters()), values_of(cpu.parameters()), 1e-5, 1e-4);
  }
  REQUIRE(graph.captured());
  REQUIRE(graph.runs() == 7);
  REQUIRE(adam_gpu.steps() == 6);
  REQUIRE(adam_cpu.steps() == 6);
}
