// Composite gradient checks: modules and a policy's squashed-Gaussian log-prob.
#include "autodiff/modules/ensemble_mlp.hpp"
#include "autodiff/modules/mlp.hpp"
#include "tests/autodiff/gradcheck_helpers.hpp"

using namespace maac;
using maac::test::constant_input;
using maac::test::random_input;
using maac::test::require_passes;
using Vs = std::vector<Var<double>>;

TEST_CASE("MLP") {
  Rng rng(11);
  MLP<double> mlp("mlp", {3, 8, 8, 2}, Unary::tanh, rng);
  require_passes(gradcheck("MLP tanh", [&](Tape<double>& t, const Vs& v) { return mlp.forward(t, v[0]); },
                           {random_input("x", {5, 3})}, mlp.parameters()));
  MLP<double> silu_mlp("silu", {3, 6, 2}, Unary::silu, rng, Unary::tanh);
  require_passes(gradcheck("MLP silu, tanh output", [&](Tape<double>& t, const Vs& v) { return silu_mlp.forward(t, v[0]); },
                           {random_input("x", {4, 3})}, silu_mlp.parameters()));
}

TEST_CASE("MLP on two column blocks (forward_concat)") {
  Rng rng(12);
  MLP<double> mlp("mlp", {5, 8, 8, 1}, Unary::tanh, rng);
  // Three blocks of x2 rows read the same x1 rows (a critic on K actions per state).
  require_passes(gradcheck("MLP forward_concat",
                           [&](Tape<double>& t, const Vs& v) { return mlp.forward_concat(t, v[0], v[1]); },
                           {random_input("x1", {4, 3}), random_input("x2", {12, 2})}, mlp.parameters()));
  // One layer: the output activation is the first layer's.
  MLP<double> one("one", {3, 2}, Unary::relu, rng, Unary::tanh);
  require_passes(gradcheck("MLP forward_concat, one layer",
                           [&](Tape<double>& t, const Vs& v) { return one.forward_concat(t, v[0], v[1]); },
                           {random_input("x1", {2, 1}), random_input("x2", {2, 2})}, one.parameters()));
}

TEST_CASE("EnsembleMLP all members") {
  Rng rng(12);
  EnsembleMLP<double> ens("ens", 3, {4, 6, 6, 2}, Unary::silu, rng);
  require_passes(gradcheck("EnsembleMLP per-member rows",
                           [&](Tape<double>& t, const Vs& v) { return ens.forward_all(t, v[0]); },
                           {random_input("x", {3, 5, 4})}, ens.parameters()));
  require_passes(gradcheck("EnsembleMLP shared rows", [&](Tape<double>& t, const Vs& v) { return ens.forward_all(t, v[0]); },
                           {random_input("x", {5, 4})}, ens.parameters()));
}

TEST_CASE("EnsembleMLP routed") {
  Rng rng(13);
  EnsembleMLP<double> ens("ens", 3, {4, 6, 6, 2}, Unary::silu, rng);
  MemberRouting routing = route_rows({2, 0, 2, 1, 0, 2, 2}, 3);
  require_passes(gradcheck("EnsembleMLP routed",
                           [&](Tape<double>& t, const Vs& v) { return ens.forward_routed(t, v[0], routing); },
                           {random_input("x", {7, 4})}, ens.parameters()));
}

TEST_CASE("squashed Gaussian policy log-prob") {
  // A SAC-style policy head: MLP -> (mu, soft-clamped log_std) -> tanh sample, log-prob.
  Rng rng(14);
  MLP<double> policy("policy", {3, 8, 4}, Unary::relu, rng);
  auto f = [&](Tape<double>& t, const Vs& v) {
    Var<double> out = policy.forward(t, v[0]);
    Var<double> mu = slice_cols(out, 0, 2);
    Var<double> log_std = clamp(slice_cols(out, 2, 2), -20.0, 2.0);
    Var<double> a = squashed_gaussian_sample(mu, log_std, v[1]);
    Var<double> logp = squashed_gaussian_log_prob(mu, log_std, v[1]);
    return concat_cols<double>({a, logp});
  };
  require_passes(gradcheck("policy log-prob", f,
                           {random_input("s", {6, 3}), constant_input(random_input("eps", {6, 2}, -2, 2))},
                           policy.parameters()));
}
