// Philox normal noise: moments over 1M samples, fresh numbers on every call, the same
// numbers from the same seed and counter, and fresh noise on every replay of a CUDA graph
// that captured fill_normal (the counter lives in device memory).
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/random.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;

namespace {

template <class T> std::pair<double, double> mean_var(const std::vector<T>& x) {
  double s = 0, s2 = 0;
  for (T v : x) s += double(v), s2 += double(v) * double(v);
  const double mean = s / double(x.size());
  return {mean, s2 / double(x.size()) - mean * mean};
}

uint64_t read_counter(const uint64_t* device_counter) {
  uint64_t c = 0;
  cuda::copy_device_to_host(&c, device_counter, sizeof c);
  return c;
}

}  // namespace

TEMPLATE_TEST_CASE("fill_normal draws N(0, 1) and advances its device counter", "", float, double) {
  using T = TestType;
  // 1M samples: the standard error of the mean is 1e-3 and of the variance ~1.4e-3, so
  // 5e-3 is > 3.5 standard errors (a false failure about once in 5000 runs).
  const int64_t n = 1 << 20;
  cuda::NormalGenerator gen(12345);
  DeviceBuffer<T> a = cuda::test::poisoned<T>(n), b = cuda::test::poisoned<T>(n);
  gen.fill(a.data(), n);
  REQUIRE(read_counter(gen.device_counter()) == uint64_t(n / 4));
  gen.fill(b.data(), n);
  REQUIRE(read_counter(gen.device_counter()) == uint64_t(n / 2));
  const auto ha = a.to_host(), hb = b.to_host();
  for (T v : ha) REQUIRE(std::isfinite(v));
  const auto [mean, var] = mean_var(ha);
  CHECK(std::fabs(mean) < 5e-3);
  CHECK(std::fabs(var - 1.0) < 5e-3);
  // Tails exist but are not absurd: about 0.27% of N(0, 1) lies beyond 3.
  const auto beyond3 = std::count_if(ha.begin(), ha.end(), [](T v) { return std::fabs(v) > T(3); });
  CHECK(std::fabs(double(beyond3) / double(n) - 0.0027) < 0.0005);

  // Two calls give different numbers.
  int64_t equal = 0;
  for (int64_t i = 0; i < n; ++i) equal += ha[i] == hb[i];
  REQUIRE(equal < 10);

  // The same seed and counter give the same numbers, also for a length not a multiple of 4.
  DeviceBuffer<uint64_t> counter(std::vector<uint64_t>{0});
  DeviceBuffer<T> c = cuda::test::poisoned<T>(n - 3);
  cuda::fill_normal(c.data(), n - 3, 12345, counter.data());
  const auto hc = c.to_host();
  REQUIRE(std::equal(hc.begin(), hc.end(), ha.begin()));
  // A different seed gives different numbers.
  counter.memset(0);
  cuda::fill_normal(c.data(), n - 3, 54321, counter.data());
  const auto hd = c.to_host();
  REQUIRE(!std::equal(hd.begin(), hd.begin() + 100, ha.begin()));
}

TEST_CASE("a CUDA graph that captured fill_normal draws fresh noise on every replay") {
  const int64_t n = 4099;
  cudaStream_t stream = nullptr;
  MAAC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  DeviceBuffer<uint64_t> counter(std::vector<uint64_t>{0});
  DeviceBuffer<float> out = cuda::test::poisoned<float>(n);
  MAAC_CUDA_CHECK(cudaStreamSynchronize(stream));
  MAAC_CUDA_CHECK(cudaDeviceSynchronize());

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  MAAC_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  cuda::fill_normal(out.data(), n, 7, counter.data(), stream);
  MAAC_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  MAAC_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  REQUIRE(read_counter(counter.data()) == 0);  // capture records, it does not run

  MAAC_CUDA_CHECK(cudaGraphLaunch(exec, stream));
  MAAC_CUDA_CHECK(cudaStreamSynchronize(stream));
  const auto first = out.to_host();
  MAAC_CUDA_CHECK(cudaGraphLaunch(exec, stream));
  MAAC_CUDA_CHECK(cudaStreamSynchronize(stream));
  const auto second = out.to_host();
  REQUIRE(read_counter(counter.data()) == uint64_t(2 * ((n + 3) / 4)));

  for (float v : first) REQUIRE(std::isfinite(v));
  int64_t equal = 0;
  for (int64_t i = 0; i < n; ++i) equal += first[i] == second[i];
  REQUIRE(equal < 5);

  // The first replay equals a direct call from counter 0; the second one from counter ceil(n/4).
  DeviceBuffer<uint64_t> direct_counter(std::vector<uint64_t>{0});
  DeviceBuffer<float> direct = cuda::test::poisoned<float>(n);
  cuda::fill_normal(direct.data(), n, 7, direct_counter.data());
  REQUIRE(direct.to_host() == first);
  cuda::fill_normal(direct.data(), n, 7, direct_counter.data());
  REQUIRE(direct.to_host() == second);

  MAAC_CUDA_CHECK(cudaGraphExecDestroy(exec));
  MAAC_CUDA_CHECK(cudaGraphDestroy(graph));
  MAAC_CUDA_CHECK(cudaStreamDestroy(stream));
}
