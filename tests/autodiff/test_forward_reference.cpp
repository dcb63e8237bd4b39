// Every op's forward value against an independent float64 loop written here: no tape,
// no kernels/, no math:: helpers, only <cmath>. Random inputs of awkward shapes (one
// row, one column, odd sizes, rank 3); agreement exact for ops that move data and
// within 1e-12 relative (to the sum of the magnitudes of the terms) for ops that compute.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "autodiff/ops.hpp"

using namespace maac;
using V = Var<double>;

namespace {

constexpr double kRel = 1e-12;
const double kPi = std::acos(-1.0);

// A host tensor: shape and row-major values.
struct Data {
  Shape shape;
  std::vector<double> v;
  int64_t B() const { return shape.batch(); }
  int64_t R() const { return shape.rows(); }
  int64_t C() const { return shape.cols(); }
  // Element (b, r, c) of a [B', R', C'] operation, read with stride 0 along this
  // tensor's size-1 dimensions (numpy-style broadcast of the trailing dims).
  double bc(int64_t b, int64_t r, int64_t c) const {
    return v[static_cast<size_t>(((B() == 1 ? 0 : b) * R() + (R() == 1 ? 0 : r)) * C() + (C() == 1 ? 0 : c))];
  }
  double at(int64_t b, int64_t r, int64_t c) const { return v[static_cast<size_t>((b * R() + r) * C() + c)]; }
};

uint64_t g_seed = 1234;
Data rand_data(Shape s, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 gen(g_seed++);
  std::uniform_real_distribution<double> u(lo, hi);
  Data d{s, std::vector<double>(static_cast<size_t>(s.numel()))};
  for (double& x : d.v) x = u(gen);
  return d;
}

V constant(Tape<double>& t, const Data& d) { return t.constant(d.shape, d.v.data()); }
V input(Tape<double>& t, const Data& d) { return t.input(d.shape, d.v.data()); }

// Compares y with ref: |y - ref| <= rel * mag (mag = |ref| when not given), rel = 0 for exact.
void expect_values(const std::string& what, V y, Shape shape, const std::vector<double>& ref,
                   const std::vector<double>& mag = {}, double rel = kRel) {
  INFO(what);
  REQUIRE(y.shape() == shape);
  REQUIRE(ref.size() == static_cast<size_t>(shape.numel()));
  const std::vector<double> got = y.to_host();
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double m = mag.empty() ? std::fabs(ref[i]) : mag[i];
    const bool ok = rel == 0.0 ? (got[i] == ref[i] || (std::isnan(got[i]) && std::isnan(ref[i])))
                               : std::fabs(got[i] - ref[i]) <= rel * m;
    if (!ok && bad++ == 0) first = static_cast<int64_t>(i);
  }
  if (bad) {
    INFO("element " << first << ": got " << got[size_t(first)] << ", reference " << ref[size_t(first)] << " ("
                    << bad << " of " << ref.size() << " differ)");
    REQUIRE(bad == 0);
  }
  REQUIRE(bad == 0);
}

// ---- the per-element functions, written from their definitions (docs/ops.md) ----
struct UnaryRef {
  Unary f;
  const char* name;
  std::function<double(double)> y;
  std::function<double(double)> dy;  // |f'(x)|: how an input error shows (tolerances only)
  double lo, hi;                     // a sensible input range
};
double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
const std::vector<UnaryRef>& unary_refs() {
  static const std::vector<UnaryRef> refs{
      {Unary::identity, "identity", [](double x) { return x; }, [](double) { return 1.0; }, -3, 3},
      {Unary::relu, "relu", [](double x) { return x > 0 ? x : 0.0; }, [](double x) { return x > 0 ? 1.0 : 0.0; }, -3,
       3},
      {Unary::tanh, "tanh", [](double x) { return std::tanh(x); },
       [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); }, -4, 4},
      {Unary::silu, "silu", [](double x) { return x / (1.0 + std::exp(-x)); },
       [](double x) { return std::fabs(ref_sigmoid(x) * (1.0 + x * (1.0 - ref_sigmoid(x)))); }, -6, 6},
      {Unary::softplus, "softplus", [](double x) { return std::log1p(std::exp(x)); }, ref_sigmoid, -6, 6},
      {Unary::sigmoid, "sigmoid", ref_sigmoid, [](double x) { return ref_sigmoid(x) * (1.0 - ref_sigmoid(x)); }, -6,
       6},
      {Unary::exp, "exp", [](double x) { return std::exp(x); }, [](double x) { return std::exp(x); }, -3, 3},
      {Unary::log, "log", [](double x) { return std::log(x); }, [](double x) { return 1.0 / x; }, 0.3, 4},
      {Unary::square, "square", [](double x) { return x * x; }, [](double x) { return 2 * std::fabs(x); }, -3, 3},
      {Unary::reciprocal, "reciprocal", [](double x) { return 1.0 / x; }, [](double x) { return 1.0 / (x * x); }, 0.4,
       3},
  };
  return refs;
}

// The named wrappers of ops.hpp (identity has none).
V named_unary(Unary f, V x) {
  switch (f) {
    case Unary::relu: return relu(x);
    case Unary::tanh: return maac::tanh(x);
    case Unary::silu: return silu(x);
    case Unary::softplus: return softplus(x);
    case Unary::sigmoid: return sigmoid(x);
    case Unary::exp: return maac::exp(x);
    case Unary::log: return maac::log(x);
    case Unary::square: return square(x);
    case Unary::reciprocal: return reciprocal(x);
    default: return unary(f, x);
  }
}

// Pre-activation bias offsets that keep log and reciprocal on their domain (> 0).
double activation_offset(Unary f) { return f == Unary::log || f == Unary::reciprocal ? 2.5 : 0.0; }

// z = x W + b per row, with the magnitude sum |x||W| + |b| for the tolerance.
void affine_row(const double* x, const double* w, const double* b, int64_t in, int64_t out, double* z, double* mag) {
  for (int64_t j = 0; j < out; ++j) {
    double s = b[j], m = std::fabs(b[j]);
    for (int64_t k = 0; k < in; ++k) {
      s += x[k] * w[k * out + j];
      m += std::fabs(x[k] * w[k * out + j]);
    }
    z[j] = s;
    mag[j] = m;
  }
}

}  // namespace

TEST_CASE("forward reference: matmul") {
  for (auto [n, k, m] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {1, 7, 3}, {5, 3, 1}, {4, 6, 5}, {3, 1, 4}}) {
    Tape<double> t;
    Data a = rand_data({n, k}), b = rand_data({k, m});
    std::vector<double> ref(size_t(n * m)), mag(size_t(n * m));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j)
        for (int64_t q = 0; q < k; ++q) {
          ref[size_t(i * m + j)] += a.at(0, i, q) * b.at(0, q, j);
          mag[size_t(i * m + j)] += std::fabs(a.at(0, i, q) * b.at(0, q, j));
        }
    expect_values("matmul " + a.shape.str() + " x " + b.shape.str(), matmul(input(t, a), input(t, b)), Shape{n, m},
                  ref, mag);
  }
}

TEST_CASE("forward reference: linear with every fused activation") {
  for (const UnaryRef& f : unary_refs())
    for (auto [n, in, out] : std::vector<std::array<int64_t, 3>>{{1, 3, 5}, {5, 7, 3}, {2, 1, 1}}) {
      Tape<double> t;
      Data x = rand_data({n, in}), w = rand_data({in, out}, -0.4, 0.4), b = rand_data({1, out});
      for (double& v : b.v) v += activation_offset(f.f);
      std::vector<double> ref(size_t(n * out)), mag(size_t(n * out)), z(static_cast<size_t>(out)), zm(static_cast<size_t>(out));
      for (int64_t i = 0; i < n; ++i) {
        affine_row(&x.v[size_t(i * in)], w.v.data(), b.v.data(), in, out, z.data(), zm.data());
        for (int64_t j = 0; j < out; ++j) {
          ref[size_t(i * out + j)] = f.y(z[size_t(j)]);
          mag[size_t(i * out + j)] = std::fabs(ref[size_t(i * out + j)]) + f.dy(z[size_t(j)]) * zm[size_t(j)];
        }
      }
      // Differentiable inputs (the fused path keeps a hidden pre-activation node) and constants.
      expect_values(std::string("linear + ") + f.name + " " + x.shape.str(),
                    linear(input(t, x), input(t, w), input(t, b), f.f), Shape{n, out}, ref, mag);
      expect_values(std::string("linear + ") + f.name + " (constants) " + x.shape.str(),
                    linear(constant(t, x), constant(t, w), constant(t, b), f.f), Shape{n, out}, ref, mag);
    }
}

TEST_CASE("forward reference: concat_linear with every fused activation") {
  // y[j n + i] = f([x1[i] | x2[j n + i]] W + b): x1's rows read by every block of x2.
  for (const UnaryRef& f : unary_refs())
    for (auto [n, k, d1, d2, out] :
         std::vector<std::array<int64_t, 5>>{{1, 1, 1, 1, 1}, {3, 1, 4, 2, 5}, {2, 3, 3, 1, 4}, {1, 4, 2, 3, 1}}) {
      Tape<double> t;
      Data x1 = rand_data({n, d1}), x2 = rand_data({k * n, d2}), w = rand_data({d1 + d2, out}, -0.4, 0.4),
           b = rand_data({1, out});
      for (double& v : b.v) v += activation_offset(f.f);
      std::vector<double> ref, mag, row(static_cast<size_t>(d1 + d2)), z(static_cast<size_t>(out)),
          zm(static_cast<size_t>(out));
      for (int64_t r = 0; r < k * n; ++r) {
        for (int64_t c = 0; c < d1; ++c) row[size_t(c)] = x1.at(0, r % n, c);
        for (int64_t c = 0; c < d2; ++c) row[size_t(d1 + c)] = x2.at(0, r, c);
        affine_row(row.data(), w.v.data(), b.v.data(), d1 + d2, out, z.data(), zm.data());
        for (int64_t j = 0; j < out; ++j) {
          ref.push_back(f.y(z[size_t(j)]));
          mag.push_back(std::fabs(ref.back()) + f.dy(z[size_t(j)]) * zm[size_t(j)]);
        }
      }
      const std::string name = std::string("concat_linear + ") + f.name + " " + x1.shape.str() + " " + x2.shape.str();
      expect_values(name, concat_linear(input(t, x1), input(t, x2), input(t, w), input(t, b), f.f),
                    Shape{k * n, out}, ref, mag);
      expect_values(name + " (constants)",
                    concat_linear(constant(t, x1), constant(t, x2), constant(t, w), constant(t, b), f.f),
                    Shape{k * n, out}, ref, mag);
    }
}

TEST_CASE("forward reference: add_bias") {
  for (Shape s : {Shape{1, 5}, Shape{4, 3}, Shape{2, 3, 5}, Shape{3, 1, 1}}) {
    Tape<double> t;
    Data x = rand_data(s);
    Data b = rand_data(s.rank() == 3 ? Shape{s[0], 1, s.cols()} : Shape{1, s.cols()});
    std::vector<double> ref;
    for (int64_t m = 0; m < x.B(); ++m)
      for (int64_t r = 0; r < x.R(); ++r)
        for (int64_t c = 0; c < x.C(); ++c) ref.push_back(x.at(m, r, c) + b.bc(m, r, c));
    expect_values("add_bias " + s.str(), add_bias(input(t, x), input(t, b)), s, ref);
  }
}

TEST_CASE("forward reference: ensemble_linear, per-member and shared rows, every activation") {
  for (const UnaryRef& f : unary_refs())
    for (auto [M, n, in, out] :
         std::vector<std::array<int64_t, 4>>{{3, 1, 4, 5}, {1, 5, 3, 1}, {2, 3, 1, 2}, {4, 2, 3, 3}})
      for (bool shared : {false, true}) {
        Tape<double> t;
        Data x = shared ? rand_data({n, in}) : rand_data({M, n, in});
        Data w = rand_data({M, in, out}, -0.4, 0.4), b = rand_data({M, 1, out});
        for (double& v : b.v) v += activation_offset(f.f);
        std::vector<double> ref, mag, z(static_cast<size_t>(out)), zm(static_cast<size_t>(out));
        for (int64_t m = 0; m < M; ++m)
          for (int64_t i = 0; i < n; ++i) {
            const double* xr = &x.v[size_t(((shared ? 0 : m) * n + i) * in)];
            affine_row(xr, &w.v[size_t(m * in * out)], &b.v[size_t(m * out)], in, out, z.data(), zm.data());
            for (int64_t j = 0; j < out; ++j) {
              ref.push_back(f.y(z[size_t(j)]));
              mag.push_back(std::fabs(ref.back()) + f.dy(z[size_t(j)]) * zm[size_t(j)]);
            }
          }
        expect_values(std::string("ensemble_linear + ") + f.name + (shared ? " shared x " : " per-member x ") +
                          x.shape.str() + " w " + w.shape.str(),
                      ensemble_linear(input(t, x), input(t, w), input(t, b), f.f), Shape{M, n, out}, ref, mag);
      }
}

TEST_CASE("forward reference: ensemble_linear_routed") {
  struct Case {
    int64_t in, out;
    std::vector<int32_t> offsets;
  };
  // An empty member in the middle and at the end, a single member, a single row.
  for (const Case& c : std::vector<Case>{{4, 3, {0, 2, 2, 5}}, {3, 2, {0, 1, 4, 4}}, {5, 1, {0, 3}}, {2, 4, {0, 0, 1}}}) {
    Tape<double> t;
    const int64_t M = int64_t(c.offsets.size()) - 1, n = c.offsets.back();
    Data x = rand_data({n, c.in}), w = rand_data({M, c.in, c.out}), b = rand_data({M, 1, c.out});
    std::vector<double> ref(size_t(n * c.out)), mag(size_t(n * c.out));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t r = c.offsets[size_t(m)]; r < c.offsets[size_t(m + 1)]; ++r)
        affine_row(&x.v[size_t(r * c.in)], &w.v[size_t(m * c.in * c.out)], &b.v[size_t(m * c.out)], c.in, c.out,
                   &ref[size_t(r * c.out)], &mag[size_t(r * c.out)]);
    expect_values("ensemble_linear_routed " + w.shape.str() + " over " + std::to_string(n) + " rows",
                  ensemble_linear_routed(input(t, x), input(t, w), input(t, b), c.offsets), Shape{n, c.out}, ref,
                  mag);
  }
}

TEST_CASE("forward reference: binary ops with every broadcast") {
  struct Op {
    const char* name;
    std::function<V(V, V)> op;
    std::function<double(double, double)> ref;
  };
  const std::vector<Op> ops{
      {"add", [](V a, V b) { return add(a, b); }, [](double a, double b) { return a + b; }},
      {"sub", [](V a, V b) { return sub(a, b); }, [](double a, double b) { return a - b; }},
      {"mul", [](V a, V b) { return mul(a, b); }, [](double a, double b) { return a * b; }},
      {"minimum", [](V a, V b) { return minimum(a, b); }, [](double a, double b) { return a < b ? a : b; }},
      {"atan2", [](V a, V b) { return maac::atan2(a, b); }, [](double a, double b) { return std::atan2(a, b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes{
      {{3, 5}, {3, 5}},       {{3, 5}, {1, 5}},       {{3, 5}, {3, 1}},    {{3, 5}, {1, 1}},
      {{1, 7}, {1, 7}},       {{1, 1}, {1, 1}},       {{5, 1}, {1, 1}},    {{2, 3, 5}, {2, 3, 5}},
      {{2, 3, 5}, {2, 1, 5}}, {{2, 3, 5}, {2, 3, 1}}, {{2, 3, 5}, {1, 5}}, {{2, 3, 5}, {1, 1}},
      {{3, 1, 4}, {3, 1, 1}}, {{2, 3, 5}, {1, 3, 5}}};
  for (const Op& op : ops)
    for (const auto& [sa, sb] : shapes) {
      Tape<double> t;
      Data a = rand_data(sa, -2, 2), b = rand_data(sb, -2, 2);
      if (sa == sb) b.v[0] = a.v[0];  // a tie (minimum keeps either, atan2 on the diagonal)
      std::vector<double> ref, mag;
      for (int64_t m = 0; m < a.B(); ++m)
        for (int64_t r = 0; r < a.R(); ++r)
          for (int64_t c = 0; c < a.C(); ++c) {
            ref.push_back(op.ref(a.at(m, r, c), b.bc(m, r, c)));
            mag.push_back(std::fabs(a.at(m, r, c)) + std::fabs(b.bc(m, r, c)) + std::fabs(ref.back()));
          }
      expect_values(std::string(op.name) + " " + sa.str() + " with " + sb.str(), op.op(input(t, a), input(t, b)), sa,
                    ref, mag);
    }
  // atan2's special points: the axes and the branch cut, in (-pi, pi].
  Tape<double> t;
  Data a{{1, 6}, {1.0, -1.0, 0.0, 0.0, 2.0, -3.0}}, b{{1, 6}, {0.0, 0.0, -2.0, 2.0, -1e-300, 4.0}};
  std::vector<double> ref;
  for (size_t i = 0; i < a.v.size(); ++i) ref.push_back(std::atan2(a.v[i], b.v[i]));
  expect_values("atan2 special points", maac::atan2(constant(t, a), constant(t, b)), Shape{1, 6}, ref, {}, 0.0);
  REQUIRE(ref[2] == Approx(kPi));  // (b, a) = (-2, 0): the angle pi, not -pi
}

TEST_CASE("forward reference: scale and add_scalar") {
  for (Shape s : {Shape{1, 1}, Shape{1, 7}, Shape{5, 3}, Shape{2, 3, 5}}) {
    Tape<double> t;
    Data x = rand_data(s, -3, 3);
    for (double c : {-2.5, 0.0, 1.0, 0.7}) {
      std::vector<double> r1, r2;
      for (double v : x.v) {
        r1.push_back(c * v);
        r2.push_back(v + c);
      }
      expect_values("scale " + s.str() + " by " + std::to_string(c), scale(input(t, x), c), s, r1);
      expect_values("add_scalar " + s.str() + " + " + std::to_string(c), add_scalar(input(t, x), c), s, r2, {}, 0.0);
    }
  }
}

TEST_CASE("forward reference: unary functions") {
  for (const UnaryRef& f : unary_refs())
    for (Shape s : {Shape{1, 1}, Shape{1, 7}, Shape{5, 3}, Shape{2, 3, 5}, Shape{67, 3}}) {
      Tape<double> t;
      Data x = rand_data(s, f.lo, f.hi);
      std::vector<double> ref, mag;
      for (double v : x.v) {
        ref.push_back(f.y(v));
        mag.push_back(std::fabs(ref.back()) + std::fabs(v * f.dy(v)));
      }
      expect_values(std::string("unary ") + f.name + " " + s.str(), unary(f.f, input(t, x)), s, ref, mag);
      expect_values(std::string("unary ") + f.name + " (named) " + s.str(), named_unary(f.f, input(t, x)), s, ref, mag);
      expect_values(std::string("unary ") + f.name + " (constant) " + s.str(), unary(f.f, constant(t, x)), s, ref, mag);
    }
  // Tails: the overflow-safe forms must still give the exact values.
  Tape<double> t;
  Data x{{1, 8}, {-40.0, -30.0, -12.0, -0.0, 1e-9, 12.0, 30.0, 40.0}};
  for (const UnaryRef& f : unary_refs()) {
    if (f.f == Unary::log || f.f == Unary::reciprocal || f.f == Unary::exp || f.f == Unary::square) continue;
    std::vector<double> ref, mag;
    for (double v : x.v) {
      ref.push_back(f.y(v));
      mag.push_back(std::fabs(ref.back()) + std::fabs(v * f.dy(v)));
    }
    expect_values(std::string("unary ") + f.name + " tails", unary(f.f, input(t, x)), Shape{1, 8}, ref, mag);
  }
}

TEST_CASE("forward reference: clamp") {
  Tape<double> t;
  Data x = rand_data({7, 3}, -2, 2);
  x.v[0] = -0.5;
  x.v[1] = 0.5;
  x.v[2] = -3.0;
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{{-0.5, 0.5}, {-20.0, 2.0}, {0.3, 0.3}, {-1.0, 10.0}}) {
    std::vector<double> ref;
    for (double v : x.v) ref.push_back(v < lo ? lo : (v > hi ? hi : v));
    expect_values("clamp to [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", clamp(input(t, x), lo, hi),
                  x.shape, ref, {}, 0.0);
  }
}

TEST_CASE("forward reference: inside") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Data x = rand_data({3, 5, 3}, -2, 2);
  const std::vector<double> special{-1.0, 1.0, -0.5, 0.5, nan, inf, -inf, 0.0, -0.0, 1e308, -1e308};
  for (size_t i = 0; i < special.size(); ++i) x.v[i * 4] = special[i];
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{{-1.0, 1.0}, {-0.5, 0.5}, {0.0, 0.0}, {-inf, inf}, {0.2, inf}})
    for (bool closed : {false, true}) {
      Tape<double> t;
      std::vector<double> ref;
      for (double v : x.v) ref.push_back((closed ? (v >= lo && v <= hi) : (v > lo && v < hi)) ? 1.0 : 0.0);
      V y = inside(input(t, x), lo, hi, closed);
      REQUIRE_FALSE(y.requires_grad());
      expect_values("inside (" + std::to_string(lo) + ", " + std::to_string(hi) + ")" + (closed ? " closed" : ""), y,
                    x.shape, ref, {}, 0.0);
    }
}

TEST_CASE("forward reference: soft_clamp") {
  // u = hi - softplus(hi - x);  y = lo + softplus(u - lo), bounds broadcast like b.
  auto softplus_ref = [](double z) { return std::log1p(std::exp(z)); };
  const std::vector<std::pair<Shape, Shape>> shapes{{{6, 3}, {1, 3}}, {{1, 1}, {1, 1}}, {{1, 5}, {1, 5}},
                                                    {{5, 4}, {1, 1}}, {{2, 4, 3}, {2, 1, 3}}, {{3, 2, 5}, {1, 5}},
                                                    {{4, 3}, {4, 3}}};
  for (const auto& [sx, sb] : shapes) {
    Tape<double> t;
    Data x = rand_data(sx, -14, 3), lo = rand_data(sb, -10.5, -1.0), hi = rand_data(sb, -0.5, 1.0);
    std::vector<double> ref, mag;
    for (int64_t m = 0; m < x.B(); ++m)
      for (int64_t r = 0; r < x.R(); ++r)
        for (int64_t c = 0; c < x.C(); ++c) {
          const double xv = x.at(m, r, c), l = lo.bc(m, r, c), h = hi.bc(m, r, c);
          const double u = h - softplus_ref(h - xv);
          ref.push_back(l + softplus_ref(u - l));
          mag.push_back(std::fabs(xv) + std::fabs(l) + std::fabs(h) + std::fabs(ref.back()));
        }
    expect_values("soft_clamp " + sx.str() + " bounds " + sb.str(), soft_clamp(input(t, x), input(t, lo), input(t, hi)),
                  sx, ref, mag);
  }
}

TEST_CASE("forward reference: concat, slice and split columns") {
  for (int64_t rank : {2, 3})
    for (size_t parts = 1; parts <= 4; ++parts) {
      Tape<double> t;
      const std::vector<int64_t> widths{3, 1, 4, 2};
      const int64_t B = rank == 3 ? 2 : 1, R = parts == 2 ? 1 : 3;
      std::vector<Data> ds;
      std::vector<V> vs;
      int64_t width = 0;
      for (size_t p = 0; p < parts; ++p) {
        ds.push_back(rand_data(rank == 3 ? Shape{B, R, widths[p]} : Shape{R, widths[p]}));
        vs.push_back(p % 2 ? constant(t, ds.back()) : input(t, ds.back()));
        width += widths[p];
      }
      std::vector<double> ref;
      for (int64_t m = 0; m < B; ++m)
        for (int64_t r = 0; r < R; ++r)
          for (const Data& d : ds)
            for (int64_t c = 0; c < d.C(); ++c) ref.push_back(d.at(m, r, c));
      const Shape out = rank == 3 ? Shape{B, R, width} : Shape{R, width};
      V y = concat_cols(vs);
      expect_values("concat_cols of " + std::to_string(parts) + " parts, rank " + std::to_string(rank), y, out, ref, {},
                    0.0);
      // slice_cols and split_cols give the parts back.
      std::vector<int64_t> sizes(widths.begin(), widths.begin() + long(parts));
      std::vector<V> split = split_cols(y, sizes);
      int64_t start = 0;
      for (size_t p = 0; p < parts; ++p) {
        expect_values("split_cols part " + std::to_string(p), split[p], ds[p].shape, ds[p].v, {}, 0.0);
        expect_values("slice_cols part " + std::to_string(p), slice_cols(y, start, sizes[p]), ds[p].shape, ds[p].v, {},
                      0.0);
        start += sizes[p];
      }
    }
  // An odd slice of one row.
  Tape<double> t;
  Data x = rand_data({1, 9});
  expect_values("slice_cols [1, 9] columns 7..8", slice_cols(input(t, x), 7, 2), Shape{1, 2}, {x.v[7], x.v[8]}, {},
                0.0);
}

TEST_CASE("forward reference: gather_rows and scatter_rows") {
  struct Case {
    int64_t n, d;
    std::vector<int32_t> rows;
  };
  for (const Case& c : std::vector<Case>{{5, 3, {3, 0, 3, 1}}, {1, 1, {0}}, {4, 7, {2}}, {3, 2, {2, 2, 2, 0, 1, 0}}}) {
    Tape<double> t;
    Data x = rand_data({c.n, c.d});
    std::vector<double> ref;
    for (int32_t r : c.rows)
      for (int64_t j = 0; j < c.d; ++j) ref.push_back(x.at(0, r, j));
    expect_values("gather_rows from " + x.shape.str(), gather_rows(input(t, x), c.rows),
                  Shape{int64_t(c.rows.size()), c.d}, ref, {}, 0.0);
  }
  // scatter: repeated targets add, untouched rows are 0, more output rows than inputs.
  for (const Case& c : std::vector<Case>{{5, 2, {4, 0, 4}}, {1, 3, {0}}, {6, 1, {5, 2, 2, 2}}, {2, 4, {1, 0}}}) {
    Tape<double> t;
    const int64_t k = int64_t(c.rows.size());
    Data x = rand_data({k, c.d});
    std::vector<double> ref(size_t(c.n * c.d), 0.0), mag(size_t(c.n * c.d), 0.0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < c.d; ++j) {
        ref[size_t(c.rows[size_t(i)] * c.d + j)] += x.at(0, i, j);
        mag[size_t(c.rows[size_t(i)] * c.d + j)] += std::fabs(x.at(0, i, j));
      }
    expect_values("scatter_rows " + x.shape.str() + " into " + std::to_string(c.n) + " rows",
                  scatter_rows(input(t, x), c.rows, c.n), Shape{c.n, c.d}, ref, mag);
  }
}

TEST_CASE("forward reference: select_members") {
  struct Case {
    int64_t M, d;
    std::vector<int32_t> member;
  };
  for (const Case& c : std::vector<Case>{{3, 2, {2, 0, 1, 2}}, {1, 5, {0}}, {4, 1, {3, 3, 0}}, {2, 3, {1}}}) {
    Tape<double> t;
    const int64_t n = int64_t(c.member.size());
    Data all = rand_data({c.M, n, c.d});
    std::vector<double> ref;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < c.d; ++j) ref.push_back(all.at(c.member[size_t(i)], i, j));
    expect_values("select_members " + all.shape.str(), select_members(input(t, all), c.member.data()), Shape{n, c.d},
                  ref, {}, 0.0);
  }
}

TEST_CASE("forward reference: tile_rows, broadcast_rows and reshape") {
  for (auto [n, d, k] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {2, 3, 4}, {5, 1, 2}, {1, 7, 3}}) {
    Tape<double> t;
    Data x = rand_data({n, d});
    std::vector<double> ref;
    for (int64_t j = 0; j < k; ++j)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < d; ++c) ref.push_back(x.at(0, i, c));
    expect_values("tile_rows " + x.shape.str() + " x" + std::to_string(k), tile_rows(input(t, x), k), Shape{k * n, d},
                  ref, {}, 0.0);
    if (n == 1)
      expect_values("broadcast_rows " + x.shape.str() + " to " + std::to_string(k), broadcast_rows(input(t, x), k),
                    Shape{k, d}, ref, {}, 0.0);
  }
  Tape<double> t;
  Data x = rand_data({2, 3, 5});
  expect_values("reshape [2,3,5] to [6,5]", reshape(input(t, x), Shape{6, 5}), Shape{6, 5}, x.v, {}, 0.0);
  expect_values("reshape [2,3,5] to [1,30]", reshape(input(t, x), Shape{1, 30}), Shape{1, 30}, x.v, {}, 0.0);
  expect_values("reshape [2,3,5] to [5,3,2]", reshape(input(t, x), Shape{5, 3, 2}), Shape{5, 3, 2}, x.v, {}, 0.0);
}

TEST_CASE("forward reference: reductions") {
  for (Shape s : {Shape{1, 1}, Shape{1, 7}, Shape{5, 1}, Shape{4, 3}, Shape{2, 3, 5}, Shape{3, 1, 4}, Shape{101, 3}}) {
    Data x = rand_data(s, -3, 3);
    const int64_t B = x.B(), R = x.R(), C = x.C();
    const bool r3 = s.rank() == 3;
    // over: 0 all, 1 rows, 2 cols
    for (int over = 0; over < 3; ++over)
      for (bool average : {false, true}) {
        Tape<double> t;
        Shape out = over == 0 ? Shape{1, 1}
                    : over == 1 ? (r3 ? Shape{B, 1, C} : Shape{1, C})
                                : (r3 ? Shape{B, R, 1} : Shape{R, 1});
        const double count = over == 0 ? double(s.numel()) : over == 1 ? double(R) : double(C);
        std::vector<double> ref(size_t(out.numel()), 0.0), mag(size_t(out.numel()), 0.0);
        for (int64_t m = 0; m < B; ++m)
          for (int64_t r = 0; r < R; ++r)
            for (int64_t c = 0; c < C; ++c) {
              const size_t o = over == 0 ? 0 : over == 1 ? size_t(m * C + c) : size_t(m * R + r);
              ref[o] += x.at(m, r, c);
              mag[o] += std::fabs(x.at(m, r, c));
            }
        if (average)
          for (size_t o = 0; o < ref.size(); ++o) {
            ref[o] /= count;
            mag[o] /= count;
          }
        V xv = input(t, x);
        V y = over == 0 ? (average ? mean(xv) : sum(xv))
              : over == 1 ? (average ? mean_rows(xv) : sum_rows(xv))
                          : (average ? mean_cols(xv) : sum_cols(xv));
        const char* names[3][2] = {{"sum", "mean"}, {"sum_rows", "mean_rows"}, {"sum_cols", "mean_cols"}};
        expect_values(std::string(names[over][average]) + " " + s.str(), y, out, ref, mag);
      }
  }
}

TEST_CASE("forward reference: Gaussian samples and the squashed log-prob") {
  for (Shape s : {Shape{1, 1}, Shape{1, 7}, Shape{5, 3}, Shape{3, 4, 2}, Shape{2, 1, 3}}) {
    Tape<double> t;
    Data mu = rand_data(s, -2, 2), ls = rand_data(s, -3, 1), eps = rand_data(s, -2.5, 2.5);
    mu.v[0] = 6.0;  // a large |u|, where 1 - tanh^2 underflows without the stable form
    ls.v[0] = 0.9;
    eps.v[0] = 2.4;
    std::vector<double> g, gm, a, am;
    for (size_t i = 0; i < mu.v.size(); ++i) {
      const double sd = std::exp(ls.v[i]), u = mu.v[i] + sd * eps.v[i];
      g.push_back(u);
      gm.push_back(std::fabs(mu.v[i]) + std::fabs(sd * eps.v[i]));
      a.push_back(std::tanh(u));
      am.push_back(std::fabs(a.back()) + (1.0 - a.back() * a.back()) * gm.back());
    }
    expect_values("gaussian_sample " + s.str(), gaussian_sample(input(t, mu), input(t, ls), input(t, eps)), s, g, gm);
    expect_values("gaussian_sample (constant eps) " + s.str(),
                  gaussian_sample(input(t, mu), input(t, ls), constant(t, eps)), s, g, gm);
    expect_values("squashed_gaussian_sample " + s.str(),
                  squashed_gaussian_sample(input(t, mu), input(t, ls), constant(t, eps)), s, a, am);
    if (s.rank() == 3) continue;  // the log-prob takes [n, d]
    // log pi = sum_c [-eps^2/2 - log_std - log(2 pi)/2 - log(1 - tanh(u)^2)], and
    // log(1 - tanh(u)^2) = -2 log cosh(u) (written from the definition, not the op's form).
    const int64_t n = s.rows(), d = s.cols();
    std::vector<double> lp(size_t(n), 0.0), lpm(size_t(n), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < d; ++c) {
        const size_t k = size_t(i * d + c);
        const double e = eps.v[k], l = ls.v[k], u = g[k];
        const double term = -0.5 * e * e - l - 0.5 * std::log(2.0 * kPi) + 2.0 * std::log(std::cosh(u));
        lp[size_t(i)] += term;
        lpm[size_t(i)] += 0.5 * e * e + std::fabs(l) + 1.0 + 2.0 * std::log(std::cosh(u)) + 2.0 * gm[k];
      }
    expect_values("squashed_gaussian_log_prob " + s.str(),
                  squashed_gaussian_log_prob(input(t, mu), input(t, ls), constant(t, eps)), Shape{n, 1}, lp, lpm);
  }
}
