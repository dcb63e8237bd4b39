// The kernels that let a whole update run as a CUDA graph without host scalars: member
// draws with a device counter, member-row selection (vs a host loop), and the guarded
// Adam step whose step count and go/no-go flag live in device memory (vs the shared
// math::adam_step on the host), and the clip scaling that reads its squared norm there
// (vs math::clip_factor on the host).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/members.hpp"
#include "kernels/cuda/optim.hpp"
#include "kernels/cuda/pointwise.hpp"
#include "kernels/math.cuh"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;

TEST_CASE("draw_members picks uniformly from the pool and advances its device counter") {
  const int64_t n = 70000;
  const std::vector<int32_t> pool_host{0, 2, 3, 5, 6};  // e.g. five elites of seven
  DeviceBuffer<int32_t> pool(pool_host), out(n);
  DeviceBuffer<uint64_t> counter(std::vector<uint64_t>{0});
  cuda::draw_members(out.data(), n, pool.data(), int64_t(pool_host.size()), 11, counter.data());
  const auto first = out.to_host();
  REQUIRE(counter.to_host()[0] == uint64_t(n));
  std::map<int32_t, int64_t> count;
  for (int32_t m : first) ++count[m];
  REQUIRE(count.size() == pool_host.size());
  // Each of 5 members expects 14000 draws, standard deviation ~106: 6 sigma is 640.
  for (int32_t m : pool_host) CHECK(std::abs(count[m] - n / 5) < 640);
  cuda::draw_members(out.data(), n, pool.data(), int64_t(pool_host.size()), 11, counter.data());
  const auto second = out.to_host();
  int64_t same = 0;
  for (int64_t i = 0; i < n; ++i) same += first[i] == second[i];
  CHECK(std::abs(same - n / 5) < 640);  // independent draws agree 1/5 of the time
  // The same seed and counter repeat the draw.
  counter.memset(0);
  cuda::draw_members(out.data(), n, pool.data(), int64_t(pool_host.size()), 11, counter.data());
  REQUIRE(out.to_host() == first);
  REQUIRE_THROWS_AS(cuda::draw_members(out.data(), n, pool.data(), 0, 11, counter.data()), std::invalid_argument);
}

TEST_CASE("select_member_rows and its backward equal the host gather and scatter") {
  const int64_t M = 4, n = 300, d = 9;
  const auto all_host = cuda::test::uniform<float>(M * n * d, -1, 1), dy_host = cuda::test::uniform<float>(n * d, -1, 1);
  std::vector<int32_t> member_host(n);
  for (int64_t i = 0; i < n; ++i) member_host[i] = int32_t((i * 7 + 3) % M);
  DeviceBuffer<float> all(all_host), dy(dy_host), y = cuda::test::poisoned<float>(n * d);
  DeviceBuffer<int32_t> member(member_host);
  const auto dall_init = cuda::test::uniform<float>(M * n * d, -1, 1);
  DeviceBuffer<float> dall(dall_init);
  cuda::select_member_rows(all.data(), member.data(), y.data(), M, n, d);
  cuda::select_member_rows_backward(dy.data(), member.data(), dall.data(), M, n, d);
  std::vector<float> y_ref(n * d), dall_ref = dall_init;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) {
      y_ref[i * d + c] = all_host[(member_host[i] * n + i) * d + c];
      dall_ref[(member_host[i] * n + i) * d + c] += dy_host[i * d + c];
    }
  REQUIRE(y.to_host() == y_ref);
  cuda::test::require_close(dall.to_host(), dall_ref, 0.0, 0.0);

  // A member outside [0, M) gives NaN, never an out-of-bounds read.
  member_host[5] = int32_t(M);
  member.copy_from(member_host);
  cuda::select_member_rows(all.data(), member.data(), y.data(), M, n, d);
  const auto y2 = y.to_host();
  for (int64_t c = 0; c < d; ++c) REQUIRE(std::isnan(y2[5 * d + c]));
}

TEST_CASE("guarded Adam reads its step and flag on the device") {
  const int64_t n = 5000;
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 1e-4f;
  auto p_host = cuda::test::uniform<float>(n, -1, 1), g_host = cuda::test::uniform<float>(n, -1, 1);
  std::vector<float> m_host(n, 0.f), v_host(n, 0.f);
  DeviceBuffer<float> p(p_host), g(g_host), m(m_host), v(v_host);
  DeviceBuffer<int64_t> step(std::vector<int64_t>{0});
  DeviceBuffer<int32_t> ok(1);

  for (int s = 1; s <= 3; ++s) {
    cuda::flag_set(ok.data());
    cuda::flag_all_finite(g.data(), n, ok.data());
    cuda::count_step(step.data(), ok.data());
    cuda::adam_update_guarded(p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, step.data(), ok.data());
    const float bc1 = 1.f - std::pow(b1, float(s)), bc2 = 1.f - std::pow(b2, float(s));
    for (int64_t i = 0; i < n; ++i)
      math::adam_step(&p_host[i], g_host[i], &m_host[i], &v_host[i], lr, b1, b2, eps, bc1, bc2, wd);
  }
  REQUIRE(step.to_host()[0] == 3);
  cuda::test::require_close(p.to_host(), p_host, 1e-6, 1e-5);
  cuda::test::require_close(m.to_host(), m_host, 1e-7, 1e-5);

  // A non-finite gradient clears the flag: no step is counted and nothing changes.
  g_host[123] = NAN;
  g.copy_from(g_host);
  const auto p_before = p.to_host();
  cuda::flag_set(ok.data());
  cuda::flag_all_finite(g.data(), n, ok.data());
  REQUIRE(ok.to_host()[0] == 0);
  cuda::count_step(step.data(), ok.data());
  cuda::adam_update_guarded(p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, step.data(), ok.data());
  REQUIRE(step.to_host()[0] == 3);
  REQUIRE(p.to_host() == p_before);
}

// The device clip factor: the squared norm summed on the device, then every gradient
// scaled by math::clip_factor of it, against the same shared math on the host.
TEMPLATE_TEST_CASE("clip_scale reads the squared norm on the device and scales like the host", "", float, double) {
  using T = TestType;
  const int64_t n = 70001;
  const auto g_host = cuda::test::uniform<T>(n, T(-1), T(1));
  DeviceBuffer<T> g(g_host);
  DeviceBuffer<double> sq(1);
  sq.memset(0);
  cuda::sum_squares_add(g.data(), n, sq.data());
  double sq_host = 0;
  for (T v : g_host) sq_host += double(v) * double(v);
  REQUIRE(sq.to_host()[0] == Approx(sq_host).epsilon(1e-10));

  // Norm ~ sqrt(n / 3) ~ 150: clipped to 2. The factor comes from the device's sum.
  const double max_norm = 2.0, factor = math::clip_factor(sq.to_host()[0], max_norm);
  REQUIRE(factor < 1.0);
  cuda::clip_scale(g.data(), n, sq.data(), max_norm);
  std::vector<T> expected(g_host.size());
  for (size_t i = 0; i < g_host.size(); ++i) expected[i] = math::clip_scaled(g_host[i], factor);
  cuda::test::require_close(g.to_host(), expected, 0.0, 0.0);

  // Within the limit, or a non-finite norm: not one gradient changes.
  const auto clipped = g.to_host();
  cuda::clip_scale(g.data(), n, sq.data(), 1e6);
  REQUIRE(g.to_host() == clipped);
  sq.memset(0xFF);  // NaN
  cuda::clip_scale(g.data(), n, sq.data(), max_norm);
  REQUIRE(g.to_host() == clipped);
  REQUIRE_THROWS_WITH(cuda::clip_scale(g.data(), n, sq.data(), 0.0), Catch::Contains("max_norm 0"));
  REQUIRE_THROWS_AS(cuda::clip_scale(g.data(), n, nullptr, 1.0), std::invalid_argument);
}
