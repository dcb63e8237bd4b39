// The tape's mechanics and op values against independent references.
#include <catch2/catch.hpp>

#include <cmath>

#include "autodiff/modules/mlp.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

using namespace maac;

TEST_CASE("backward run twice gives identical gradients") {
  Rng rng(1);
  MLP<double> mlp("mlp", {4, 16, 3}, Unary::silu, rng);
  std::vector<double> x = rng.normal_vector<double>(8 * 4);
  Tape<double> tape;
  Var<double> loss = sum(square(mlp.forward(tape, tape.constant(Shape{8, 4}, x.data()))));
  zero_grad(mlp.parameters());
  tape.backward(loss);
  std::vector<std::vector<double>> first;
  for (auto* p : mlp.parameters()) first.push_back(p->grad().host());
  zero_grad(mlp.parameters());
  tape.backward(loss);
  for (size_t i = 0; i < first.size(); ++i) REQUIRE(mlp.parameters()[i]->grad().host() == first[i]);
  // Without zeroing, gradients accumulate: exactly twice the first.
  tape.backward(loss);
  for (size_t i = 0; i < first.size(); ++i)
    for (size_t j = 0; j < first[i].size(); ++j) REQUIRE(mlp.parameters()[i]->grad().host()[j] == Approx(2 * first[i][j]).epsilon(1e-12));
}

TEST_CASE("the arena stops allocating once a step has run") {
  Rng rng(2);
  MLP<float> mlp("mlp", {8, 64, 64, 2}, Unary::relu, rng);
  std::vector<float> x = rng.normal_vector<float>(256 * 8);
  Tape<float> tape(1024);  // deliberately tiny: the first step overflows into chunks
  auto step = [&] {
    tape.reset();
    Var<float> loss = mean(mlp.forward(tape, tape.constant(Shape{256, 8}, x.data())));
    tape.backward(loss);
  };
  step();
  step();
  size_t capacity = tape.arena().capacity();
  REQUIRE(tape.arena().chunk_count() == 1);
  for (int i = 0; i < 3; ++i) step();
  REQUIRE(tape.arena().capacity() == capacity);
  REQUIRE(tape.arena().chunk_count() == 1);
}

TEST_CASE("NoGrad records nothing and parameters receive no gradient") {
  Rng rng(3);
  MLP<double> mlp("mlp", {2, 4, 1}, Unary::tanh, rng);
  Tape<double> tape;
  std::vector<double> x{0.1, 0.2};
  {
    NoGrad<double> off(tape);
    Var<double> y = mlp.forward(tape, tape.constant(Shape{1, 2}, x.data()));
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(tape.record_count() == 0);
    REQUIRE_THROWS_WITH(tape.backward(y), Catch::Contains("does not depend"));
  }
  REQUIRE(tape.grad_enabled());
}

TEST_CASE("op values match independent references") {
  Tape<double> tape;
  std::vector<double> a{1, 2, 3, 4, 5, 6}, b{1, -1, 0, 2, 3, 1};
  Var<double> A = tape.constant(Shape{2, 3}, a.data());
  Var<double> B = tape.constant(Shape{3, 2}, b.data());
  Var<double> C = matmul(A, B);
  // [1 2 3; 4 5 6] x [1 -1; 0 2; 3 1]
  CHECK(C.value()[0] == 10);
  CHECK(C.value()[1] == 6);
  CHECK(C.value()[2] == 22);
  CHECK(C.value()[3] == 12);

  // softplus and its far tails, sigmoid symmetric, silu = x sigmoid(x).
  for (double x : {-50.0, -3.0, 0.0, 2.5, 50.0}) {
    CHECK(math::softplus(x) == Approx(std::log1p(std::exp(x))).margin(1e-12));
    CHECK(math::sigmoid(x) + math::sigmoid(-x) == Approx(1.0));
    CHECK(math::unary_forward(Unary::silu, x) == Approx(x / (1 + std::exp(-x))).margin(1e-12));
  }
  // soft clamp: identity well inside the bounds, the bound itself far outside.
  CHECK(math::soft_clamp(-3.0, -10.0, 0.5) == Approx(-3.0).margin(0.05));
  // Far above: lo + softplus(hi - lo), i.e. hi plus a softplus residue of e^-(hi - lo).
  CHECK(math::soft_clamp(40.0, -10.0, 0.5) == Approx(0.5 + std::log1p(std::exp(-10.5))).epsilon(1e-12));
  CHECK(math::soft_clamp(-40.0, -10.0, 0.5) == Approx(-10.0).margin(1e-9));
}

TEST_CASE("squashed Gaussian log-prob equals the change-of-variables density") {
  // log pi(a) = log N(u; mu, sigma) - sum log(1 - tanh(u)^2), u = mu + sigma eps, written out directly.
  Tape<double> tape;
  std::vector<double> mu{0.3, -1.2, 2.0}, ls{-0.5, 0.2, -1.5}, eps{1.1, -0.4, 0.05};
  Var<double> lp = squashed_gaussian_log_prob(tape.constant(Shape{1, 3}, mu.data()), tape.constant(Shape{1, 3}, ls.data()),
                                              tape.constant(Shape{1, 3}, eps.data()));
  double expected = 0;
  for (int i = 0; i < 3; ++i) {
    double s = std::exp(ls[i]), u = mu[i] + s * eps[i];
    double normal = -0.5 * std::pow((u - mu[i]) / s, 2) - std::log(s) - 0.5 * std::log(2 * M_PI);
    expected += normal - std::log(1 - std::tanh(u) * std::tanh(u));
  }
  REQUIRE(lp.item() == Approx(expected).epsilon(1e-12));
}

TEST_CASE("float32 and float64 agree on an MLP forward and backward") {
  Rng r1(4), r2(4);
  MLP<float> mf("m", {5, 32, 3}, Unary::silu, r1);
  MLP<double> md("m", {5, 32, 3}, Unary::silu, r2);
  Rng data(5);
  std::vector<double> xd = data.normal_vector<double>(10 * 5);
  std::vector<float> xf(xd.begin(), xd.end());
  Tape<float> tf;
  Tape<double> td;
  tf.backward(mean(square(mf.forward(tf, tf.constant(Shape{10, 5}, xf.data())))));
  td.backward(mean(square(md.forward(td, td.constant(Shape{10, 5}, xd.data())))));
  for (size_t i = 0; i < mf.parameters().size(); ++i)
    for (int64_t j = 0; j < mf.parameters()[i]->numel(); ++j)
      REQUIRE(mf.parameters()[i]->grad().host()[j] == Approx(md.parameters()[i]->grad().host()[j]).margin(1e-5));
}

TEST_CASE("reshape shares storage and gradient") {
  Tape<double> tape;
  std::vector<double> x{1, 2, 3, 4, 5, 6};
  Var<double> v = tape.input(Shape{2, 3}, x.data());
  Var<double> r = reshape(v, Shape{3, 2});
  REQUIRE(r.value() == v.value());
  tape.backward(sum(scale(r, 2.0)));
  for (int i = 0; i < 6; ++i) REQUIRE(v.grad()[i] == 2.0);
}

TEST_CASE("Philox streams are reproducible and standard normal") {
  Rng a(42), b(42), c(43);
  REQUIRE(a.normal_vector<double>(16) == b.normal_vector<double>(16));
  REQUIRE(a.normal_vector<double>(16) != c.normal_vector<double>(16));
  Rng big(7);
  std::vector<double> z = big.normal_vector<double>(200000);
  double m = 0, v = 0;
  for (double x : z) m += x;
  m /= z.size();
  for (double x : z) v += (x - m) * (x - m);
  v /= z.size();
  REQUIRE(std::fabs(m) < 0.01);
  REQUIRE(std::fabs(v - 1) < 0.02);
  // The stream is a function of (seed, counter): rewinding reproduces it.
  Rng r(9);
  r.normal_vector<double>(10);
  uint64_t at = r.counter();
  double next = r.normal();
  r.set_counter(at);
  REQUIRE(r.normal() == next);
}
