// concat_linear equals linear on the concatenated (and, for k > 1, tiled) input, in values
// and in the gradients of all four inputs, in float64 and float32.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <vector>

#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

using namespace maac;

namespace {

// Output then the gradients of x1, x2, w, b, from one backward with a fixed seed.
template <class T>
std::vector<T> run(bool fused, Unary f, int64_t n, int64_t k, int64_t d1, int64_t d2, int64_t out) {
  Rng rng(5);
  const std::vector<T> x1 = rng.normal_vector<T>(n * d1), x2 = rng.normal_vector<T>(k * n * d2),
                       w = rng.normal_vector<T>((d1 + d2) * out), b = rng.normal_vector<T>(out),
                       seed = rng.normal_vector<T>(k * n * out);
  Tape<T> tape;
  Var<T> x1v = tape.input(Shape{n, d1}, x1.data()), x2v = tape.input(Shape{k * n, d2}, x2.data());
  Var<T> wv = tape.input(Shape{d1 + d2, out}, w.data()), bv = tape.input(Shape{1, out}, b.data());
  Var<T> y = fused ? concat_linear(x1v, x2v, wv, bv, f)
                   : linear(concat_cols<T>({k > 1 ? tile_rows(x1v, k) : x1v, x2v}), wv, bv, f);
  tape.backward(y, seed.data());
  std::vector<T> all = y.to_host();
  for (Var<T> v : {x1v, x2v, wv, bv}) all.insert(all.end(), v.grad(), v.grad() + v.numel());
  return all;
}

template <class T> void compare(double rel) {
  for (Unary f : {Unary::identity, Unary::relu, Unary::silu, Unary::tanh})
    for (int64_t k : {1, 5}) {
      // The critic's shape in miniature (17 + 6 inputs), and one-row blocks.
      for (auto [n, d1, d2, out] : std::vector<std::array<int64_t, 4>>{{7, 17, 6, 32}, {1, 2, 1, 3}}) {
        INFO("activation " << int(f) << ", k " << k << ", n " << n << ", d1 " << d1 << ", d2 " << d2);
        const std::vector<T> got = run<T>(true, f, n, k, d1, d2, out), want = run<T>(false, f, n, k, d1, d2, out);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) {
          INFO("element " << i << ": " << got[i] << " vs " << want[i]);
          REQUIRE(std::fabs(double(got[i]) - double(want[i])) <= rel * (1.0 + std::fabs(double(want[i]))));
        }
      }
    }
}

}  // namespace

TEST_CASE("concat_linear equals linear on [tile(x1, k) | x2], values and gradients") {
  SECTION("float64") { compare<double>(1e-12); }
  SECTION("float32") { compare<float>(1e-5); }
}
