// Sums against plain CPU loops, and the fused Adam / Polyak updates against cpu::adam_update
// and cpu::polyak_update. Tolerances: sums Tol<T>::summed(terms) (order of additions
// differs); Adam and Polyak Tol<T>::element (the same shared math per element).
#include <catch2/catch.hpp>

#include "kernels/cpu/elementwise.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/optim.hpp"
#include "kernels/cuda/reduce.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;
using cuda::test::poisoned;
using cuda::test::require_close;
using cuda::test::Tol;
using cuda::test::uniform;

TEMPLATE_TEST_CASE("cuda sums over rows, cols and everything match CPU loops", "", float, double) {
  using T = TestType;
  // Shapes from tiny to 64k rows, and one long sum that splits over many blocks.
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {3, 5}, {65536, 7}, {1000, 300}, {1 << 20, 1}};
  for (auto [rows, cols] : shapes) {
    CAPTURE(rows, cols);
    const auto x = uniform<T>(rows * cols, T(-1), T(1));
    std::vector<T> by_col(cols, T(0)), by_row(rows, T(0));
    std::vector<T> total(1, T(0));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        by_col[c] += x[r * cols + c];
        by_row[r] += x[r * cols + c];
        total[0] += x[r * cols + c];
      }
    DeviceBuffer<T> d_x(x), d_col = poisoned<T>(cols), d_row = poisoned<T>(rows), d_all = poisoned<T>(1);
    cuda::sum_rows(d_x.data(), d_col.data(), rows, cols);
    cuda::sum_cols(d_x.data(), d_row.data(), rows, cols);
    cuda::sum_all(d_x.data(), d_all.data(), rows * cols);
    require_close(d_col.to_host(), by_col, Tol<T>::summed(rows), Tol<T>::element);
    require_close(d_row.to_host(), by_row, Tol<T>::summed(cols), Tol<T>::element);
    require_close(d_all.to_host(), total, Tol<T>::summed(rows * cols), Tol<T>::element);
  }
}

TEMPLATE_TEST_CASE("cuda sum_to reduces a [B, R, C] tensor to a broadcast operand", "", float, double) {
  using T = TestType;
  const int64_t B = 5, R = 301, C = 9;
  const auto x = uniform<T>(B * R * C, T(-1), T(1));
  // Per member [B, 1, C]: the ensemble bias gradient.
  std::vector<T> expected(B * C, T(0));
  for (int64_t m = 0; m < B; ++m)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) expected[m * C + c] += x[(m * R + r) * C + c];
  DeviceBuffer<T> d_x(x), d_out = poisoned<T>(B * C);
  cuda::sum_to(cpu::Broadcast{B, R, C, C, 0, 1}, d_x.data(), d_out.data());
  require_close(d_out.to_host(), expected, Tol<T>::summed(R), Tol<T>::element);
  DeviceBuffer<T> d_zero = poisoned<T>(1);
  cuda::sum_all<T>(d_x.data(), d_zero.data(), 0);  // an empty sum is 0
  REQUIRE(d_zero.to_host()[0] == T(0));
}

TEMPLATE_TEST_CASE("cuda adam_update and polyak_update match the CPU", "", float, double) {
  using T = TestType;
  const int64_t n = 100003;
  auto p = uniform<T>(n, T(-1), T(1)), m = uniform<T>(n, T(-0.1), T(0.1)), v = uniform<T>(n, T(0), T(0.01));
  const auto g = uniform<T>(n, T(-1), T(1));
  DeviceBuffer<T> d_p(p), d_g(g), d_m(m), d_v(v);
  // Three steps, so m and v carry over between calls as in training.
  for (int t = 1; t <= 3; ++t) {
    const T bc1 = T(1) - std::pow(T(0.9), T(t)), bc2 = T(1) - std::pow(T(0.999), T(t));
    cpu::adam_update(p.data(), g.data(), m.data(), v.data(), n, T(3e-4), T(0.9), T(0.999), T(1e-8), bc1, bc2, T(1e-4));
    cuda::adam_update(d_p.data(), d_g.data(), d_m.data(), d_v.data(), n, T(3e-4), T(0.9), T(0.999), T(1e-8), bc1, bc2,
                      T(1e-4));
  }
  require_close(d_p.to_host(), p, Tol<T>::element, Tol<T>::element);
  require_close(d_m.to_host(), m, Tol<T>::element, Tol<T>::element);
  require_close(d_v.to_host(), v, Tol<T>::element, Tol<T>::element);
  REQUIRE_THROWS_AS(cuda::adam_update(d_p.data(), d_g.data(), d_m.data(), d_v.data(), n, T(3e-4), T(0.9), T(0.999),
                                      T(1e-8), T(0), T(1), T(0)),
                    std::invalid_argument);

  auto target = uniform<T>(n, T(-1), T(1));
  const auto source = uniform<T>(n, T(-1), T(1));
  DeviceBuffer<T> d_target(target), d_source(source);
  cpu::polyak_update(target.data(), source.data(), n, T(0.005));
  cuda::polyak_update(d_target.data(), d_source.data(), n, T(0.005));
  require_close(d_target.to_host(), target, Tol<T>::element, Tol<T>::element);
}
