// Unary, binary-with-broadcast and fused bias + activation kernels against the CPU loops
// in kernels/cpu/elementwise.hpp, on fresh random inputs with NaN-poisoned outputs.
// Gradients start from random values (backward accumulates) on both sides.
// Tolerances: Tol<T> in helpers.hpp (element-wise 1e-5 float / 1e-12 double; reduced
// gradients add 1e-6 / 1e-14 per summed term).
#include <catch2/catch.hpp>

#include "kernels/cpu/elementwise.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/elementwise.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;
using cuda::test::Tol;
using cuda::test::uniform;

namespace {

// Inputs inside each function's domain and away from kinks (relu at 0, min ties).
template <class T> std::vector<T> inputs_for(math::Unary f, int64_t n) {
  if (f == math::Unary::log || f == math::Unary::reciprocal) return uniform<T>(n, T(0.1), T(3));
  auto x = uniform<T>(n, T(-3), T(3));
  for (auto& v : x)
    if (std::fabs(v) < T(1e-3)) v = T(0.5);
  return x;
}

constexpr math::Unary kUnaries[] = {math::Unary::identity, math::Unary::relu,    math::Unary::tanh,
                                    math::Unary::silu,     math::Unary::softplus, math::Unary::sigmoid,
                                    math::Unary::exp,      math::Unary::log,     math::Unary::square,
                                    math::Unary::reciprocal};
constexpr math::Binary kBinaries[] = {math::Binary::add, math::Binary::sub, math::Binary::mul, math::Binary::min,
                                     math::Binary::atan2};

// b's strides for a [B, R, C] tensor given which dimensions b keeps (compact layout).
cpu::Broadcast broadcast_of(int64_t B, int64_t R, int64_t C, bool keep_b, bool keep_r, bool keep_c) {
  const int64_t sc = keep_c ? 1 : 0, sr = keep_r ? (keep_c ? C : 1) : 0;
  const int64_t sb = keep_b ? (keep_r ? R : 1) * (keep_c ? C : 1) : 0;
  return {B, R, C, sb, sr, sc};
}
int64_t operand_size(const cpu::Broadcast& bc) {
  return (bc.sb ? bc.B : 1) * (bc.sr ? bc.R : 1) * (bc.sc ? bc.C : 1);
}

}  // namespace

TEMPLATE_TEST_CASE("cuda unary forward and backward match the CPU", "", float, double) {
  using T = TestType;
  const int64_t n = 70001;  // not a multiple of the block size
  for (math::Unary f : kUnaries) {
    CAPTURE(int(f));
    const auto x = inputs_for<T>(f, n);
    std::vector<T> y(n);
    cpu::unary_forward(f, x.data(), y.data(), n);
    DeviceBuffer<T> dx_in(x), dy_out = cuda::test::poisoned<T>(n);
    cuda::unary_forward(f, dx_in.data(), dy_out.data(), n);
    cuda::test::require_close(dy_out.to_host(), y, Tol<T>::element, Tol<T>::element);

    const auto dy = uniform<T>(n, T(-1), T(1));
    auto dx = uniform<T>(n, T(-1), T(1));
    DeviceBuffer<T> d_y(y), d_dy(dy), d_dx(dx);
    cpu::unary_backward(f, x.data(), y.data(), dy.data(), dx.data(), n);
    cuda::unary_backward(f, dx_in.data(), d_y.data(), d_dy.data(), d_dx.data(), n);
    cuda::test::require_close(d_dx.to_host(), dx, Tol<T>::element, Tol<T>::element);
  }
}

TEMPLATE_TEST_CASE("cuda binary ops with broadcast match the CPU, including reduced gradients", "", float, double) {
  using T = TestType;
  const int64_t B = 3, R = 517, C = 37;
  struct Pattern { bool keep_b, keep_r, keep_c; const char* what; };
  const Pattern patterns[] = {
      {true, true, true, "no broadcast"},      {true, false, true, "ensemble bias [B, 1, C]"},
      {false, false, true, "row vector [1, 1, C]"}, {true, true, false, "per-row [B, R, 1]"},
      {false, false, false, "scalar"},         {false, true, true, "shared over batch [1, R, C]"},
      {true, false, false, "per-batch [B, 1, 1]"},
  };
  for (const Pattern& p : patterns)
    for (math::Binary f : kBinaries) {
      CAPTURE(p.what, int(f));
      const cpu::Broadcast bc = broadcast_of(B, R, C, p.keep_b, p.keep_r, p.keep_c);
      const int64_t n = bc.numel(), nb = operand_size(bc), terms = n / nb;
      auto a = uniform<T>(n, T(-2), T(2)), b = uniform<T>(nb, T(-2), T(2));
      // atan2's partials grow like 1 / |(a, b)|: keep both off zero so sums stay O(1).
      if (f == math::Binary::atan2)
        for (auto* v : {&a, &b})
          for (T& e : *v) e += e < T(0) ? T(-0.5) : T(0.5);
      std::vector<T> y(n);
      cpu::binary_forward(f, bc, a.data(), b.data(), y.data());
      DeviceBuffer<T> d_a(a), d_b(b), d_y = cuda::test::poisoned<T>(n);
      cuda::binary_forward(f, bc, d_a.data(), d_b.data(), d_y.data());
      cuda::test::require_close(d_y.to_host(), y, Tol<T>::element, Tol<T>::element);

      const auto dy = uniform<T>(n, T(-1), T(1));
      auto da = uniform<T>(n, T(-1), T(1)), db = uniform<T>(nb, T(-1), T(1));
      DeviceBuffer<T> d_dy(dy), d_da(da), d_db(db);
      cpu::binary_backward(f, bc, a.data(), b.data(), dy.data(), da.data(), db.data());
      cuda::binary_backward(f, bc, d_a.data(), d_b.data(), d_dy.data(), d_da.data(), d_db.data());
      cuda::test::require_close(d_da.to_host(), da, Tol<T>::element, Tol<T>::element);
      cuda::test::require_close(d_db.to_host(), db, Tol<T>::summed(terms), Tol<T>::element);

      // A null gradient pointer is skipped, the other one still accumulates.
      DeviceBuffer<T> d_db2(db);
      cuda::binary_backward<T>(f, bc, d_a.data(), d_b.data(), d_dy.data(), nullptr, d_db2.data());
      cpu::binary_backward<T>(f, bc, a.data(), b.data(), dy.data(), nullptr, db.data());
      cuda::test::require_close(d_db2.to_host(), db, 2 * Tol<T>::summed(terms), Tol<T>::element);
    }
}

TEMPLATE_TEST_CASE("cuda fused bias + activation matches binary add then unary on the CPU", "", float, double) {
  using T = TestType;
  const int64_t M = 5, rows = 4099, cols = 29;  // x: [M, rows, cols], bias: [M, 1, cols]
  const cpu::Broadcast bias_bc{M, rows, cols, cols, 0, 1};
  const int64_t n = M * rows * cols;
  for (math::Unary f : {math::Unary::relu, math::Unary::tanh, math::Unary::silu, math::Unary::identity}) {
    CAPTURE(int(f));
    const auto x = uniform<T>(n, T(-2), T(2)), bias = uniform<T>(M * cols, T(-1), T(1));
    std::vector<T> z(n), y(n);
    cpu::binary_forward(math::Binary::add, bias_bc, x.data(), bias.data(), z.data());
    cpu::unary_forward(f, z.data(), y.data(), n);
    DeviceBuffer<T> d_x(x), d_bias(bias), d_pre = cuda::test::poisoned<T>(n), d_y = cuda::test::poisoned<T>(n);
    cuda::bias_act_forward(f, d_x.data(), d_bias.data(), d_pre.data(), d_y.data(), M, rows, cols);
    cuda::test::require_close(d_pre.to_host(), z, Tol<T>::element, Tol<T>::element);
    cuda::test::require_close(d_y.to_host(), y, Tol<T>::element, Tol<T>::element);

    // In place (pre aliases x, as the linear ops run it) and without keeping pre.
    DeviceBuffer<T> d_inplace(x), d_y2 = cuda::test::poisoned<T>(n);
    cuda::bias_act_forward(f, d_inplace.data(), d_bias.data(), d_inplace.data(), d_y2.data(), M, rows, cols);
    cuda::test::require_close(d_inplace.to_host(), z, Tol<T>::element, Tol<T>::element);
    cuda::test::require_close(d_y2.to_host(), y, Tol<T>::element, Tol<T>::element);
    DeviceBuffer<T> d_y3 = cuda::test::poisoned<T>(n);
    cuda::bias_act_forward<T>(f, d_x.data(), d_bias.data(), nullptr, d_y3.data(), M, rows, cols);
    cuda::test::require_close(d_y3.to_host(), y, Tol<T>::element, Tol<T>::element);

    // CPU: g = dy f'(z), then dpre += g, dbias += row sums of g (both start non-zero).
    const auto dy = uniform<T>(n, T(-1), T(1));
    auto dpre = uniform<T>(n, T(-1), T(1)), dbias = uniform<T>(M * cols, T(-1), T(1));
    DeviceBuffer<T> d_dy(dy), d_dpre(dpre), d_dbias(dbias), d_yv(y), d_z(z);
    std::vector<T> g(n, T(0));
    cpu::unary_backward(f, z.data(), y.data(), dy.data(), g.data(), n);
    std::vector<T> ones(n, T(1));
    const auto dpre_before = dpre;
    cpu::binary_backward(math::Binary::add, bias_bc, ones.data(), bias.data(), g.data(), dpre.data(), dbias.data());
    cuda::bias_act_backward(f, d_z.data(), d_yv.data(), d_dy.data(), d_dpre.data(), d_dbias.data(), M, rows, cols);
    cuda::test::require_close(d_dpre.to_host(), dpre, Tol<T>::element, Tol<T>::element);
    cuda::test::require_close(d_dbias.to_host(), dbias, Tol<T>::summed(rows), Tol<T>::element);

    // Either output alone: the other is left untouched.
    DeviceBuffer<T> d_dpre_only(dpre_before);
    cuda::bias_act_backward<T>(f, d_z.data(), d_yv.data(), d_dy.data(), d_dpre_only.data(), nullptr, M, rows, cols);
    cuda::test::require_close(d_dpre_only.to_host(), dpre, Tol<T>::element, Tol<T>::element);
    DeviceBuffer<T> d_dbias_only(dbias);
    cuda::bias_act_backward<T>(f, d_z.data(), d_yv.data(), d_dy.data(), nullptr, d_dbias_only.data(), M, rows, cols);
    std::vector<T> dbias2 = dbias;
    cpu::binary_backward<T>(math::Binary::add, bias_bc, ones.data(), bias.data(), g.data(), nullptr, dbias2.data());
    cuda::test::require_close(d_dbias_only.to_host(), dbias2, 2 * Tol<T>::summed(rows), Tol<T>::element);
  }
}

TEST_CASE("cuda element-wise entries reject bad arguments") {
  DeviceBuffer<float> a(8), b(8), y(8);
  REQUIRE_THROWS_AS(cuda::unary_forward(math::Unary::relu, a.data(), y.data(), int64_t(-1)), std::invalid_argument);
  REQUIRE_THROWS_AS(cuda::unary_forward(static_cast<math::Unary>(99), a.data(), y.data(), int64_t(8)),
                    std::invalid_argument);
  const cpu::Broadcast bad{2, -1, 4, 0, 0, 1};
  REQUIRE_THROWS_AS(cuda::binary_forward(math::Binary::add, bad, a.data(), b.data(), y.data()), std::invalid_argument);
  REQUIRE_THROWS_AS(cuda::bias_act_forward(math::Unary::relu, a.data(), b.data(), y.data(), y.data(), int64_t(1),
                                           int64_t(-2), int64_t(4)),
                    std::invalid_argument);
}
