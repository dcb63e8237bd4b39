// Bad shapes and arguments throw with messages naming the shapes.
#include <catch2/catch.hpp>

#include "autodiff/modules/ensemble_mlp.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/optim/adam.hpp"

using namespace maac;
using Catch::Contains;

namespace {
struct Fixture {
  Tape<double> tape;
  std::vector<double> buf = std::vector<double>(1000, 0.5);
  Var<double> make(Shape s) { return tape.input(s, buf.data()); }
};
}  // namespace

TEST_CASE("shape mismatches name the shapes") {
  Fixture f;
  REQUIRE_THROWS_WITH(matmul(f.make({2, 3}), f.make({4, 5})), Contains("matmul") && Contains("[2, 3]") && Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(linear(f.make({2, 3}), f.make({3, 4}), f.make({1, 5})),
                      Contains("linear") && Contains("[1, 5]"));
  REQUIRE_THROWS_WITH(add(f.make({3, 4}), f.make({2, 4})), Contains("add") && Contains("[3, 4]") && Contains("[2, 4]"));
  REQUIRE_THROWS_WITH(mul(f.make({3, 4}), f.make({3, 4, 1})), Contains("[3, 4, 1]"));
  REQUIRE_THROWS_WITH(ensemble_linear(f.make({3, 5, 4}), f.make({2, 4, 6}), f.make({2, 1, 6})),
                      Contains("ensemble_linear") && Contains("[3, 5, 4]"));
  REQUIRE_THROWS_WITH(ensemble_linear(f.make({5, 3}), f.make({2, 4, 6}), f.make({2, 1, 6})),
                      Contains("[5, 3]") && Contains("[2, 4, 6]"));
  REQUIRE_THROWS_WITH(concat_cols<double>({f.make({3, 2}), f.make({4, 2})}), Contains("[3, 2]") && Contains("[4, 2]"));
  // x2's rows must be a multiple of x1's, and w must have d1 + d2 rows.
  REQUIRE_THROWS_WITH(concat_linear(f.make({2, 3}), f.make({5, 1}), f.make({4, 2}), f.make({1, 2})),
                      Contains("concat_linear") && Contains("[2, 3]") && Contains("[5, 1]"));
  REQUIRE_THROWS_WITH(concat_linear(f.make({2, 3}), f.make({4, 1}), f.make({5, 2}), f.make({1, 2})),
                      Contains("concat_linear") && Contains("[5, 2]"));
  REQUIRE_THROWS_WITH(concat_linear(f.make({2, 3}), f.make({2, 1}), f.make({4, 2}), f.make({1, 3})),
                      Contains("concat_linear") && Contains("[1, 3]"));
  REQUIRE_THROWS_WITH(gaussian_sample(f.make({3, 2}), f.make({3, 2}), f.make({2, 3})), Contains("eps [2, 3]"));
  REQUIRE_THROWS_WITH(soft_clamp(f.make({3, 2}), f.make({1, 2}), f.make({1, 3})), Contains("[1, 3]"));
  REQUIRE_THROWS_WITH(reshape(f.make({3, 2}), Shape{4, 2}), Contains("[3, 2]") && Contains("[4, 2]"));
  REQUIRE_THROWS_WITH(f.tape.backward(f.make({2, 2})), Contains("[2, 2]"));
}

TEST_CASE("bad arguments name the value and what was expected") {
  Fixture f;
  REQUIRE_THROWS_WITH(slice_cols(f.make({3, 4}), 2, 3), Contains("[2, 5)") && Contains("[3, 4]"));
  REQUIRE_THROWS_WITH(linear(f.make({2, 3}), f.make({3, 4}), f.make({1, 4}), static_cast<Unary>(42)),
                      Contains("linear") && Contains("activation 42"));
  REQUIRE_THROWS_WITH(ensemble_linear(f.make({5, 4}), f.make({2, 4, 6}), f.make({2, 1, 6}), static_cast<Unary>(-1)),
                      Contains("ensemble_linear") && Contains("activation -1"));
  REQUIRE_THROWS_WITH(split_cols(f.make({3, 4}), {1, 2}), Contains("sum to 4"));
  REQUIRE_THROWS_WITH(gather_rows(f.make({3, 4}), {0, 3}), Contains("row index 3") && Contains("< 3"));
  REQUIRE_THROWS_WITH(scatter_rows(f.make({2, 4}), {0, -1}, 5), Contains("row index -1"));
  REQUIRE_THROWS_WITH(clamp(f.make({2, 2}), 1.0, -1.0), Contains("lo <= hi"));
  REQUIRE_THROWS_WITH(tile_rows(f.make({2, 2}), 0), Contains("times >= 1"));
  REQUIRE_THROWS_WITH(ensemble_linear_routed(f.make({5, 4}), f.make({2, 4, 3}), f.make({2, 1, 3}), {0, 2, 4}),
                      Contains("offsets") && Contains("n = 5"));
  REQUIRE_THROWS_WITH(route_rows({0, 3}, 3), Contains("member 3"));
  REQUIRE_THROWS_WITH(Shape({1, 2, 3, 4}), Contains("rank 4"));
  Rng rng(0);
  REQUIRE_THROWS_WITH(EnsembleMLP<double>("e", 0, {3, 4}, Unary::relu, rng), Contains("members = 0"));
  Parameter<double> p("p", {2, 2});
  REQUIRE_THROWS_WITH(Adam<double>({&p}, AdamOptions{-1.0}), Contains("lr -1"));
  Tape<double> other;
  std::vector<double> x(4, 1.0);
  REQUIRE_THROWS_WITH(add(f.make({2, 2}), other.input(Shape{2, 2}, x.data())), Contains("different tapes"));
}
