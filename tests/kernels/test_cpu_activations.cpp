// The vectorised CPU activations against the shared scalar definition (kernels/math.cuh).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "autodiff/random.hpp"
#include "kernels/cpu/activations.hpp"

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

}  // namespace

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
