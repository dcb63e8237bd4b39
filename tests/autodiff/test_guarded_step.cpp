// GuardedStep decided on the host (the op-by-op updates of every device): the sequence
// zero -> backward -> clip -> finite check -> step, and that a non-finite loss or gradient
// changes nothing. CapturedGraph's fallback: work on a cpu tape (the default stream) runs
// op by op on every call, in every build. The device-decided step and a real capture are
// checked in tests/cuda (test_captured_step, test_captured_critic, test_captured_actor_update).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "autodiff/captured_graph.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/optim/guarded_step.hpp"

using namespace maac;

namespace {

// loss = sum(w * x) + c: the gradient of w is x, whatever w is.
Var<double> linear_loss(Tape<double>& tape, Parameter<double>& w, const std::vector<double>& x, double c) {
  tape.reset();
  return add_scalar(sum(mul(tape.param(w), tape.constant(Shape{1, 2}, x.data()))), c);
}

}  // namespace

TEST_CASE("a guarded step on the host clips, checks and steps, or changes nothing") {
  Parameter<double> w("w", {1, 2}), twin("w", {1, 2});
  w.value().host() = {1.0, -2.0};
  twin.value().host() = w.value().host();
  Adam<double> adam({&w}, AdamOptions{0.1}), reference({&twin}, AdamOptions{0.1});
  GuardedStep<double> step(adam, 2.5, GuardedStep<double>::Decide::on_host, "test");
  Tape<double> tape;

  // Gradient (3, 4): norm 5 is clipped to 2.5, then Adam steps; stale gradients are zeroed first.
  w.grad().host() = {100.0, 100.0};
  step.run(tape, linear_loss(tape, w, {3.0, 4.0}, 0.0));
  REQUIRE(step.stepped());
  REQUIRE(w.grad().host()[0] == Approx(3.0 * 2.5 / (5.0 + 1e-6)));
  REQUIRE(w.grad().host()[1] == Approx(4.0 * 2.5 / (5.0 + 1e-6)));
  twin.grad().host() = w.grad().host();
  reference.step();
  REQUIRE(w.value().host() == twin.value().host());
  REQUIRE(adam.steps() == 1);

  // A non-finite loss with finite gradients, then an infinite input (gradient and loss not
  // finite): no step at all.
  const std::vector<double> before = w.value().host();
  step.run(tape, linear_loss(tape, w, {1.0, 1.0}, std::numeric_limits<double>::quiet_NaN()));
  REQUIRE_FALSE(step.stepped());
  step.run(tape, linear_loss(tape, w, {1.0, std::numeric_limits<double>::infinity()}, 0.0));
  REQUIRE_FALSE(step.stepped());
  REQUIRE(w.value().host() == before);
  REQUIRE(adam.steps() == 1);
  REQUIRE(adam.first_moments()[0].host() == reference.first_moments()[0].host());
  REQUIRE(std::isinf(w.grad().host()[1]));  // a non-finite norm leaves the gradients unscaled

  // Under the limit (and without one) the gradients are not touched; stepping resumes.
  GuardedStep<double> unclipped(adam, 0.0, GuardedStep<double>::Decide::on_host, "test");
  unclipped.run(tape, linear_loss(tape, w, {30.0, 40.0}, 1.0));
  REQUIRE(unclipped.stepped());
  REQUIRE(w.grad().host() == std::vector<double>{30.0, 40.0});
  REQUIRE(adam.steps() == 2);
  REQUIRE(unclipped.device_flag() == nullptr);
}

TEST_CASE("a guarded step refuses a grad_clip that is negative or not finite") {
  Parameter<double> w("w", {1, 2});
  Adam<double> adam({&w}, AdamOptions{0.1});
  using Step = GuardedStep<double>;
  REQUIRE_THROWS_WITH(Step(adam, -1.0, Step::Decide::on_host, "who"), Catch::Contains("who: grad_clip -1"));
  REQUIRE_THROWS_AS(Step(adam, std::numeric_limits<double>::quiet_NaN(), Step::Decide::on_host, "who"),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(Step(adam, std::numeric_limits<double>::infinity(), Step::Decide::on_host, "who"),
                    std::invalid_argument);
}

TEST_CASE("a captured graph falls back to op by op for cpu work") {
  Tape<double> tape;  // cpu: the default stream
  int runs = 0;
  CapturedGraph graph("test");
  for (int i = 0; i < 2 * CapturedGraph::kWarmupRuns + 1; ++i) REQUIRE_FALSE(graph.run(tape.stream(), [&] { ++runs; }));
  graph.run_op_by_op([&] { ++runs; });
  REQUIRE(runs == 2 * CapturedGraph::kWarmupRuns + 2);
  REQUIRE(graph.runs() == runs);
  REQUIRE_FALSE(graph.captured());
  REQUIRE(graph.graph_nodes() == 0);
  graph.recapture();  // nothing to drop
  REQUIRE_FALSE(graph.run(tape.stream(), [&] { ++runs; }));
  CapturedGraph off("test", "", /*capture=*/false);
  REQUIRE_FALSE(off.capture_enabled());
  REQUIRE_FALSE(off.run(tape.stream(), [&] { ++runs; }));
  REQUIRE(off.runs() == 1);
  // The work's exceptions reach the caller; the failed run does not count.
  REQUIRE_THROWS_AS(graph.run(tape.stream(), [] { throw std::runtime_error("boom"); }), std::runtime_error);
  REQUIRE(graph.runs() == runs - 1);
}
