// The tape's data-movement and pointwise kernels (rows.hpp, pointwise.hpp) against
// plain CPU loops, in float and double, on fresh random inputs with NaN-poisoned outputs
// where the kernel overwrites and random starting values where it accumulates.
// Tolerances: Tol<T> in helpers.hpp (copies are exact; sums add a per-term allowance).
#include <catch2/catch.hpp>

#include <limits>

#include <cmath>

#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/pointwise.hpp"
#include "kernels/cuda/rows.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;
using cuda::test::require_close;
using cuda::test::Tol;
using cuda::test::uniform;

TEMPLATE_TEST_CASE("cuda copy_cols, gather_rows and scatter_add_rows match CPU loops", "", float, double) {
  using T = TestType;
  const int64_t rows = 1000, src_ld = 7, dst_ld = 5, count = 3;
  const auto src = uniform<T>(rows * src_ld, T(-1), T(1));
  for (bool acc : {false, true}) {
    CAPTURE(acc);
    auto dst = uniform<T>(rows * dst_ld, T(-1), T(1));
    DeviceBuffer<T> d_src(src), d_dst(dst);
    if (!acc) d_dst.memset(0xFF);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < count; ++c) dst[r * dst_ld + 1 + c] = (acc ? dst[r * dst_ld + 1 + c] : T(0)) + src[r * src_ld + 2 + c];
    cuda::copy_cols(d_src.data() + 2, src_ld, d_dst.data() + 1, dst_ld, rows, count, acc);
    auto got = d_dst.to_host();
    for (int64_t r = 0; r < rows; ++r)  // only the copied block is defined when poisoned
      for (int64_t c = 0; c < count; ++c) REQUIRE(got[r * dst_ld + 1 + c] == Approx(dst[r * dst_ld + 1 + c]).margin(Tol<T>::element));
  }

  // Duplicate indices: gather reads a row many times; scatter adds into it many times.
  const int64_t n = 50, k = 3000, d = 6;
  std::vector<int32_t> index(k);
  for (int64_t i = 0; i < k; ++i) index[i] = int32_t((i * 37 + i / 7) % n);
  const auto x = uniform<T>(n * d, T(-1), T(1));
  const auto rows_k = uniform<T>(k * d, T(-1), T(1));
  DeviceBuffer<int32_t> d_index(index);
  DeviceBuffer<T> d_x(x), d_rows(rows_k);

  std::vector<T> gathered(k * d);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < d; ++c) gathered[i * d + c] = x[index[i] * d + c];
  DeviceBuffer<T> d_g = cuda::test::poisoned<T>(k * d);
  cuda::gather_rows(d_x.data(), d_index.data(), d_g.data(), k, d, false);
  require_close(d_g.to_host(), gathered, 0.0, 0.0);
  auto start = uniform<T>(k * d, T(-1), T(1));
  DeviceBuffer<T> d_ga(start);
  cuda::gather_rows(d_x.data(), d_index.data(), d_ga.data(), k, d, true);
  for (int64_t i = 0; i < k * d; ++i) start[i] += gathered[i];
  require_close(d_ga.to_host(), start, Tol<T>::element, Tol<T>::element);

  auto scattered = uniform<T>(n * d, T(-1), T(1));
  DeviceBuffer<T> d_s(scattered);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < d; ++c) scattered[index[i] * d + c] += rows_k[i * d + c];
  cuda::scatter_add_rows(d_rows.data(), d_index.data(), d_s.data(), k, d);
  require_close(d_s.to_host(), scattered, Tol<T>::summed(k / n + 1), Tol<T>::element);
}

TEMPLATE_TEST_CASE("cuda expand and sum_to_add match CPU loops", "", float, double) {
  using T = TestType;
  const int64_t B = 3, R = 700, C = 5;
  // Operand [B, 1, C] (a bias) and [1, 1, C] (a tiled row).
  for (const cpu::Broadcast& bc : {cpu::Broadcast{B, R, C, C, 0, 1}, cpu::Broadcast{B, R, C, 0, 0, 1},
                                   cpu::Broadcast{B, R, C, R, 1, 0}}) {
    CAPTURE(bc.sb, bc.sr, bc.sc);
    const int64_t own = (bc.sb ? B : 1) * (bc.sr ? R : 1) * (bc.sc ? C : 1);
    const T factor = T(0.75);
    const auto x = uniform<T>(own, T(-1), T(1));
    auto y = uniform<T>(B * R * C, T(-1), T(1));
    DeviceBuffer<T> d_x(x), d_y(y), d_over = cuda::test::poisoned<T>(B * R * C);
    std::vector<T> over(B * R * C);
    for (int64_t i = 0; i < B * R * C; ++i) {
      const int64_t c = i % C, r = (i / C) % R, m = i / (C * R);
      over[i] = factor * x[bc.at(m, r, c)];
      y[i] += over[i];
    }
    cuda::expand(bc, d_x.data(), d_over.data(), factor, false);
    cuda::expand(bc, d_x.data(), d_y.data(), factor, true);
    require_close(d_over.to_host(), over, Tol<T>::element, Tol<T>::element);
    require_close(d_y.to_host(), y, Tol<T>::element, Tol<T>::element);

    const auto full = uniform<T>(B * R * C, T(-1), T(1));
    auto out = uniform<T>(own, T(-1), T(1));
    DeviceBuffer<T> d_full(full), d_out(out);
    for (int64_t i = 0; i < B * R * C; ++i) {
      const int64_t c = i % C, r = (i / C) % R, m = i / (C * R);
      out[bc.at(m, r, c)] += factor * full[i];
    }
    cuda::sum_to_add(bc, d_full.data(), d_out.data(), factor);
    require_close(d_out.to_host(), out, Tol<T>::summed(B * R * C / own), Tol<T>::element);
  }
}

TEMPLATE_TEST_CASE("cuda fill, affine, clamp and sum_squares_add match CPU loops", "", float, double) {
  using T = TestType;
  const int64_t n = 70001;
  DeviceBuffer<T> d_f = cuda::test::poisoned<T>(n);
  cuda::fill(d_f.data(), n, T(2.5));
  require_close(d_f.to_host(), std::vector<T>(n, T(2.5)), 0.0, 0.0);

  auto x = uniform<T>(n, T(-2), T(2));
  for (auto& v : x)
    if (std::fabs(std::fabs(v) - T(1)) < T(1e-3)) v = T(0);  // off the clamp's switch points
  auto y = uniform<T>(n, T(-1), T(1));
  DeviceBuffer<T> d_x(x), d_y(y), d_a = cuda::test::poisoned<T>(n);
  std::vector<T> a(n), acc = y;
  for (int64_t i = 0; i < n; ++i) {
    a[i] = T(-1.5) * x[i] + T(0.25);
    acc[i] += a[i];
  }
  cuda::affine(d_x.data(), d_a.data(), n, T(-1.5), T(0.25), false);
  cuda::affine(d_x.data(), d_y.data(), n, T(-1.5), T(0.25), true);
  require_close(d_a.to_host(), a, Tol<T>::element, Tol<T>::element);
  require_close(d_y.to_host(), acc, Tol<T>::element, Tol<T>::element);

  const auto dy = uniform<T>(n, T(-1), T(1));
  auto dx = uniform<T>(n, T(-1), T(1));
  std::vector<T> clamped(n);
  DeviceBuffer<T> d_c = cuda::test::poisoned<T>(n), d_dy(dy), d_dx(dx);
  for (int64_t i = 0; i < n; ++i) {
    clamped[i] = math::clamp(x[i], T(-1), T(1));
    if (x[i] > T(-1) && x[i] < T(1)) dx[i] += dy[i];
  }
  cuda::clamp_forward(d_x.data(), d_c.data(), n, T(-1), T(1));
  cuda::clamp_backward(d_x.data(), d_dy.data(), d_dx.data(), n, T(-1), T(1));
  require_close(d_c.to_host(), clamped, 0.0, 0.0);
  require_close(d_dx.to_host(), dx, Tol<T>::element, Tol<T>::element);
  REQUIRE_THROWS_WITH(cuda::clamp_forward(d_x.data(), d_c.data(), n, T(1), T(-1)), Catch::Contains("lo <= hi"));

  // inside: the 0/1 mask of the shared math, open and closed, with a NaN and an infinity.
  std::vector<T> xm = x;
  xm[3] = T(NAN);
  xm[7] = std::numeric_limits<T>::infinity();
  DeviceBuffer<T> d_xm(xm), d_m(n);
  for (bool closed : {false, true}) {
    std::vector<T> mask(x.size());
    for (size_t i = 0; i < xm.size(); ++i) mask[i] = math::inside(xm[i], -0.5, 0.5, closed);
    cuda::inside(d_xm.data(), d_m.data(), n, -0.5, 0.5, closed);
    require_close(d_m.to_host(), mask, 0.0, 0.0);
  }

  double sq = 0.5;
  for (T v : x) sq += double(v) * double(v);
  DeviceBuffer<double> d_sq(std::vector<double>{0.5});
  cuda::sum_squares_add(d_x.data(), n, d_sq.data());
  REQUIRE(d_sq.to_host()[0] == Approx(sq).epsilon(1e-10));
}
