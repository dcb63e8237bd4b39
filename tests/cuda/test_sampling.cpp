// Soft clamp, Gaussian and squashed-Gaussian kernels against the CPU loops in
// kernels/cpu/elementwise.hpp, fresh random inputs, NaN-poisoned outputs, accumulating
// gradients seeded with random values on both sides.
// Tolerances: Tol<T> in helpers.hpp; logp sums `cols` terms per row, the reduced dlo/dhi
// sum B*R*C / (operand size) terms.
#include <catch2/catch.hpp>

#include "kernels/cpu/elementwise.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/sampling.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;
using cuda::test::poisoned;
using cuda::test::require_close;
using cuda::test::Tol;
using cuda::test::uniform;

TEMPLATE_TEST_CASE("cuda soft clamp forward and backward match the CPU", "", float, double) {
  using T = TestType;
  // Log-std head of an ensemble: x [M, rows, out], lo/hi [M, 1, out] (per member) and [1, 1, out].
  const int64_t M = 4, rows = 1031, out = 17;
  const cpu::Broadcast cases[] = {{M, rows, out, out, 0, 1}, {M, rows, out, 0, 0, 1}};
  for (const cpu::Broadcast& bc : cases) {
    CAPTURE(bc.sb);
    const int64_t n = bc.numel(), nb = (bc.sb ? M : 1) * out;
    const auto x = uniform<T>(n, T(-12), T(4));
    const auto lo = uniform<T>(nb, T(-10), T(-5)), hi = uniform<T>(nb, T(-1), T(1));
    std::vector<T> y(n);
    cpu::soft_clamp_forward(bc, x.data(), lo.data(), hi.data(), y.data());
    DeviceBuffer<T> d_x(x), d_lo(lo), d_hi(hi), d_y = poisoned<T>(n);
    cuda::soft_clamp_forward(bc, d_x.data(), d_lo.data(), d_hi.data(), d_y.data());
    require_close(d_y.to_host(), y, Tol<T>::element, Tol<T>::element);

    const auto dy = uniform<T>(n, T(-1), T(1));
    auto dx = uniform<T>(n, T(-1), T(1)), dlo = uniform<T>(nb, T(-1), T(1)), dhi = uniform<T>(nb, T(-1), T(1));
    DeviceBuffer<T> d_dy(dy), d_dx(dx), d_dlo(dlo), d_dhi(dhi);
    cpu::soft_clamp_backward(bc, x.data(), lo.data(), hi.data(), dy.data(), dx.data(), dlo.data(), dhi.data());
    cuda::soft_clamp_backward(bc, d_x.data(), d_lo.data(), d_hi.data(), d_dy.data(), d_dx.data(), d_dlo.data(),
                              d_dhi.data());
    require_close(d_dx.to_host(), dx, Tol<T>::element, Tol<T>::element);
    require_close(d_dlo.to_host(), dlo, Tol<T>::summed(n / nb), Tol<T>::element);
    require_close(d_dhi.to_host(), dhi, Tol<T>::summed(n / nb), Tol<T>::element);
  }
}

TEMPLATE_TEST_CASE("cuda gaussian sample forward and backward match the CPU", "", float, double) {
  using T = TestType;
  const int64_t n = 65537;
  const auto mu = uniform<T>(n, T(-2), T(2)), log_std = uniform<T>(n, T(-5), T(1)), eps = uniform<T>(n, T(-3), T(3));
  std::vector<T> y(n);
  cpu::gaussian_sample_forward(mu.data(), log_std.data(), eps.data(), y.data(), n);
  DeviceBuffer<T> d_mu(mu), d_ls(log_std), d_eps(eps), d_y = poisoned<T>(n);
  cuda::gaussian_sample_forward(d_mu.data(), d_ls.data(), d_eps.data(), d_y.data(), n);
  require_close(d_y.to_host(), y, Tol<T>::element, Tol<T>::element);

  const auto dy = uniform<T>(n, T(-1), T(1));
  auto dmu = uniform<T>(n, T(-1), T(1)), dls = uniform<T>(n, T(-1), T(1)), deps = uniform<T>(n, T(-1), T(1));
  DeviceBuffer<T> d_dy(dy), d_dmu(dmu), d_dls(dls), d_deps(deps);
  cpu::gaussian_sample_backward(mu.data(), log_std.data(), eps.data(), dy.data(), dmu.data(), dls.data(), deps.data(), n);
  cuda::gaussian_sample_backward(d_mu.data(), d_ls.data(), d_eps.data(), d_dy.data(), d_dmu.data(), d_dls.data(),
                                 d_deps.data(), n);
  require_close(d_dmu.to_host(), dmu, Tol<T>::element, Tol<T>::element);
  require_close(d_dls.to_host(), dls, Tol<T>::element, Tol<T>::element);
  require_close(d_deps.to_host(), deps, Tol<T>::element, Tol<T>::element);
}

TEMPLATE_TEST_CASE("cuda squashed gaussian sample and log-prob match the CPU", "", float, double) {
  using T = TestType;
  const int64_t rows = 70000, cols = 6;  // a batch of actions
  const int64_t n = rows * cols;
  const auto mu = uniform<T>(n, T(-2), T(2)), log_std = uniform<T>(n, T(-4), T(0.5)),
             eps = uniform<T>(n, T(-3), T(3));
  std::vector<T> a(n), logp(rows);
  cpu::squashed_gaussian_forward(mu.data(), log_std.data(), eps.data(), a.data(), logp.data(), rows, cols);
  DeviceBuffer<T> d_mu(mu), d_ls(log_std), d_eps(eps), d_a = poisoned<T>(n), d_logp = poisoned<T>(rows);
  cuda::squashed_gaussian_forward(d_mu.data(), d_ls.data(), d_eps.data(), d_a.data(), d_logp.data(), rows, cols);
  require_close(d_a.to_host(), a, Tol<T>::element, Tol<T>::element);
  require_close(d_logp.to_host(), logp, Tol<T>::summed(cols), Tol<T>::element);

  // Only logp requested: a stays untouched (still poison).
  DeviceBuffer<T> d_logp2 = poisoned<T>(rows), d_a2 = poisoned<T>(n);
  cuda::squashed_gaussian_forward<T>(d_mu.data(), d_ls.data(), d_eps.data(), nullptr, d_logp2.data(), rows, cols);
  require_close(d_logp2.to_host(), logp, Tol<T>::summed(cols), Tol<T>::element);
  for (T v : d_a2.to_host()) REQUIRE(std::isnan(v));

  const auto da = uniform<T>(n, T(-1), T(1)), dlogp = uniform<T>(rows, T(-1), T(1));
  auto dmu = uniform<T>(n, T(-1), T(1)), dls = uniform<T>(n, T(-1), T(1));
  DeviceBuffer<T> d_a_val(a), d_da(da), d_dlogp(dlogp), d_dmu(dmu), d_dls(dls);
  cpu::squashed_sample_backward(log_std.data(), eps.data(), a.data(), da.data(), dmu.data(), dls.data(), n);
  cpu::squashed_log_prob_backward(mu.data(), log_std.data(), eps.data(), dlogp.data(), dmu.data(), dls.data(), rows, cols);
  cuda::squashed_sample_backward(d_ls.data(), d_eps.data(), d_a_val.data(), d_da.data(), d_dmu.data(), d_dls.data(), n);
  cuda::squashed_log_prob_backward(d_mu.data(), d_ls.data(), d_eps.data(), d_dlogp.data(), d_dmu.data(), d_dls.data(),
                                   rows, cols);
  require_close(d_dmu.to_host(), dmu, Tol<T>::element, Tol<T>::element);
  require_close(d_dls.to_host(), dls, Tol<T>::element, Tol<T>::element);
}
