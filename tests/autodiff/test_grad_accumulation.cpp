// Gradients accumulate (DESIGN decision 2): every op's backward must ADD into the
// gradients of its inputs, never overwrite them. For each op, every differentiable input
// is a Parameter (its gradient is not zeroed by backward), pre-filled with non-zero
// random values G0; after backward with a random seed, the gradient must equal G0 plus
// the gradient the same backward gives from a zero start.
#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "autodiff/ops.hpp"

using namespace maac;
using V = Var<double>;
using Vs = std::vector<V>;

namespace {

struct In {
  Shape shape;
  double lo = -1.0, hi = 1.0;
  bool differentiable = true;  // false: a constant (noise)
};

struct Case {
  std::string name;
  std::vector<In> inputs;
  std::function<V(const Vs&)> op;
};

std::vector<double> uniform(int64_t n, double lo, double hi, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = u(gen);
  return v;
}

// Non-zero everywhere, both signs: |G0| in [0.5, 1.5].
std::vector<double> prefill(int64_t n, uint64_t seed) {
  std::vector<double> v = uniform(n, 0.5, 1.5, seed);
  std::vector<double> sign = uniform(n, -1.0, 1.0, seed + 1);
  for (size_t i = 0; i < v.size(); ++i) v[i] = sign[i] < 0 ? -v[i] : v[i];
  return v;
}

void check_accumulates(const Case& c) {
  INFO(c.name);
  std::deque<Parameter<double>> params;
  std::vector<std::vector<double>> values;
  uint64_t seed = std::hash<std::string>{}(c.name);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const In& in = c.inputs[i];
    values.push_back(uniform(in.shape.numel(), in.lo, in.hi, seed + 10 * i));
    params.emplace_back("in" + std::to_string(i), in.shape);
    params.back().value().host() = values.back();
  }
  // One backward from the given starting gradients; returns the gradients after it.
  auto run = [&](bool from_g0) {
    for (size_t i = 0; i < params.size(); ++i)
      params[i].grad().host() = from_g0 ? prefill(params[i].numel(), seed + 1000 + 10 * i)
                                        : std::vector<double>(size_t(params[i].numel()), 0.0);
    Tape<double> tape;
    Vs vars;
    for (size_t i = 0; i < params.size(); ++i)
      vars.push_back(c.inputs[i].differentiable ? tape.param(params[i])
                                                : tape.constant(c.inputs[i].shape, values[i].data()));
    V y = c.op(vars);
    REQUIRE(y.requires_grad());
    const std::vector<double> seed_grad = uniform(y.numel(), -1.0, 1.0, seed + 7);
    tape.backward(y, seed_grad.data());
    std::vector<std::vector<double>> g;
    for (Parameter<double>& p : params) g.push_back(p.grad().host());
    return g;
  };
  const auto from_zero = run(false);
  const auto from_g0 = run(true);
  for (size_t i = 0; i < params.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    INFO("input " << i << " " << c.inputs[i].shape.str());
    const std::vector<double> g0 = prefill(params[i].numel(), seed + 1000 + 10 * i);
    bool nonzero = false;
    int64_t bad = 0, first = -1;
    for (size_t k = 0; k < g0.size(); ++k) {
      nonzero = nonzero || from_zero[i][k] != 0.0;
      const double want = g0[k] + from_zero[i][k];
      if (!(std::fabs(from_g0[i][k] - want) <= 1e-12 * (std::fabs(g0[k]) + std::fabs(from_zero[i][k])))) {
        if (bad++ == 0) first = int64_t(k);
      }
    }
    // The op must send this input some gradient, or the check says nothing. CHECK, not
    // REQUIRE: every op of a table is reported.
    CHECK(nonzero);
    if (bad) {
      INFO("element " << first << ": G0 " << g0[size_t(first)] << " + grad " << from_zero[i][size_t(first)]
                      << " expected, got " << from_g0[i][size_t(first)] << " (" << bad << " differ)");
      CHECK(bad == 0);
    }
  }
}

std::string unary_name(Unary f) {
  const char* names[] = {"identity", "relu", "tanh", "silu", "softplus", "sigmoid", "exp", "log", "square", "reciprocal"};
  return names[int(f)];
}
const Unary kAllUnary[] = {Unary::identity, Unary::relu, Unary::tanh,   Unary::silu,   Unary::softplus,
                           Unary::sigmoid,  Unary::exp,  Unary::log,    Unary::square, Unary::reciprocal};
// Input ranges on each function's domain (log, reciprocal: positive).
In unary_input(Unary f, Shape s) {
  if (f == Unary::log || f == Unary::reciprocal) return {s, 0.3, 3.0};
  return {s, -2.0, 2.0};
}

}  // namespace

TEST_CASE("gradient accumulation: linear algebra and ensembles") {
  std::vector<Case> cases{
      {"matmul", {{{3, 4}}, {{4, 5}}}, [](const Vs& v) { return matmul(v[0], v[1]); }},
      {"matmul one row", {{{1, 1}}, {{1, 3}}}, [](const Vs& v) { return matmul(v[0], v[1]); }},
      {"add_bias rank 2", {{{4, 3}}, {{1, 3}}}, [](const Vs& v) { return add_bias(v[0], v[1]); }},
      {"add_bias rank 3", {{{2, 4, 3}}, {{2, 1, 3}}}, [](const Vs& v) { return add_bias(v[0], v[1]); }},
  };
  for (Unary f : kAllUnary) {
    // The bias keeps log and reciprocal on their domain, and some relu inputs positive.
    const double blo = f == Unary::log || f == Unary::reciprocal ? 2.0 : f == Unary::relu ? -0.2 : -1.0;
    cases.push_back({"linear + " + unary_name(f),
                     {{{5, 3}}, {{3, 4}, -0.3, 0.3}, {{1, 4}, blo, blo + 1.0}},
                     [f](const Vs& v) { return linear(v[0], v[1], v[2], f); }});
    for (int64_t k : {1, 3})
      cases.push_back({"concat_linear k " + std::to_string(k) + " + " + unary_name(f),
                       {{{4, 3}}, {{4 * k, 2}}, {{5, 4}, -0.3, 0.3}, {{1, 4}, blo, blo + 1.0}},
                       [f](const Vs& v) { return concat_linear(v[0], v[1], v[2], v[3], f); }});
    cases.push_back({"ensemble_linear per-member x + " + unary_name(f),
                     {{{3, 4, 5}}, {{3, 5, 2}, -0.3, 0.3}, {{3, 1, 2}, blo, blo + 1.0}},
                     [f](const Vs& v) { return ensemble_linear(v[0], v[1], v[2], f); }});
    cases.push_back({"ensemble_linear shared x + " + unary_name(f),
                     {{{4, 5}}, {{3, 5, 2}, -0.3, 0.3}, {{3, 1, 2}, blo, blo + 1.0}},
                     [f](const Vs& v) { return ensemble_linear(v[0], v[1], v[2], f); }});
  }
  const std::vector<int32_t> offsets{0, 2, 2, 5};  // member 1 owns no rows
  cases.push_back({"ensemble_linear_routed",
                   {{{5, 4}}, {{3, 4, 2}}, {{3, 1, 2}}},
                   [&](const Vs& v) { return ensemble_linear_routed(v[0], v[1], v[2], offsets); }});
  for (const Case& c : cases) check_accumulates(c);
}

TEST_CASE("gradient accumulation: element-wise ops") {
  using B = std::function<V(V, V)>;
  const std::vector<std::pair<std::string, B>> binaries{
      {"add", [](V a, V b) { return add(a, b); }},
      {"sub", [](V a, V b) { return sub(a, b); }},
      {"mul", [](V a, V b) { return mul(a, b); }},
      {"minimum", [](V a, V b) { return minimum(a, b); }},
      {"atan2", [](V a, V b) { return maac::atan2(a, b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes{
      {{3, 4}, {3, 4}}, {{3, 4}, {1, 4}}, {{3, 4}, {3, 1}}, {{2, 3, 4}, {1, 1}}, {{2, 3, 4}, {2, 1, 4}}, {{1, 1}, {1, 1}}};
  std::vector<Case> cases;
  for (const auto& [name, op] : binaries)
    for (const auto& [sa, sb] : shapes) {
      B f = op;
      In a{sa, -2.0, 2.0}, b{sb, -2.0, 2.0};
      if (name == "minimum") {
        if (sa.numel() == 1) continue;  // one pair: only one side can get the gradient
        b = {sb, -0.5, 0.5};             // a broadcast b is below some of its a's and above others
      }
      cases.push_back({name + " " + sa.str() + " with " + sb.str(), {a, b}, [f](const Vs& v) { return f(v[0], v[1]); }});
    }
  cases.push_back({"scale", {{{3, 4}}}, [](const Vs& v) { return scale(v[0], -2.5); }});
  cases.push_back({"add_scalar", {{{3, 4}}}, [](const Vs& v) { return add_scalar(v[0], 0.7); }});
  for (Unary f : kAllUnary)
    cases.push_back({"unary " + unary_name(f), {unary_input(f, {4, 5})}, [f](const Vs& v) { return unary(f, v[0]); }});
  cases.push_back({"clamp", {{{4, 5}, -1.0, 1.0}}, [](const Vs& v) { return clamp(v[0], -0.5, 0.5); }});
  cases.push_back({"soft_clamp rank 2",
                   {{{6, 3}, -14.0, 3.0}, {{1, 3}, -10.5, -9.5}, {{1, 3}, 0.3, 0.7}},
                   [](const Vs& v) { return soft_clamp(v[0], v[1], v[2]); }});
  cases.push_back({"soft_clamp ensemble",
                   {{{2, 4, 3}, -3.0, 3.0}, {{2, 1, 3}, -2.0, -1.0}, {{2, 1, 3}, 0.5, 1.5}},
                   [](const Vs& v) { return soft_clamp(v[0], v[1], v[2]); }});
  cases.push_back({"soft_clamp scalar bounds",
                   {{{1, 5}, -3.0, 3.0}, {{1, 1}, -2.0, -1.0}, {{1, 1}, 0.5, 1.5}},
                   [](const Vs& v) { return soft_clamp(v[0], v[1], v[2]); }});
  // inside() has no backward (a constant mask); x * inside(x) passes the gradient through mul.
  cases.push_back({"x * inside(x)", {{{3, 4}}}, [](const Vs& v) { return mul(v[0], inside(v[0], -0.5, 0.5)); }});
  for (const Case& c : cases) check_accumulates(c);
}

TEST_CASE("gradient accumulation: rows, shapes and reductions") {
  const std::vector<int32_t> gather{3, 0, 3, 1}, scatter{4, 0, 4}, member{2, 0, 1, 2};
  std::vector<Case> cases{
      {"concat_cols 3 parts",
       {{{3, 2}}, {{3, 4}}, {{3, 1}}},
       [](const Vs& v) { return concat_cols<double>({v[0], v[1], v[2]}); }},
      {"concat_cols 4 parts rank 3",
       {{{2, 3, 2}}, {{2, 3, 3}}, {{2, 3, 1}}, {{2, 3, 1}}},
       [](const Vs& v) { return concat_cols<double>({v[0], v[1], v[2], v[3]}); }},
      {"slice_cols", {{{2, 4, 5}}}, [](const Vs& v) { return slice_cols(v[0], 1, 4); }},
      {"split_cols",
       {{{4, 6}}},
       [](const Vs& v) {
         auto p = split_cols(v[0], {2, 3, 1});
         return concat_cols<double>({p[2], p[0], p[1]});
       }},
      {"gather_rows", {{{5, 3}}}, [&](const Vs& v) { return gather_rows(v[0], gather); }},
      {"scatter_rows", {{{3, 2}}}, [&](const Vs& v) { return scatter_rows(v[0], scatter, 5); }},
      {"select_members", {{{3, 4, 2}}}, [&](const Vs& v) { return select_members(v[0], member.data()); }},
      {"tile_rows", {{{2, 4}}}, [](const Vs& v) { return tile_rows(v[0], 3); }},
      {"broadcast_rows", {{{1, 4}}}, [](const Vs& v) { return broadcast_rows(v[0], 5); }},
      {"reshape", {{{3, 4}}}, [](const Vs& v) { return reshape(v[0], Shape{2, 6}); }},
      {"reshape then an op", {{{3, 4}}}, [](const Vs& v) { return scale(reshape(v[0], Shape{2, 6}), 1.5); }},
      {"sum", {{{2, 3, 4}}}, [](const Vs& v) { return sum(v[0]); }},
      {"mean", {{{3, 4}}}, [](const Vs& v) { return mean(v[0]); }},
      {"sum_rows", {{{2, 3, 4}}}, [](const Vs& v) { return sum_rows(v[0]); }},
      {"mean_rows", {{{3, 4}}}, [](const Vs& v) { return mean_rows(v[0]); }},
      {"sum_cols", {{{2, 3, 4}}}, [](const Vs& v) { return sum_cols(v[0]); }},
      {"mean_cols", {{{3, 4}}}, [](const Vs& v) { return mean_cols(v[0]); }},
  };
  for (const Case& c : cases) check_accumulates(c);
}

TEST_CASE("gradient accumulation: Gaussians") {
  std::vector<Case> cases{
      {"gaussian_sample",
       {{{4, 3}}, {{4, 3}, -2.0, 1.0}, {{4, 3}, -2.0, 2.0}},
       [](const Vs& v) { return gaussian_sample(v[0], v[1], v[2]); }},
      {"squashed_gaussian_sample",
       {{{4, 3}}, {{4, 3}, -2.0, 0.5}, {{4, 3}, -2.0, 2.0, false}},
       [](const Vs& v) { return squashed_gaussian_sample(v[0], v[1], v[2]); }},
      {"squashed_gaussian_sample rank 3",
       {{{3, 4, 2}}, {{3, 4, 2}, -2.0, 0.5}, {{3, 4, 2}, -2.0, 2.0, false}},
       [](const Vs& v) { return squashed_gaussian_sample(v[0], v[1], v[2]); }},
      {"squashed_gaussian_log_prob",
       {{{4, 3}, -2.0, 2.0}, {{4, 3}, -2.0, 0.5}, {{4, 3}, -2.0, 2.0, false}},
       [](const Vs& v) { return squashed_gaussian_log_prob(v[0], v[1], v[2]); }},
      {"squashed_gaussian_log_prob one row",
       {{{1, 5}, -2.0, 2.0}, {{1, 5}, -2.0, 0.5}, {{1, 5}, -2.0, 2.0, false}},
       [](const Vs& v) { return squashed_gaussian_log_prob(v[0], v[1], v[2]); }},
  };
  for (const Case& c : cases) check_accumulates(c);
}

TEST_CASE("gradient accumulation: an input used by several ops, and twice by one") {
  std::vector<Case> cases{
      {"mul(x, x)", {{{3, 4}}}, [](const Vs& v) { return mul(v[0], v[0]); }},
      {"add(x, x)", {{{3, 4}}}, [](const Vs& v) { return add(v[0], v[0]); }},
      {"sub(x, x) + x", {{{3, 4}}}, [](const Vs& v) { return add(sub(v[0], v[0]), v[0]); }},
      {"concat_cols(x, x)", {{{3, 2}}}, [](const Vs& v) { return concat_cols<double>({v[0], v[0]}); }},
      {"matmul(x, x)", {{{3, 3}}}, [](const Vs& v) { return matmul(v[0], v[0]); }},
      {"linear(x, W, b) + tanh(W) summed",
       {{{2, 3}}, {{3, 3}}, {{1, 3}}},
       [](const Vs& v) { return add(sum(linear(v[0], v[1], v[2], Unary::silu)), sum(maac::tanh(v[1]))); }},
  };
  for (const Case& c : cases) check_accumulates(c);
}
