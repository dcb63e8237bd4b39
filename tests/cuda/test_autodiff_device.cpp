// Autodiff on the device: every op, the modules and the optimisers on a cuda tape
// against the same expression on a cpu tape, on fresh random float inputs.
// Each expression runs twice on the cuda tape: first with NaN inputs and a NaN seed,
// then (after reset, on the same arena memory) with the real inputs, so an output the
// cuda path forgets to write, or a gradient it forgets to zero, shows up as NaN or as a
// stale value. Tolerances, |cuda - cpu| <= atol + rtol |cpu|:
//   element-wise results and gradients          1e-5, 1e-5
//   anything summed (GEMMs, broadcast gradients,
//   reductions, gathers with duplicates)        1e-4, 1e-4
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>

#include "autodiff/modules/ensemble_mlp.hpp"
#include "autodiff/modules/mlp.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/optim/adam.hpp"
#include "autodiff/optim/grad_clip.hpp"
#include "autodiff/safetensors.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::test::require_close;

namespace {

constexpr double kElem = 1e-5, kSum = 1e-4;

struct Leaf {
  Shape shape;
  std::vector<float> values;
  bool grad = true;
};
using Build = std::function<Var<float>(std::vector<Var<float>>&)>;

Leaf uniform_leaf(Shape s, float lo = -1.f, float hi = 1.f, bool grad = true) {
  return {s, cuda::test::uniform<float>(s.numel(), lo, hi), grad};
}

std::vector<float> grad_to_host(Tape<float>& t, Var<float> v) {
  std::vector<float> g(static_cast<size_t>(v.numel()));
  device::copy(g.data(), Device::cpu, v.grad(), t.device(), g.size() * sizeof(float), t.stream());
  return g;
}

struct Result {
  std::vector<float> value;
  std::vector<std::vector<float>> grads;  // one per leaf with a gradient
};

// Records f on `t` from the leaves, runs backward with `seed` (when the output needs a
// gradient) and reads everything back.
Result run(Tape<float>& t, const std::vector<Leaf>& leaves, const Build& f, const std::vector<float>* seed_or_null,
           bool poison) {
  t.reset();
  std::vector<Var<float>> vars;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Leaf& l : leaves) {
    std::vector<float> v = poison ? std::vector<float>(l.values.size(), nan) : l.values;
    vars.push_back(l.grad ? t.input(l.shape, v.data()) : t.constant(l.shape, v.data()));
  }
  Var<float> y = f(vars);
  Result r;
  if (y.requires_grad()) {
    std::vector<float> seed = seed_or_null ? *seed_or_null : std::vector<float>(size_t(y.numel()), 1.f);
    if (poison) std::fill(seed.begin(), seed.end(), nan);
    t.backward(y, seed.data());
  }
  r.value = y.to_host();
  for (size_t i = 0; i < leaves.size(); ++i)
    if (leaves[i].grad) r.grads.push_back(grad_to_host(t, vars[i]));
  return r;
}

// The expression on a cpu and a cuda tape: values and every input gradient must agree.
void compare(const char* what, const std::vector<Leaf>& leaves, const Build& f, double tol) {
  INFO(what);
  Tape<float> cpu_tape;
  Tape<float> gpu_tape(Device::cuda);
  // The seed gradient: random, of the output's shape (found from a cpu run).
  Result probe = run(cpu_tape, leaves, f, nullptr, false);
  std::vector<float> seed = cuda::test::uniform<float>(int64_t(probe.value.size()), -1.f, 1.f);
  Result expected = run(cpu_tape, leaves, f, &seed, false);
  run(gpu_tape, leaves, f, &seed, true);  // poisons the arena memory the real run reuses
  Result got = run(gpu_tape, leaves, f, &seed, false);
  require_close(got.value, expected.value, tol, tol);
  REQUIRE(got.grads.size() == expected.grads.size());
  for (size_t i = 0; i < got.grads.size(); ++i) {
    INFO("gradient of input " << i);
    require_close(got.grads[i], expected.grads[i], tol, tol);
  }
}

// Parameters' values and gradients, read back from any device.
std::vector<std::vector<float>> values_of(const ParameterList<float>& ps) {
  std::vector<std::vector<float>> out;
  for (auto* p : ps) out.push_back(p->value().to_host());
  return out;
}
std::vector<std::vector<float>> grads_of(const ParameterList<float>& ps) {
  std::vector<std::vector<float>> out;
  for (auto* p : ps) out.push_back(p->grad().to_host());
  return out;
}
void require_all_close(const std::vector<std::vector<float>>& got, const std::vector<std::vector<float>>& expected,
                       double tol) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("parameter " << i);
    require_close(got[i], expected[i], tol, tol);
  }
}

}  // namespace

TEST_CASE("linear algebra ops match the cpu tape") {
  compare("matmul", {uniform_leaf({5, 7}), uniform_leaf({7, 3})},
          [](auto& v) { return matmul(v[0], v[1]); }, kSum);
  compare("linear", {uniform_leaf({6, 5}), uniform_leaf({5, 4}), uniform_leaf({1, 4})},
          [](auto& v) { return linear(v[0], v[1], v[2]); }, kSum);
  for (Unary f : {Unary::relu, Unary::tanh, Unary::silu})  // bias + activation fused on cuda
    compare("linear + activation", {uniform_leaf({67, 5}), uniform_leaf({5, 33}), uniform_leaf({1, 33})},
            [f](auto& v) { return linear(v[0], v[1], v[2], f); }, kSum);
  for (Unary f : {Unary::identity, Unary::relu, Unary::silu})  // x1 read by 1 or 3 blocks of x2
    for (int64_t k : {1, 3})
      compare("concat_linear",
              {uniform_leaf({9, 5}), uniform_leaf({9 * k, 2}), uniform_leaf({7, 33}), uniform_leaf({1, 33})},
              [f](auto& v) { return concat_linear(v[0], v[1], v[2], v[3], f); }, kSum);
  compare("add_bias rank 2", {uniform_leaf({6, 4}), uniform_leaf({1, 4})},
          [](auto& v) { return add_bias(v[0], v[1]); }, kSum);
  compare("add_bias rank 3", {uniform_leaf({3, 6, 4}), uniform_leaf({3, 1, 4})},
          [](auto& v) { return add_bias(v[0], v[1]); }, kSum);
}

TEST_CASE("ensemble linear ops match the cpu tape") {
  compare("ensemble_linear shared x", {uniform_leaf({6, 5}), uniform_leaf({3, 5, 4}), uniform_leaf({3, 1, 4})},
          [](auto& v) { return ensemble_linear(v[0], v[1], v[2]); }, kSum);
  compare("ensemble_linear per-member x", {uniform_leaf({3, 6, 5}), uniform_leaf({3, 5, 4}), uniform_leaf({3, 1, 4})},
          [](auto& v) { return ensemble_linear(v[0], v[1], v[2]); }, kSum);
  for (Unary f : {Unary::relu, Unary::tanh, Unary::silu}) {
    compare("ensemble_linear + activation, shared x",
            {uniform_leaf({67, 5}), uniform_leaf({3, 5, 33}), uniform_leaf({3, 1, 33})},
            [f](auto& v) { return ensemble_linear(v[0], v[1], v[2], f); }, kSum);
    compare("ensemble_linear + activation, per-member x",
            {uniform_leaf({3, 67, 5}), uniform_leaf({3, 5, 33}), uniform_leaf({3, 1, 33})},
            [f](auto& v) { return ensemble_linear(v[0], v[1], v[2], f); }, kSum);
  }
  // Member 1 owns no rows.
  compare("ensemble_linear_routed", {uniform_leaf({10, 5}), uniform_leaf({3, 5, 4}), uniform_leaf({3, 1, 4})},
          [](auto& v) { return ensemble_linear_routed(v[0], v[1], v[2], {0, 3, 3, 10}); }, kSum);
}

TEST_CASE("binary ops with every broadcast match the cpu tape") {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{6, 4}, {6, 4}}, {{6, 4}, {1, 4}}, {{6, 4}, {6, 1}}, {{6, 4}, {1, 1}},
      {{3, 5, 4}, {3, 5, 4}}, {{3, 5, 4}, {3, 1, 4}}, {{3, 5, 4}, {1, 5, 4}}, {{3, 5, 4}, {1, 1, 1}}, {{3, 5, 4}, {5, 4}}};
  const std::vector<std::pair<const char*, Var<float> (*)(Var<float>, Var<float>)>> ops = {
      {"add", &add<float>}, {"sub", &sub<float>}, {"mul", &mul<float>}, {"minimum", &minimum<float>}};
  for (const auto& [sa, sb] : shapes)
    for (const auto& [name, op] : ops) {
      INFO(sa.str() << " with " << sb.str());
      auto fn = op;
      bool same = sa == sb;
      compare(name, {uniform_leaf(sa), uniform_leaf(sb)}, [fn](auto& v) { return fn(v[0], v[1]); },
              same ? kElem : kSum);
    }
}

TEST_CASE("scalar, unary and clamp ops match the cpu tape") {
  compare("scale", {uniform_leaf({6, 4})}, [](auto& v) { return scale(v[0], -1.7); }, kElem);
  compare("add_scalar", {uniform_leaf({6, 4})}, [](auto& v) { return add_scalar(v[0], 0.3); }, kElem);
  const Unary fs[] = {Unary::identity, Unary::relu, Unary::tanh, Unary::silu, Unary::softplus,
                      Unary::sigmoid, Unary::exp, Unary::log, Unary::square, Unary::reciprocal};
  for (Unary f : fs) {
    CAPTURE(int(f));
    // Inside the domain (log of positives) and off relu's kink.
    Leaf x = f == Unary::log ? uniform_leaf({7, 5}, 0.1f, 3.f) : uniform_leaf({7, 5}, -3.f, 3.f);
    for (float& e : x.values)
      if (std::fabs(e) < (f == Unary::reciprocal ? 0.2f : 1e-3f)) e = 0.5f;  // reciprocal: off its pole
    compare("unary", {x}, [f](auto& v) { return unary(f, v[0]); }, kElem);
  }
  // Values kept away from the bounds, where the gradient switches.
  Leaf x = uniform_leaf({7, 5}, -2.f, 2.f);
  for (float& e : x.values)
    if (std::fabs(std::fabs(e) - 1.f) < 1e-2f) e = 0.f;
  compare("clamp", {x}, [](auto& v) { return clamp(v[0], -1.0, 1.0); }, kElem);
  compare("soft_clamp", {uniform_leaf({6, 4}, -8.f, 3.f), uniform_leaf({1, 4}, -6.f, -4.f), uniform_leaf({1, 4}, 0.f, 1.f)},
          [](auto& v) { return soft_clamp(v[0], v[1], v[2]); }, kSum);
  compare("soft_clamp rank 3",
          {uniform_leaf({3, 6, 4}, -8.f, 3.f), uniform_leaf({3, 1, 4}, -6.f, -4.f), uniform_leaf({3, 1, 4}, 0.f, 1.f)},
          [](auto& v) { return soft_clamp(v[0], v[1], v[2]); }, kSum);
}

TEST_CASE("shape and row ops match the cpu tape") {
  compare("concat_cols", {uniform_leaf({5, 2}), uniform_leaf({5, 3}), uniform_leaf({5, 1})},
          [](auto& v) { return concat_cols<float>({v[0], v[1], v[2]}); }, kElem);
  compare("concat_cols rank 3", {uniform_leaf({2, 5, 2}), uniform_leaf({2, 5, 3})},
          [](auto& v) { return concat_cols<float>({v[0], v[1]}); }, kElem);
  compare("slice_cols", {uniform_leaf({5, 6})}, [](auto& v) { return slice_cols(v[0], 2, 3); }, kElem);
  compare("split_cols", {uniform_leaf({5, 6}), uniform_leaf({5, 4})},
          [](auto& v) {
            auto parts = split_cols(v[0], {2, 4});
            return add(mul(parts[1], v[1]), scale(sum_cols(parts[0]), 2.0));
          },
          kSum);
  // Duplicate indices: gradients of x add up over the repeats.
  compare("gather_rows", {uniform_leaf({6, 3})},
          [](auto& v) { return gather_rows(v[0], {5, 0, 2, 2, 5, 5, 1}); }, kSum);
  compare("scatter_rows", {uniform_leaf({7, 3})},
          [](auto& v) { return scatter_rows(v[0], {5, 0, 2, 2, 5, 5, 1}, 8); }, kSum);
  compare("select_members", {uniform_leaf({3, 5, 4})},
          [](auto& v) {
            // The ids in each tape's device memory (uploaded on cuda).
            static const std::vector<int32_t> ids{2, 0, 1, 1, 2};
            return select_members(v[0], v[0].tape->upload_indices(ids.data(), 5));
          },
          kElem);
  compare("tile_rows", {uniform_leaf({3, 4})}, [](auto& v) { return tile_rows(v[0], 5); }, kSum);
  compare("broadcast_rows", {uniform_leaf({1, 4})}, [](auto& v) { return broadcast_rows(v[0], 9); }, kSum);
  compare("reshape", {uniform_leaf({3, 4}), uniform_leaf({2, 6})},
          [](auto& v) { return mul(reshape(v[0], Shape{2, 6}), v[1]); }, kElem);
}

TEST_CASE("reductions match the cpu tape") {
  const std::vector<std::pair<const char*, Var<float> (*)(Var<float>)>> ops = {
      {"sum", &sum<float>},       {"mean", &mean<float>},         {"sum_rows", &sum_rows<float>},
      {"mean_rows", &mean_rows<float>}, {"sum_cols", &sum_cols<float>}, {"mean_cols", &mean_cols<float>}};
  for (Shape s : {Shape{7, 5}, Shape{3, 300, 5}, Shape{3, 4, 300}})
    for (const auto& [name, op] : ops) {
      INFO(s.str());
      auto fn = op;
      compare(name, {uniform_leaf(s)}, [fn](auto& v) { return fn(v[0]); }, kSum);
    }
}

TEST_CASE("gaussian ops match the cpu tape") {
  auto leaves = [](bool eps_grad) {
    return std::vector<Leaf>{uniform_leaf({6, 3}), uniform_leaf({6, 3}, -2.f, 0.5f),
                             uniform_leaf({6, 3}, -2.f, 2.f, eps_grad)};
  };
  compare("gaussian_sample", leaves(true), [](auto& v) { return gaussian_sample(v[0], v[1], v[2]); }, kElem);
  compare("squashed_gaussian_sample", leaves(false),
          [](auto& v) { return squashed_gaussian_sample(v[0], v[1], v[2]); }, kElem);
  compare("squashed_gaussian_log_prob", leaves(false),
          [](auto& v) { return squashed_gaussian_log_prob(v[0], v[1], v[2]); }, kSum);
}

TEST_CASE("an MLP and an EnsembleMLP on cuda match the cpu") {
  Rng rng_cpu(7), rng_gpu(7);
  MLP<float> mlp_cpu("mlp", {5, 16, 3}, Unary::silu, rng_cpu);
  MLP<float> mlp_gpu("mlp", {5, 16, 3}, Unary::silu, rng_gpu);
  EnsembleMLP<float> ens_cpu("ens", 4, {3, 8, 2}, Unary::relu, rng_cpu);
  EnsembleMLP<float> ens_gpu("ens", 4, {3, 8, 2}, Unary::relu, rng_gpu);
  to_device(mlp_gpu.parameters(), Device::cuda);
  to_device(ens_gpu.parameters(), Device::cuda);
  const auto x = cuda::test::uniform<float>(9 * 5, -1.f, 1.f);
  const MemberRouting routing = route_rows({3, 0, 0, 2, 3, 3, 0, 2, 3}, 4);  // member 1 gets no rows

  auto loss = [&](Tape<float>& t, MLP<float>& mlp, EnsembleMLP<float>& ens) {
    Var<float> h = mlp.forward(t, t.constant(Shape{9, 5}, x.data()));
    Var<float> all = ens.forward_all(t, h);              // [4, 9, 2]
    Var<float> routed = ens.forward_routed(t, h, routing);  // [9, 2]
    return add(mean(square(all)), sum(tanh(routed)));
  };
  Tape<float> cpu_tape, gpu_tape(Device::cuda);
  ParameterList<float> ps_cpu = mlp_cpu.parameters(), ps_gpu = mlp_gpu.parameters();
  for (auto* p : ens_cpu.parameters()) ps_cpu.push_back(p);
  for (auto* p : ens_gpu.parameters()) ps_gpu.push_back(p);
  zero_grad(ps_cpu);
  zero_grad(ps_gpu, gpu_tape.stream());
  Var<float> l_cpu = loss(cpu_tape, mlp_cpu, ens_cpu);
  Var<float> l_gpu = loss(gpu_tape, mlp_gpu, ens_gpu);
  cpu_tape.backward(l_cpu);
  gpu_tape.backward(l_gpu);
  REQUIRE(l_gpu.item() == Approx(l_cpu.item()).epsilon(1e-4));
  device::synchronize(gpu_tape.stream());
  require_all_close(grads_of(ps_gpu), grads_of(ps_cpu), kSum);
}

TEST_CASE("Adam, Polyak, copies and gradient clipping on cuda match the cpu") {
  Rng rng_cpu(11), rng_gpu(11);
  MLP<float> cpu("q", {4, 8, 1}, Unary::tanh, rng_cpu);
  MLP<float> gpu("q", {4, 8, 1}, Unary::tanh, rng_gpu);
  to_device(gpu.parameters(), Device::cuda);
  Tape<float> tape(Device::cuda);
  Adam<float> adam_cpu(cpu.parameters(), AdamOptions{1e-2, 0.9, 0.999, 1e-8, 1e-3});
  Adam<float> adam_gpu(gpu.parameters(), AdamOptions{1e-2, 0.9, 0.999, 1e-8, 1e-3});
  for (int step = 0; step < 3; ++step) {
    auto ps_cpu = cpu.parameters(), ps_gpu = gpu.parameters();
    for (size_t i = 0; i < ps_cpu.size(); ++i) {
      auto g = cuda::test::uniform<float>(ps_cpu[i]->numel(), -2.f, 2.f);
      ps_cpu[i]->grad().host() = g;
      ps_gpu[i]->grad().copy_from_host(g);
    }
    // Norm ~ sqrt(57 * 4/3) > 1: both clip.
    double n_cpu = clip_grad_norm(ps_cpu, 1.0);
    double n_gpu = clip_grad_norm(ps_gpu, 1.0, tape.stream());
    REQUIRE(n_gpu == Approx(n_cpu).epsilon(1e-5));
    adam_cpu.step();
    adam_gpu.step(step % 2 ? tape.stream() : cuda::default_stream);  // both stream modes
  }
  device::synchronize(tape.stream());
  require_all_close(values_of(gpu.parameters()), values_of(cpu.parameters()), kElem);
  for (size_t i = 0; i < adam_cpu.first_moments().size(); ++i) {
    require_close(adam_gpu.first_moments()[i].to_host(), adam_cpu.first_moments()[i].host(), kElem, kElem);
    require_close(adam_gpu.second_moments()[i].to_host(), adam_cpu.second_moments()[i].host(), kElem, kElem);
  }

  Rng rng_t(12);
  MLP<float> target_cpu("t", {4, 8, 1}, Unary::tanh, rng_t);
  MLP<float> target_gpu = target_cpu;  // deep copy, then moved
  to_device(target_gpu.parameters(), Device::cuda);
  polyak_update(target_cpu.parameters(), cpu.parameters(), 0.05);
  polyak_update(target_gpu.parameters(), gpu.parameters(), 0.05, tape.stream());
  device::synchronize(tape.stream());
  require_all_close(values_of(target_gpu.parameters()), values_of(target_cpu.parameters()), kElem);
  // Hard copies across devices: cuda <- cpu, then cpu <- cuda.
  copy_parameters(target_gpu.parameters(), cpu.parameters());
  require_all_close(values_of(target_gpu.parameters()), values_of(cpu.parameters()), 0.0);
  copy_parameters(target_cpu.parameters(), gpu.parameters());
  require_all_close(values_of(target_cpu.parameters()), values_of(gpu.parameters()), 0.0);
  // A non-finite gradient is reported, not clipped.
  auto ps = gpu.parameters();
  ps[0]->grad().fill(std::numeric_limits<float>::quiet_NaN());
  REQUIRE_FALSE(std::isfinite(clip_grad_norm(ps, 1.0)));
}

TEST_CASE("device buffers round-trip and copy deeply") {
  const auto v = cuda::test::uniform<float>(12, -1.f, 1.f);
  Buffer<float> b(Shape{3, 4}, Device::cuda);
  REQUIRE(b.to_host() == std::vector<float>(12, 0.f));  // created zeroed
  b.copy_from_host(v);
  REQUIRE(b.to_host() == v);
  Buffer<float> c = b;  // deep copy on the device
  b.fill(2.5f);
  REQUIRE(c.to_host() == v);
  REQUIRE(b.to_host() == std::vector<float>(12, 2.5f));
  Buffer<float> h = c.to(Device::cpu);
  REQUIRE(h.device() == Device::cpu);
  REQUIRE(h.host() == v);
  Buffer<float> back = h.to(Device::cuda);
  REQUIRE(back.to_host() == v);
  REQUIRE_THROWS_WITH(back.host(), Catch::Contains("cuda") && Catch::Contains("expected cpu"));
  REQUIRE_THROWS_WITH(back.copy_from_host(v.data(), 5), Catch::Contains("5 elements"));

  // Checkpoints: a device buffer is saved through the host and loaded back onto the device.
  Safetensors st;
  st.put("b", {}, back);
  Buffer<float> loaded(Shape{3, 4}, Device::cuda);
  st.get_into("b", loaded);
  REQUIRE(loaded.to_host() == v);
}

TEST_CASE("a cuda tape reuses its device memory once a step has run") {
  Rng rng(2);
  MLP<float> mlp("mlp", {8, 64, 64, 2}, Unary::relu, rng);
  to_device(mlp.parameters(), Device::cuda);
  std::vector<float> x = rng.normal_vector<float>(256 * 8);
  Tape<float> tape(Device::cuda, 4096);  // deliberately tiny: the first step overflows into chunks
  auto step = [&] {
    tape.reset();
    zero_grad(mlp.parameters(), tape.stream());
    Var<float> loss = mean(mlp.forward(tape, tape.constant(Shape{256, 8}, x.data())));
    tape.backward(loss);
    return loss.item();
  };
  float first = step();
  step();
  size_t capacity = tape.capacity(), used = tape.bytes_in_use();
  for (int i = 0; i < 3; ++i) REQUIRE(step() == first);
  REQUIRE(tape.capacity() == capacity);
  REQUIRE(tape.bytes_in_use() == used);
}

TEST_CASE("mixing devices throws naming both") {
  Tape<float> cpu_tape, gpu_tape(Device::cuda);
  REQUIRE(gpu_tape.device() == Device::cuda);
  std::vector<float> v(6, 1.f);
  Var<float> a = cpu_tape.input(Shape{2, 3}, v.data());
  Var<float> b = gpu_tape.input(Shape{2, 3}, v.data());
  REQUIRE_THROWS_WITH(add(a, b), Catch::Contains("on cpu") && Catch::Contains("on cuda"));
  REQUIRE_THROWS_WITH(matmul(b, reshape(a, Shape{3, 2})), Catch::Contains("cpu") && Catch::Contains("cuda"));
  Parameter<float> p("w", Shape{2, 3});
  REQUIRE_THROWS_WITH(gpu_tape.param(p), Catch::Contains("'w'") && Catch::Contains("cpu") && Catch::Contains("cuda"));
  // A view on the device is copied onto a cpu tape and back.
  Buffer<float> d(Shape{2, 3}, Device::cuda);
  d.fill(3.f);
  REQUIRE(cpu_tape.constant(d.view()).to_host() == std::vector<float>(6, 3.f));
  REQUIRE(gpu_tape.constant(d.view()).to_host() == std::vector<float>(6, 3.f));
  REQUIRE(sum(gpu_tape.constant(d.view())).item() == Approx(18.f));
}
