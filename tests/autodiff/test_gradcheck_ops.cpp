// Every op against float64 central differences (one TEST_CASE = one ctest test per op).
#include <limits>

#include "tests/autodiff/gradcheck_helpers.hpp"

using namespace maac;
using maac::test::constant_input;
using maac::test::random_input;
using maac::test::require_passes;
using V = Var<double>;
using Vs = std::vector<V>;

TEST_CASE("matmul") {
  require_passes(gradcheck("matmul", [](Tape<double>&, const Vs& v) { return matmul(v[0], v[1]); },
                           {random_input("a", {3, 4}), random_input("b", {4, 5})}));
}

TEST_CASE("linear") {
  require_passes(gradcheck("linear", [](Tape<double>&, const Vs& v) { return linear(v[0], v[1], v[2]); },
                           {random_input("x", {5, 3}), random_input("w", {3, 4}), random_input("b", {1, 4})}));
}

TEST_CASE("linear with a fused activation") {
  for (Unary f : {Unary::tanh, Unary::silu, Unary::relu, Unary::softplus}) {
    auto op = [f](Tape<double>&, const Vs& v) { return linear(v[0], v[1], v[2], f); };
    require_passes(gradcheck("linear + activation " + std::to_string(int(f)), op,
                             {random_input("x", {5, 3}), random_input("w", {3, 4}), random_input("b", {1, 4})}));
  }
}

TEST_CASE("concat_linear") {
  // k = 1 (one block of x2 per x1) and k = 3 (x1's rows read by three blocks of x2), with
  // the identity and fused activations; the relu inputs keep off the kink through the bias.
  for (Unary f : {Unary::identity, Unary::tanh, Unary::silu, Unary::relu, Unary::softplus})
    for (int64_t k : {1, 3}) {
      auto op = [f](Tape<double>&, const Vs& v) { return concat_linear(v[0], v[1], v[2], v[3], f); };
      require_passes(gradcheck("concat_linear k " + std::to_string(k) + " activation " + std::to_string(int(f)), op,
                               {random_input("x1", {4, 3}), random_input("x2", {4 * k, 2}),
                                random_input("w", {5, 6}), random_input("b", {1, 6})}));
    }
  // x1 a constant (states without gradient), one row.
  auto op = [](Tape<double>&, const Vs& v) { return concat_linear(v[0], v[1], v[2], v[3], Unary::tanh); };
  require_passes(gradcheck("concat_linear constant x1", op,
                           {constant_input(random_input("x1", {1, 2})), random_input("x2", {2, 3}),
                            random_input("w", {5, 4}), random_input("b", {1, 4})}));
}

TEST_CASE("add_bias") {
  auto f = [](Tape<double>&, const Vs& v) { return add_bias(v[0], v[1]); };
  require_passes(gradcheck("add_bias rank 2", f, {random_input("x", {4, 3}), random_input("b", {1, 3})}));
  require_passes(gradcheck("add_bias rank 3", f, {random_input("x", {2, 4, 3}), random_input("b", {2, 1, 3})}));
}

TEST_CASE("ensemble_linear all members") {
  auto f = [](Tape<double>&, const Vs& v) { return ensemble_linear(v[0], v[1], v[2]); };
  require_passes(gradcheck("per-member rows", f,
                           {random_input("x", {3, 4, 5}), random_input("w", {3, 5, 2}), random_input("b", {3, 1, 2})}));
  require_passes(gradcheck("shared rows", f,
                           {random_input("x", {4, 5}), random_input("w", {3, 5, 2}), random_input("b", {3, 1, 2})}));
}

TEST_CASE("ensemble_linear with a fused activation") {
  for (Unary act : {Unary::tanh, Unary::silu, Unary::relu}) {
    auto f = [act](Tape<double>&, const Vs& v) { return ensemble_linear(v[0], v[1], v[2], act); };
    const std::string name = "ensemble_linear + activation " + std::to_string(int(act));
    require_passes(gradcheck(name + ", per-member rows", f,
                             {random_input("x", {3, 4, 5}), random_input("w", {3, 5, 2}), random_input("b", {3, 1, 2})}));
    require_passes(gradcheck(name + ", shared rows", f,
                             {random_input("x", {4, 5}), random_input("w", {3, 5, 2}), random_input("b", {3, 1, 2})}));
  }
}

TEST_CASE("ensemble_linear routed") {
  // Member 1 owns no rows: its gradient must stay zero and still match.
  std::vector<int32_t> offsets{0, 2, 2, 5};
  auto f = [&](Tape<double>&, const Vs& v) { return ensemble_linear_routed(v[0], v[1], v[2], offsets); };
  require_passes(gradcheck("ensemble_linear_routed", f,
                           {random_input("x", {5, 4}), random_input("w", {3, 4, 2}), random_input("b", {3, 1, 2})}));
}

TEST_CASE("add") {
  auto f = [](Tape<double>&, const Vs& v) { return add(v[0], v[1]); };
  require_passes(gradcheck("same shape", f, {random_input("a", {3, 4}), random_input("b", {3, 4})}));
  require_passes(gradcheck("row broadcast", f, {random_input("a", {3, 4}), random_input("b", {1, 4})}));
  require_passes(gradcheck("column broadcast", f, {random_input("a", {3, 4}), random_input("b", {3, 1})}));
  require_passes(gradcheck("scalar broadcast", f, {random_input("a", {2, 3, 4}), random_input("b", {1, 1})}));
  require_passes(gradcheck("member broadcast", f, {random_input("a", {2, 3, 4}), random_input("b", {2, 1, 4})}));
}

TEST_CASE("sub") {
  auto f = [](Tape<double>&, const Vs& v) { return sub(v[0], v[1]); };
  require_passes(gradcheck("same shape", f, {random_input("a", {3, 4}), random_input("b", {3, 4})}));
  require_passes(gradcheck("column broadcast", f, {random_input("a", {3, 4}), random_input("b", {3, 1})}));
}

TEST_CASE("mul") {
  auto f = [](Tape<double>&, const Vs& v) { return mul(v[0], v[1]); };
  require_passes(gradcheck("same shape", f, {random_input("a", {3, 4}), random_input("b", {3, 4})}));
  require_passes(gradcheck("row broadcast", f, {random_input("a", {3, 4}), random_input("b", {1, 4})}));
  require_passes(gradcheck("column broadcast", f, {random_input("a", {2, 3, 4}), random_input("b", {2, 3, 1})}));
}

TEST_CASE("minimum") {
  // a in [-1, 0) and b in (0, 1] mixed per element, so no entry sits on the tie a == b.
  GradcheckInput a = random_input("a", {4, 3}, -1, 1, 1, {0.0}, 0.1);
  GradcheckInput b = random_input("b", {4, 3}, -1, 1, 2, {0.0}, 0.1);
  for (size_t i = 0; i < a.value.size(); ++i)
    if (std::fabs(a.value[i] - b.value[i]) < 0.1) b.value[i] = -b.value[i] + (b.value[i] > 0 ? -0.2 : 0.2);
  require_passes(gradcheck("minimum", [](Tape<double>&, const Vs& v) { return minimum(v[0], v[1]); }, {a, b}));
}

TEST_CASE("scale") {
  require_passes(gradcheck("scale", [](Tape<double>&, const Vs& v) { return scale(v[0], -2.5); },
                           {random_input("x", {3, 4})}));
}

TEST_CASE("add_scalar") {
  require_passes(gradcheck("add_scalar", [](Tape<double>&, const Vs& v) { return add_scalar(v[0], 0.7); },
                           {random_input("x", {3, 4})}));
}

namespace {
void check_unary(Unary f, const char* name, double lo, double hi, std::vector<double> kinks = {}) {
  require_passes(gradcheck(name, [f](Tape<double>&, const Vs& v) { return unary(f, v[0]); },
                           {random_input("x", {4, 5}, lo, hi, 3, kinks)}));
}
}  // namespace

TEST_CASE("exp") { check_unary(Unary::exp, "exp", -2, 2); }
TEST_CASE("log") { check_unary(Unary::log, "log", 0.2, 3); }
TEST_CASE("square") { check_unary(Unary::square, "square", -2, 2); }
TEST_CASE("reciprocal") {
  // Both signs, kept away from the pole at 0.
  require_passes(gradcheck("reciprocal", [](Tape<double>&, const Vs& v) { return reciprocal(v[0]); },
                           {random_input("x", {4, 5}, -3, 3, 3, {0.0}, 0.3)}));
}
TEST_CASE("tanh") { check_unary(Unary::tanh, "tanh", -3, 3); }
TEST_CASE("relu") { check_unary(Unary::relu, "relu", -2, 2, {0.0}); }
TEST_CASE("silu") { check_unary(Unary::silu, "silu", -4, 4); }
TEST_CASE("softplus") {
  check_unary(Unary::softplus, "softplus", -4, 4);
  check_unary(Unary::softplus, "softplus far tails", -40, 40);
}
TEST_CASE("sigmoid") { check_unary(Unary::sigmoid, "sigmoid", -5, 5); }

TEST_CASE("clamp") {
  require_passes(gradcheck("clamp", [](Tape<double>&, const Vs& v) { return clamp(v[0], -0.5, 0.5); },
                           {random_input("x", {4, 5}, -1, 1, 4, {-0.5, 0.5})}));
}

TEST_CASE("atan2") {
  // Points away from the origin (the partials grow like 1/r there), with b broadcast.
  require_passes(gradcheck("atan2", [](Tape<double>&, const Vs& v) { return atan2(v[0], v[1]); },
                           {random_input("a", {3, 4}, 0.3, 1.5), random_input("b", {3, 4}, -1.5, -0.3)}));
  require_passes(gradcheck("atan2 broadcast", [](Tape<double>&, const Vs& v) { return atan2(v[0], v[1]); },
                           {random_input("a", {3, 4}, -1.5, -0.3), random_input("b", {1, 4}, 0.3, 1.5)}));
  Tape<double> tape;
  std::vector<double> a{1.0, -1.0, 0.0}, b{0.0, -1.0, -2.0};
  REQUIRE(atan2(tape.constant(Shape{1, 3}, a.data()), tape.constant(Shape{1, 3}, b.data())).to_host() ==
          std::vector<double>{std::atan2(1.0, 0.0), std::atan2(-1.0, -1.0), std::atan2(0.0, -2.0)});
}

TEST_CASE("inside") {
  // A 0/1 mask with no gradient: open and closed bounds, NaN and infinities.
  Tape<double> tape;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x{-1.0, -0.5, 0.0, 0.5, 1.0, NAN, inf, -inf};
  Var<double> xv = tape.input(Shape{1, 8}, x.data());
  REQUIRE(inside(xv, -0.5, 0.5).to_host() == std::vector<double>{0, 0, 1, 0, 0, 0, 0, 0});
  REQUIRE(inside(xv, -0.5, 0.5, /*closed=*/true).to_host() == std::vector<double>{0, 1, 1, 1, 0, 0, 0, 0});
  REQUIRE(inside(xv, -inf, inf).to_host() == std::vector<double>{1, 1, 1, 1, 1, 0, 0, 0});  // finite
  REQUIRE_FALSE(inside(xv, 0.0, 1.0).requires_grad());
  REQUIRE_THROWS_WITH(inside(xv, 1.0, 0.0), Catch::Contains("lo <= hi"));
  // Masking passes the gradient through the other factor only.
  require_passes(gradcheck("x * inside(x)", [](Tape<double>&, const Vs& v) { return mul(v[0], inside(v[0], -0.5, 0.5)); },
                           {random_input("x", {3, 4}, -1, 1, 4, {-0.5, 0.5})}));
}

TEST_CASE("soft_clamp") {
  // Inputs across and beyond the bounds; gradients reach x and both learnable bounds.
  auto f = [](Tape<double>&, const Vs& v) { return soft_clamp(v[0], v[1], v[2]); };
  require_passes(gradcheck("soft_clamp rank 2", f,
                           {random_input("x", {6, 3}, -14, 3), random_input("lo", {1, 3}, -10.5, -9.5),
                            random_input("hi", {1, 3}, 0.3, 0.7)}));
  require_passes(gradcheck("soft_clamp ensemble", f,
                           {random_input("x", {2, 4, 3}, -3, 3), random_input("lo", {2, 1, 3}, -2, -1),
                            random_input("hi", {2, 1, 3}, 0.5, 1.5)}));
}

TEST_CASE("concat_cols") {
  require_passes(gradcheck("concat_cols",
                           [](Tape<double>&, const Vs& v) { return concat_cols<double>({v[0], v[1], v[2]}); },
                           {random_input("a", {3, 2}), random_input("b", {3, 4}), random_input("c", {3, 1})}));
  require_passes(gradcheck("concat_cols rank 3",
                           [](Tape<double>&, const Vs& v) { return concat_cols<double>({v[0], v[1]}); },
                           {random_input("a", {2, 3, 2}), random_input("b", {2, 3, 3})}));
}

TEST_CASE("split_cols") {
  // Parts weighted differently so that a wrong slice shows in the gradient.
  auto f = [](Tape<double>&, const Vs& v) {
    auto parts = split_cols(v[0], {2, 3, 1});
    return concat_cols<double>({scale(parts[2], 3.0), parts[0], square(parts[1])});
  };
  require_passes(gradcheck("split_cols", f, {random_input("x", {4, 6})}));
  require_passes(gradcheck("slice_cols", [](Tape<double>&, const Vs& v) { return slice_cols(v[0], 1, 3); },
                           {random_input("x", {2, 4, 5})}));
}

TEST_CASE("gather_rows") {
  std::vector<int32_t> rows{3, 0, 3, 1};  // repeats accumulate in backward
  require_passes(gradcheck("gather_rows", [&](Tape<double>&, const Vs& v) { return gather_rows(v[0], rows); },
                           {random_input("x", {5, 3})}));
}

TEST_CASE("scatter_rows") {
  std::vector<int32_t> rows{4, 0, 4};  // rows 1..3 stay zero, row 4 sums two inputs
  require_passes(gradcheck("scatter_rows", [&](Tape<double>&, const Vs& v) { return scatter_rows(v[0], rows, 5); },
                           {random_input("x", {3, 2})}));
}

TEST_CASE("select_members") {
  // all [M=3, n=4, d=2]; row i keeps member[i] (host memory: the cpu tape's device).
  const std::vector<int32_t> member{2, 0, 1, 2};
  require_passes(gradcheck("select_members",
                           [&](Tape<double>&, const Vs& v) { return square(select_members(v[0], member.data())); },
                           {random_input("all", {3, 4, 2})}));
}

TEST_CASE("select_members rejects a member id out of range") {
  Tape<double> tape;
  std::vector<double> x(12, 1.0);
  const std::vector<int32_t> bad{0, 3};
  REQUIRE_THROWS_AS(select_members(tape.input(Shape{3, 2, 2}, x.data()), bad.data()), std::invalid_argument);
  REQUIRE_THROWS_AS(select_members(tape.input(Shape{6, 2}, x.data()), bad.data()), std::invalid_argument);
}

TEST_CASE("tile_rows") {
  require_passes(gradcheck("tile_rows", [](Tape<double>&, const Vs& v) { return tile_rows(v[0], 3); },
                           {random_input("x", {2, 4})}));
}

TEST_CASE("broadcast_rows") {
  require_passes(gradcheck("broadcast_rows", [](Tape<double>&, const Vs& v) { return broadcast_rows(v[0], 5); },
                           {random_input("x", {1, 4})}));
}

TEST_CASE("reshape") {
  require_passes(gradcheck("reshape", [](Tape<double>&, const Vs& v) { return square(reshape(v[0], Shape{2, 6})); },
                           {random_input("x", {3, 4})}));
}

TEST_CASE("sum") {
  require_passes(gradcheck("sum", [](Tape<double>&, const Vs& v) { return sum(v[0]); }, {random_input("x", {2, 3, 4})}));
}
TEST_CASE("mean") {
  require_passes(gradcheck("mean", [](Tape<double>&, const Vs& v) { return mean(v[0]); }, {random_input("x", {3, 4})}));
}
TEST_CASE("sum_rows") {
  auto f = [](Tape<double>&, const Vs& v) { return sum_rows(v[0]); };
  require_passes(gradcheck("sum_rows", f, {random_input("x", {3, 4})}));
  require_passes(gradcheck("sum_rows rank 3", f, {random_input("x", {2, 3, 4})}));
}
TEST_CASE("mean_rows") {
  require_passes(gradcheck("mean_rows", [](Tape<double>&, const Vs& v) { return mean_rows(v[0]); },
                           {random_input("x", {3, 4})}));
}
TEST_CASE("sum_cols") {
  auto f = [](Tape<double>&, const Vs& v) { return sum_cols(v[0]); };
  require_passes(gradcheck("sum_cols", f, {random_input("x", {3, 4})}));
  require_passes(gradcheck("sum_cols rank 3", f, {random_input("x", {2, 3, 4})}));
}
TEST_CASE("mean_cols") {
  require_passes(gradcheck("mean_cols", [](Tape<double>&, const Vs& v) { return mean_cols(v[0]); },
                           {random_input("x", {3, 4})}));
}

TEST_CASE("gaussian_sample") {
  // Noise is usually a constant; here it is differentiable too, to check every path.
  require_passes(gradcheck("gaussian_sample", [](Tape<double>&, const Vs& v) { return gaussian_sample(v[0], v[1], v[2]); },
                           {random_input("mu", {4, 3}), random_input("log_std", {4, 3}, -2, 1),
                            random_input("eps", {4, 3}, -2, 2)}));
}

TEST_CASE("squashed_gaussian_sample") {
  require_passes(gradcheck("squashed_gaussian_sample",
                           [](Tape<double>&, const Vs& v) { return squashed_gaussian_sample(v[0], v[1], v[2]); },
                           {random_input("mu", {4, 3}), random_input("log_std", {4, 3}, -2, 0.5),
                            constant_input(random_input("eps", {4, 3}, -2, 2))}));
}

TEST_CASE("squashed_gaussian_sample on an ensemble's M x n x d input") {
  // Every member's rows are squashed, not only the first n (an earlier bug).
  require_passes(gradcheck("squashed_gaussian_sample",
                           [](Tape<double>&, const Vs& v) { return squashed_gaussian_sample(v[0], v[1], v[2]); },
                           {random_input("mu", {3, 4, 2}), random_input("log_std", {3, 4, 2}, -2, 0.5),
                            constant_input(random_input("eps", {3, 4, 2}, -2, 2))}));
  Tape<double> tape;
  std::vector<double> mu(24, 0.3), ls(24, -1.0), eps(24, 0.5);
  Var<double> a = squashed_gaussian_sample(tape.constant(Shape{3, 4, 2}, mu.data()), tape.constant(Shape{3, 4, 2}, ls.data()),
                                           tape.constant(Shape{3, 4, 2}, eps.data()));
  for (double v : a.to_host()) REQUIRE(v == Approx(std::tanh(0.3 + std::exp(-1.0) * 0.5)));
}

TEST_CASE("squashed_gaussian_log_prob") {
  require_passes(gradcheck("squashed_gaussian_log_prob",
                           [](Tape<double>&, const Vs& v) { return squashed_gaussian_log_prob(v[0], v[1], v[2]); },
                           {random_input("mu", {4, 3}, -2, 2), random_input("log_std", {4, 3}, -2, 0.5),
                            constant_input(random_input("eps", {4, 3}, -2, 2))}));
}
