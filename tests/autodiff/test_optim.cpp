// Optimisers against hand-computed updates and a closed-form minimum.
#include <catch2/catch.hpp>

#include <cmath>

#include "autodiff/ops.hpp"
#include "autodiff/optim/adam.hpp"

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
