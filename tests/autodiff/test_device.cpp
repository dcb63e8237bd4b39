// Device plumbing that is checkable without a GPU: cpu Buffers round-trip through the
// device-neutral API, and asking for cuda where it cannot run throws naming "cuda"
// (never crashes). tests/cuda/test_autodiff_device.cpp covers the GPU itself.
#include <catch2/catch.hpp>

#include "autodiff/device_noise.hpp"
#include "autodiff/modules/mlp.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/safetensors.hpp"

using namespace maac;
using Catch::Contains;

TEST_CASE("cpu buffers round-trip through the device-neutral API") {
  std::vector<float> v{1, 2, 3, 4, 5, 6};
  Buffer<float> b(Shape{2, 3});
  b.copy_from_host(v);
  REQUIRE(b.host() == v);
  REQUIRE(b.to_host() == v);
  Buffer<float> c = b.to(Device::cpu);
  b.fill(0.5f);
  REQUIRE(c.host() == v);
  c.copy_from(b);
  REQUIRE(c.host() == std::vector<float>(6, 0.5f));
  REQUIRE_THROWS_WITH(c.copy_from(Buffer<float>(Shape{3, 2})), Contains("[3, 2]") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(c.copy_from_host(v.data(), 4), Contains("4 elements") && Contains("expected 6"));

  Safetensors st;
  st.put("b", {}, Buffer<float>(c));
  st.put("flat", {6}, c);
  Buffer<float> loaded(Shape{2, 3});
  st.get_into("b", loaded);
  REQUIRE(loaded.host() == c.host());
  REQUIRE(st.tensor("b").shape == std::vector<int64_t>{2, 3});
  REQUIRE(st.tensor("flat").shape == std::vector<int64_t>{6});
  Buffer<float> wrong(Shape{5});
  REQUIRE_THROWS_WITH(st.get_into("b", wrong), Contains("'b'") && Contains("expected 5"));
}

TEST_CASE("a cpu tape reads views and returns values to the host") {
  Tape<double> tape;
  REQUIRE(tape.device() == Device::cpu);
  REQUIRE(tape.stream() == cuda::default_stream);
  Buffer<double> b(Shape{2, 2});
  b.copy_from_host(std::vector<double>{1, 2, 3, 4});
  Var<double> x = tape.input(b.view());
  Var<double> y = sum(square(x));
  REQUIRE(y.item() == 30.0);
  REQUIRE(x.to_host() == std::vector<double>{1, 2, 3, 4});
  tape.backward(y);
  REQUIRE(std::vector<double>(x.grad(), x.grad() + 4) == std::vector<double>{2, 4, 6, 8});
  Rng rng(1);
  MLP<double> mlp("m", {2, 3}, Unary::tanh, rng);
  to_device(mlp.parameters(), Device::cpu);  // a no-op move
  REQUIRE(mlp.parameters()[0]->device() == Device::cpu);
}

TEST_CASE("cuda without a usable GPU throws naming the device") {
  if (device::available(Device::cuda)) {
    SUCCEED("a GPU is available here: tests/cuda covers the device");
    return;
  }
  REQUIRE_THROWS_WITH(Tape<float>(Device::cuda), Contains("Tape") && Contains("cuda"));
  REQUIRE_THROWS_WITH(Buffer<float>(Shape{2, 2}, Device::cuda), Contains("cuda") && Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(Parameter<double>("w", Shape{3}, Device::cuda), Contains("cuda"));
  Rng rng(1);
  MLP<float> mlp("m", {2, 3}, Unary::tanh, rng);
  REQUIRE_THROWS_WITH(to_device(mlp.parameters(), Device::cuda), Contains("cuda"));
  REQUIRE(mlp.parameters()[0]->device() == Device::cpu);  // left where it was
}

TEST_CASE("filled constants hold one value and take no gradient") {
  Tape<float> tape;
  Var<float> ones = tape.filled(Shape{3, 2}, 1.0f);
  REQUIRE(ones.to_host() == std::vector<float>(6, 1.0f));
  REQUIRE_FALSE(ones.requires_grad());
}

TEST_CASE("device noise needs a GPU and a cuda tape") {
  if (device::available(Device::cuda)) return;  // the cuda tests cover it there
  REQUIRE_THROWS_WITH(DeviceNoise(1), Catch::Contains("cuda"));
}
