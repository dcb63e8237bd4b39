// Optimisers against hand-computed updates and a closed-form minimum.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <limits>

#include "autodiff/ops.hpp"
#include "autodiff/optim/adam.hpp"
#include "autodiff/optim/grad_clip.hpp"
#include "kernels/math.cuh"

using namespace maac;

TEST_CASE("Adam's first steps match the bias-corrected formula") {
  Parameter<double> p("p", {1, 2});
  p.value().host() = {1.0, -2.0};
  Adam<double> adam({&p}, AdamOptions{0.1, 0.9, 0.999, 1e-8, 0.0});
  double m[2] = {0, 0}, v[2] = {0, 0}, x[2] = {1.0, -2.0};
  for (int t = 1; t <= 3; ++t) {
    double g[2] = {3.0 * t, -0.5};
    p.grad().host() = {g[0], g[1]};
    adam.step();
    for (int i = 0; i < 2; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
      x[i] -= 0.1 * mh / (std::sqrt(vh) + 1e-8);
      REQUIRE(p.value().host()[i] == Approx(x[i]).epsilon(1e-12));
    }
  }
  REQUIRE(adam.steps() == 3);
}

TEST_CASE("Adam finds the least-squares solution") {
  // minimise |A w - y|^2 for a well-conditioned A; the solution is w* = (1, -2, 0.5).
  Parameter<double> w("w", {3, 1});
  std::vector<double> a{1, 0, 0, 0, 2, 0, 0, 0, 1, 1, 1, 1}, y{1, -4, 0.5, -0.5};
  Adam<double> adam({&w}, AdamOptions{0.05});
  Tape<double> tape;
  for (int it = 0; it < 3000; ++it) {
    tape.reset();
    Var<double> r = sub(matmul(tape.constant(Shape{4, 3}, a.data()), tape.param(w)), tape.constant(Shape{4, 1}, y.data()));
    adam.zero_grad();
    tape.backward(sum(square(r)));
    adam.step();
  }
  REQUIRE(w.value().host()[0] == Approx(1.0).margin(1e-4));
  REQUIRE(w.value().host()[1] == Approx(-2.0).margin(1e-4));
  REQUIRE(w.value().host()[2] == Approx(0.5).margin(1e-4));
}

TEST_CASE("Polyak averaging and hard copies") {
  Parameter<float> target("t", {1, 3}), source("s", {1, 3});
  target.value().host() = {0, 1, 2};
  source.value().host() = {10, 11, 12};
  polyak_update<float>({&target}, {&source}, 0.1);
  REQUIRE(target.value().host()[0] == Approx(1.0f));
  REQUIRE(target.value().host()[2] == Approx(3.0f));
  copy_parameters<float>({&target}, {&source});
  REQUIRE(target.value().host() == source.value().host());
  Parameter<float> wrong("w", {3, 1});
  REQUIRE_THROWS_WITH(polyak_update<float>({&wrong}, {&source}, 0.1), Catch::Contains("[3, 1]"));
  REQUIRE_THROWS_WITH(polyak_update<float>({&target}, {&source}, 1.5), Catch::Contains("tau 1.5"));
}

TEST_CASE("gradient-norm clipping") {
  Parameter<double> a("a", {1, 2}), b("b", {1, 1});
  a.grad().host() = {3, 0};
  b.grad().host() = {4};
  REQUIRE(clip_grad_norm<double>({&a, &b}, 1.0) == Approx(5.0));
  double norm = std::hypot(std::hypot(a.grad().host()[0], a.grad().host()[1]), b.grad().host()[0]);
  REQUIRE(norm == Approx(1.0).epsilon(1e-5));
  REQUIRE(a.grad().host()[0] / b.grad().host()[0] == Approx(0.75));  // direction kept
  // Below the limit nothing changes; a NaN gradient is reported, not spread.
  REQUIRE(clip_grad_norm<double>({&a, &b}, 10.0) == Approx(1.0).epsilon(1e-5));
  b.grad().host() = {NAN};
  REQUIRE(std::isnan(clip_grad_norm<double>({&a, &b}, 1.0)));
  REQUIRE(a.grad().host()[0] == Approx(0.6).epsilon(1e-5));
}

// The factor both clip forms use (kernels/math.cuh): the host clip and the device kernel
// compute exactly this, so checking it here checks the arithmetic the GPU runs.
TEST_CASE("clip factor from the squared global norm") {
  REQUIRE(math::clip_factor(25.0, 1.0) == 1.0 / (5.0 + 1e-6));
  REQUIRE(math::clip_factor(25.0, 4.0) == 4.0 / (5.0 + 1e-6));
  // At or under the limit: exactly 1, so the gradients are not touched.
  REQUIRE(math::clip_factor(25.0, 5.0) == 1.0);
  REQUIRE(math::clip_factor(0.25, 1.0) == 1.0);
  REQUIRE(math::clip_factor(0.0, 1.0) == 1.0);
  // Not finite: 1, the gradients stay as they were and the finite check skips the step.
  REQUIRE(math::clip_factor(std::numeric_limits<double>::infinity(), 1.0) == 1.0);
  REQUIRE(math::clip_factor(std::numeric_limits<double>::quiet_NaN(), 1.0) == 1.0);
  // The largest finite squared norm still clips.
  REQUIRE(math::clip_factor(DBL_MAX, 1.0) < 1e-150);
  // The factor is rounded to the gradient's type once.
  const double f = 1.0 / 3.0;
  REQUIRE(math::clip_scaled(3.0f, f) == 3.0f * static_cast<float>(f));
  REQUIRE(math::clip_scaled(3.0, f) == 3.0 * f);
}

TEST_CASE("gradient clipping against a closed-form norm, in float") {
  // 16 gradients of +-0.5 over two parameters: norm 2.
  Parameter<float> a("a", {3, 4}), b("b", {1, 4});
  std::vector<float> ga(12), gb(4);
  for (size_t i = 0; i < ga.size(); ++i) ga[i] = i % 2 ? 0.5f : -0.5f;
  for (size_t i = 0; i < gb.size(); ++i) gb[i] = 0.5f;
  a.grad().host() = ga;
  b.grad().host() = gb;
  // At the norm and above it: returned, nothing changes (bit for bit).
  REQUIRE(clip_grad_norm<float>({&a, &b}, 2.0) == 2.0);
  REQUIRE(clip_grad_norm<float>({&a, &b}, 3.0) == 2.0);
  REQUIRE(a.grad().host() == ga);
  REQUIRE(b.grad().host() == gb);
  // Under it: every gradient times the float-rounded factor 0.5 / (2 + 1e-6).
  REQUIRE(clip_grad_norm<float>({&a, &b}, 0.5) == 2.0);
  const float factor = static_cast<float>(0.5 / (2.0 + 1e-6));
  for (size_t i = 0; i < ga.size(); ++i) REQUIRE(a.grad().host()[i] == ga[i] * factor);
  for (size_t i = 0; i < gb.size(); ++i) REQUIRE(b.grad().host()[i] == gb[i] * factor);
  REQUIRE(clip_grad_norm<float>({&a, &b}, 1.0) == Approx(0.5).epsilon(1e-6));
  // An infinite gradient: reported, nothing scaled.
  const std::vector<float> before = a.grad().host();
  b.grad().host()[2] = std::numeric_limits<float>::infinity();
  REQUIRE(std::isinf(clip_grad_norm<float>({&a, &b}, 0.5)));
  REQUIRE(a.grad().host() == before);
  REQUIRE(b.grad().host()[0] == gb[0] * factor);
}

TEST_CASE("gradient clipping rejects a max_norm that is not positive") {
  Parameter<double> a("a", {1, 2});
  REQUIRE_THROWS_WITH(clip_grad_norm<double>({&a}, 0.0), Catch::Contains("max_norm 0") && Catch::Contains("> 0"));
  REQUIRE_THROWS_WITH(clip_grad_norm<double>({&a}, -1.0), Catch::Contains("max_norm -1"));
  REQUIRE_THROWS_AS(clip_grad_norm<double>({&a}, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  // The device form checks its limit before it looks for a GPU.
  REQUIRE_THROWS_WITH(DeviceGradClip(-2.0), Catch::Contains("DeviceGradClip: max_norm -2"));
}
