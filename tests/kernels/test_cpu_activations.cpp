// The vectorised CPU activations against the shared scalar definition (kernels/math.cuh).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "autodiff/random.hpp"
#include "kernels/cpu/activations.hpp"
#include "kernels/cpu/elementwise.hpp"

using namespace maac;
using math::Unary;

namespace {

template <class T> void check_against_definition(Unary f, double lo, double hi, double rtol) {
  Rng rng(static_cast<uint64_t>(f) + 1);
  const int64_t n = 100003;  // not a multiple of any SIMD width or block
  std::vector<T> x = rng.uniform_vector<T>(n, lo, hi), y(n, T(NAN)), dy = rng.normal_vector<T>(n), dx(n, T(0.5));
  cpu::activation_forward(f, x.data(), y.data(), n);
  cpu::activation_backward(f, x.data(), y.data(), dy.data(), dx.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    T ref_y = math::unary_forward(f, x[i]);
    T ref_dx = T(0.5) + dy[i] * math::unary_derivative(f, x[i], ref_y);
    INFO("f " << static_cast<int>(f) << ", x " << x[i]);
    REQUIRE(y[i] == Approx(ref_y).epsilon(rtol).margin(1e-30));
    REQUIRE(dx[i] == Approx(ref_dx).epsilon(rtol).margin(rtol));
  }
}

// The vectorised soft clamp against the reference loops of elementwise.hpp, for bounds
// broadcast per column, per member and column, and one scalar; x spans both bounds.
template <class T> void check_soft_clamp(const cpu::Broadcast& bc, int64_t bound_count, double rtol) {
  Rng rng(7);
  const int64_t n = bc.numel();
  std::vector<T> x = rng.uniform_vector<T>(n, -12, 8), dy = rng.normal_vector<T>(n);
  std::vector<T> lo = rng.uniform_vector<T>(bound_count, -6, -4), hi = rng.uniform_vector<T>(bound_count, 0, 1);
  std::vector<T> y(n, T(NAN)), y_ref(n, T(NAN));
  cpu::vector_soft_clamp_forward(bc, x.data(), lo.data(), hi.data(), y.data());
  cpu::soft_clamp_forward(bc, x.data(), lo.data(), hi.data(), y_ref.data());
  std::vector<T> dx(n, T(0.5)), dx_ref(dx), dlo(bound_count, T(0.25)), dlo_ref(dlo), dhi(bound_count, T(-1)),
      dhi_ref(dhi);
  cpu::vector_soft_clamp_backward(bc, x.data(), lo.data(), hi.data(), dy.data(), dx.data(), dlo.data(), dhi.data());
  cpu::soft_clamp_backward(bc, x.data(), lo.data(), hi.data(), dy.data(), dx_ref.data(), dlo_ref.data(),
                           dhi_ref.data());
  for (int64_t i = 0; i < n; ++i) {
    INFO("element " << i << ", x " << x[i]);
    REQUIRE(y[i] == Approx(y_ref[i]).epsilon(rtol).margin(rtol));
    REQUIRE(dx[i] == Approx(dx_ref[i]).epsilon(rtol).margin(rtol));
  }
  // Bound gradients sum many elements: compare relative to the sum of their magnitudes.
  double scale = 0;
  for (T v : dy) scale += std::fabs(double(v));
  for (int64_t j = 0; j < bound_count; ++j) {
    INFO("bound " << j);
    REQUIRE(dlo[j] == Approx(dlo_ref[j]).margin(rtol * scale));
    REQUIRE(dhi[j] == Approx(dhi_ref[j]).margin(rtol * scale));
  }
  // Without bound gradients the blocks run in parallel: dx must be the same.
  std::vector<T> dx_only(n, T(0.5));
  cpu::vector_soft_clamp_backward<T>(bc, x.data(), lo.data(), hi.data(), dy.data(), dx_only.data(), nullptr, nullptr);
  REQUIRE(dx_only == dx);
}

// The vectorised squashed Gaussian against the reference loops: sample, log-prob and
// both backwards, with log_std over the policy's range and eps standard normal.
template <class T> void check_squashed_gaussian(int64_t rows, int64_t cols, double rtol) {
  Rng rng(11);
  const int64_t n = rows * cols;
  const std::vector<T> mu = rng.uniform_vector<T>(n, -3, 3), ls = rng.uniform_vector<T>(n, -5, 2),
                       eps = rng.normal_vector<T>(n), da = rng.normal_vector<T>(n), dlogp = rng.normal_vector<T>(rows);
  std::vector<T> a(n, T(NAN)), a_ref(n, T(NAN)), lp(rows, T(NAN)), lp_ref(rows, T(NAN));
  cpu::vector_squashed_gaussian_forward(mu.data(), ls.data(), eps.data(), a.data(), lp.data(), rows, cols);
  cpu::squashed_gaussian_forward(mu.data(), ls.data(), eps.data(), a_ref.data(), lp_ref.data(), rows, cols);
  for (int64_t i = 0; i < n; ++i) REQUIRE(a[i] == Approx(a_ref[i]).epsilon(rtol).margin(rtol));
  for (int64_t r = 0; r < rows; ++r) REQUIRE(lp[r] == Approx(lp_ref[r]).epsilon(rtol).margin(rtol * cols * 10));
  std::vector<T> dmu(n, T(0.5)), dls(n, T(-0.5)), dmu_ref(dmu), dls_ref(dls);
  cpu::vector_squashed_sample_backward(ls.data(), eps.data(), a_ref.data(), da.data(), dmu.data(), dls.data(), n);
  cpu::squashed_sample_backward(ls.data(), eps.data(), a_ref.data(), da.data(), dmu_ref.data(), dls_ref.data(), n);
  cpu::vector_squashed_log_prob_backward(mu.data(), ls.data(), eps.data(), dlogp.data(), dmu.data(), dls.data(), rows,
                                         cols);
  cpu::squashed_log_prob_backward(mu.data(), ls.data(), eps.data(), dlogp.data(), dmu_ref.data(), dls_ref.data(), rows,
                                  cols);
  for (int64_t i = 0; i < n; ++i) {
    INFO("element " << i);
    REQUIRE(dmu[i] == Approx(dmu_ref[i]).epsilon(rtol).margin(rtol * 10));
    REQUIRE(dls[i] == Approx(dls_ref[i]).epsilon(rtol).margin(rtol * 10));
  }
  // Either output alone gives the same values.
  std::vector<T> a_only(n, T(NAN)), lp_only(rows, T(NAN));
  cpu::vector_squashed_gaussian_forward<T>(mu.data(), ls.data(), eps.data(), a_only.data(), nullptr, rows, cols);
  cpu::vector_squashed_gaussian_forward<T>(mu.data(), ls.data(), eps.data(), nullptr, lp_only.data(), rows, cols);
  REQUIRE(a_only == a);
  REQUIRE(lp_only == lp);
}

}  // namespace

TEST_CASE("the vectorised squashed Gaussian equals the reference loops") {
  check_squashed_gaussian<float>(30011, 6, 2e-5);  // above the parallel threshold
  check_squashed_gaussian<float>(7, 1, 2e-5);
  check_squashed_gaussian<double>(30011, 6, 1e-11);
}

TEST_CASE("the vectorised soft clamp equals the reference loops") {
  const int64_t M = 5, R = 9001, C = 17;  // above the parallel threshold, odd sizes
  check_soft_clamp<float>({1, M * R, C, 0, 0, 1}, C, 2e-6);         // bounds [1, C]
  check_soft_clamp<float>({M, R, C, C, 0, 1}, M * C, 2e-6);          // bounds [M, 1, C]
  check_soft_clamp<float>({1, 301, 3, 0, 0, 0}, 1, 2e-6);            // one scalar bound
  check_soft_clamp<double>({M, R, C, C, 0, 1}, M * C, 1e-12);
}

TEST_CASE("vectorised activations equal the shared definition (float32)") {
  for (Unary f : {Unary::identity, Unary::relu, Unary::tanh, Unary::silu, Unary::sigmoid, Unary::softplus, Unary::square})
    check_against_definition<float>(f, -30, 30, 1e-5);
  check_against_definition<float>(Unary::exp, -20, 20, 1e-5);
  check_against_definition<float>(Unary::log, 1e-3, 50, 1e-5);
  check_against_definition<float>(Unary::reciprocal, 1e-3, 50, 1e-5);
}

TEST_CASE("vectorised activations equal the shared definition (float64)") {
  for (Unary f : {Unary::identity, Unary::relu, Unary::tanh, Unary::silu, Unary::sigmoid, Unary::softplus, Unary::square})
    check_against_definition<double>(f, -30, 30, 1e-12);
  check_against_definition<double>(Unary::exp, -20, 20, 1e-12);
  check_against_definition<double>(Unary::log, 1e-3, 50, 1e-12);
  check_against_definition<double>(Unary::reciprocal, 1e-3, 50, 1e-12);
}
