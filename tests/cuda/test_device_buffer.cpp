// DeviceBuffer and DeviceArena: round trips, memset, moves, arena alignment and rewind.
#include <catch2/catch.hpp>

#include "kernels/cuda/device_buffer.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac::cuda;

TEST_CASE("DeviceBuffer copies host vectors to the device and back") {
  const auto host = test::uniform<float>(1000, -1.f, 1.f);
  DeviceBuffer<float> d(host);
  REQUIRE(d.size() == 1000);
  REQUIRE(d.to_host() == host);

  DeviceBuffer<float> copy(1000);
  copy_device_to_device(copy.data(), d.data(), d.bytes());
  synchronize_device();
  REQUIRE(copy.to_host() == host);
}

TEST_CASE("DeviceBuffer memset writes zeros and NaN poison") {
  DeviceBuffer<double> d(std::vector<double>(77, 3.0));
  d.memset(0);
  synchronize_device();
  for (double x : d.to_host()) REQUIRE(x == 0.0);
  d.memset(0xFF);
  synchronize_device();
  for (double x : d.to_host()) REQUIRE(std::isnan(x));
}

TEST_CASE("DeviceBuffer moves ownership and rejects mismatched host sizes") {
  DeviceBuffer<float> a(std::vector<float>{1.f, 2.f, 3.f});
  const float* p = a.data();
  DeviceBuffer<float> b(std::move(a));
  REQUIRE(b.data() == p);
  REQUIRE(a.data() == nullptr);
  REQUIRE(a.size() == 0);
  REQUIRE(b.to_host() == std::vector<float>{1.f, 2.f, 3.f});
  std::vector<float> wrong(2);
  REQUIRE_THROWS_AS(b.copy_to(wrong), std::invalid_argument);
  REQUIRE_THROWS_AS(DeviceBuffer<float>(-1), std::invalid_argument);
  DeviceBuffer<float> empty(0);
  REQUIRE(empty.data() == nullptr);
  REQUIRE(empty.to_host().empty());
}

TEST_CASE("DeviceArena hands out aligned, disjoint slices and rewinds on reset") {
  DeviceArena arena(4096);
  float* a = arena.allocate<float>(3);
  double* b = arena.allocate<double>(5);
  REQUIRE(reinterpret_cast<std::uintptr_t>(a) % DeviceArena::kAlignment == 0);
  REQUIRE(reinterpret_cast<std::uintptr_t>(b) % DeviceArena::kAlignment == 0);
  REQUIRE(reinterpret_cast<unsigned char*>(b) >= reinterpret_cast<unsigned char*>(a) + 3 * sizeof(float));
  REQUIRE(arena.used() == DeviceArena::kAlignment + 5 * sizeof(double));

  // The slices are real device memory: write through one, read it back.
  const std::vector<double> values{1, 2, 3, 4, 5};
  copy_host_to_device(b, values.data(), values.size() * sizeof(double));
  std::vector<double> back(5);
  copy_device_to_host(back.data(), b, back.size() * sizeof(double));
  REQUIRE(back == values);

  REQUIRE_THROWS_AS(arena.allocate<float>(4096), std::length_error);
  arena.reset();
  REQUIRE(arena.used() == 0);
  REQUIRE(arena.allocate<float>(3) == a);
  REQUIRE(arena.allocate<float>(1024 - 64) != nullptr);  // 3840 bytes fit after one 256-byte slot
}
