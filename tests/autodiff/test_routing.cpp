// Routed ensembles equal all-members-then-select, in values and gradients.
#include <catch2/catch.hpp>

#include "autodiff/modules/ensemble_mlp.hpp"

using namespace maac;

TEST_CASE("route_rows groups rows by member, stably") {
  MemberRouting r = route_rows({2, 0, 2, 1, 0}, 4);
  REQUIRE(r.offsets == std::vector<int32_t>{0, 2, 3, 5, 5});
  REQUIRE(r.order == std::vector<int32_t>{1, 4, 3, 0, 2});
}

TEST_CASE("routed mode gives the same values and gradients as all-members-then-select") {
  const int64_t M = 4, n = 37, in = 5, out = 3;
  Rng init(21);
  EnsembleMLP<double> ens("ens", M, {in, 16, 16, out}, Unary::silu, init);
  Rng rng(22);
  std::vector<double> x = rng.normal_vector<double>(n * in);
  std::vector<double> seed = rng.normal_vector<double>(n * out);
  std::vector<int32_t> member(n);
  for (auto& m : member) m = static_cast<int32_t>(rng.below(M));

  auto run = [&](bool routed) {
    Tape<double> tape;
    Var<double> xv = tape.input(Shape{n, in}, x.data());
    Var<double> y;
    if (routed) {
      y = ens.forward_routed(tape, xv, route_rows(member, M));
    } else {
      // The naive way: every member on every row, then pick row i from its member.
      Var<double> all = reshape(ens.forward_all(tape, xv), Shape{M * n, out});
      std::vector<int32_t> pick(n);
      for (int64_t i = 0; i < n; ++i) pick[i] = static_cast<int32_t>(member[i] * n + i);
      y = gather_rows(all, pick);
    }
    zero_grad(ens.parameters());
    tape.backward(y, seed.data());
    std::vector<double> result(y.value(), y.value() + y.numel());
    result.insert(result.end(), xv.grad(), xv.grad() + xv.numel());
    for (auto* p : ens.parameters()) result.insert(result.end(), p->grad().host().begin(), p->grad().host().end());
    return result;
  };
  std::vector<double> routed = run(true), selected = run(false);
  REQUIRE(routed.size() == selected.size());
  for (size_t i = 0; i < routed.size(); ++i) REQUIRE(routed[i] == Approx(selected[i]).margin(1e-12));
}
