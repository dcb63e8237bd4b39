// `maac gradcheck`: a self-check of the engine a user can run anywhere. Checks the
// main building blocks in float64 against central differences and prints a report.
#include <fmt/core.h>

#include <chrono>
#include <stdexcept>

#include "app/commands.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/modules/ensemble_mlp.hpp"
#include "autodiff/modules/mlp.hpp"

namespace maac::app {
namespace {

GradcheckInput random_input(const std::string& name, Shape shape, Rng& rng, bool differentiable = true) {
  GradcheckInput in{name, shape, rng.uniform_vector<double>(shape.numel(), -1.0, 1.0), differentiable};
  return in;
}

int run_gradcheck(uint64_t seed) {
  using Vs = std::vector<Var<double>>;
  Rng rng(seed);
  MLP<double> mlp("mlp", {4, 16, 16, 3}, Unary::silu, rng);
  EnsembleMLP<double> ens("ensemble", 5, {4, 12, 12, 3}, Unary::silu, rng);
  MLP<double> policy("policy", {4, 16, 4}, Unary::relu, rng);
  std::vector<int32_t> members;
  for (int i = 0; i < 9; ++i) members.push_back(static_cast<int32_t>(rng.below(5)));
  MemberRouting routing = route_rows(members, 5);

  struct Case { std::string name; GradcheckFn fn; std::vector<GradcheckInput> inputs; ParameterList<double> params; };
  std::vector<Case> cases = {
      {"MLP (silu)", [&](Tape<double>& t, const Vs& v) { return mlp.forward(t, v[0]); },
       {random_input("x", {6, 4}, rng)}, mlp.parameters()},
      {"EnsembleMLP, all members", [&](Tape<double>& t, const Vs& v) { return ens.forward_all(t, v[0]); },
       {random_input("x", {5, 6, 4}, rng)}, ens.parameters()},
      {"EnsembleMLP, routed", [&](Tape<double>& t, const Vs& v) { return ens.forward_routed(t, v[0], routing); },
       {random_input("x", {9, 4}, rng)}, ens.parameters()},
      {"soft-clamped Gaussian sample",
       [&](Tape<double>&, const Vs& v) { return gaussian_sample(v[0], soft_clamp(v[1], v[2], v[3]), v[4]); },
       {random_input("mu", {6, 3}, rng), random_input("log_std", {6, 3}, rng), random_input("lo", {1, 3}, rng),
        random_input("hi", {1, 3}, rng), random_input("eps", {6, 3}, rng, false)},
       {}},
      {"squashed Gaussian policy",
       [&](Tape<double>& t, const Vs& v) {
         Var<double> out = policy.forward(t, v[0]);
         Var<double> mu = slice_cols(out, 0, 2), log_std = slice_cols(out, 2, 2);
         return concat_cols<double>({squashed_gaussian_sample(mu, log_std, v[1]),
                                     squashed_gaussian_log_prob(mu, log_std, v[1])});
       },
       {random_input("s", {6, 4}, rng), random_input("eps", {6, 2}, rng, false)}, policy.parameters()},
  };

  fmt::print("maac gradient check (float64, central differences, step 1e-6, "
             "pass: |analytic - numeric| <= 1e-5 + 1e-3 |numeric|)\n\n");
  fmt::print("{:<32} {:>8} {:>14} {:>10} {:>9}\n", "case", "entries", "max |error|", "time (ms)", "result");
  int failed = 0;
  for (Case& c : cases) {
    auto start = std::chrono::steady_clock::now();
    GradcheckReport r = gradcheck(c.name, c.fn, c.inputs, c.params);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{:<32} {:>8} {:>14.3e} {:>10.1f} {:>9}\n", c.name, r.checked, r.max_abs_error, ms,
               r.passed() ? "pass" : "FAIL");
    if (!r.passed()) {
      fmt::print("    worst: {}\n", r.worst);
      ++failed;
    }
  }
  fmt::print("\n{} of {} cases passed\n", cases.size() - failed, cases.size());
  return failed == 0 ? 0 : 1;
}

}  // namespace

void add_gradcheck_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand("gradcheck", "Check the engine's gradients against finite differences");
  auto seed = std::make_shared<uint64_t>(1);
  cmd->add_option("--seed", *seed, "Seed for weights and inputs")->capture_default_str();
  cmd->callback([seed] {
    if (int rc = run_gradcheck(*seed); rc != 0) throw std::runtime_error("gradient check failed");
  });
}

}  // namespace maac::app
