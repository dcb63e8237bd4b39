#include "autodiff/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autodiff/random.hpp"

namespace maac {
namespace {

// Runs fn on a fresh tape from the current input values.
Var<double> build(Tape<double>& tape, const GradcheckFn& fn, const std::vector<GradcheckInput>& inputs) {
  tape.reset();
  std::vector<Var<double>> vars;
  for (const GradcheckInput& in : inputs) {
    if (static_cast<int64_t>(in.value.size()) != in.shape.numel())
      throw std::invalid_argument("gradcheck: input '" + in.name + "' has " + std::to_string(in.value.size()) +
                                  " values for shape " + in.shape.str());
    vars.push_back(in.differentiable ? tape.input(in.shape, in.value.data()) : tape.constant(in.shape, in.value.data()));
  }
  return fn(tape, vars);
}

double weighted_sum(Var<double> out, const std::vector<double>& weights) {
  double s = 0.0;
  for (int64_t i = 0; i < out.numel(); ++i) s += out.value()[i] * weights[static_cast<size_t>(i)];
  return s;
}

}  // namespace

GradcheckReport gradcheck(const std::string& name, const GradcheckFn& fn, std::vector<GradcheckInput> inputs,
                          const ParameterList<double>& params, const GradcheckOptions& options) {
  GradcheckReport report;
  report.name = name;
  Tape<double> tape;

  // Analytic gradients of sum(out * R).
  Var<double> out = build(tape, fn, inputs);
  Rng rng(options.seed);
  std::vector<double> weights = rng.normal_vector<double>(out.numel());
  zero_grad(params);
  tape.backward(out, weights.data());
  std::vector<std::vector<double>> analytic;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Var<double> leaf = tape.var(static_cast<int>(i));
    analytic.emplace_back(inputs[i].differentiable ? std::vector<double>(leaf.grad(), leaf.grad() + leaf.numel())
                                                   : std::vector<double>());
  }
  for (Parameter<double>* p : params) analytic.push_back(p->grad().host());

  auto compare = [&](const std::string& where, int64_t j, double a, double& x) {
    double saved = x;
    x = saved + options.step;
    double plus = weighted_sum(build(tape, fn, inputs), weights);
    x = saved - options.step;
    double minus = weighted_sum(build(tape, fn, inputs), weights);
    x = saved;
    double numeric = (plus - minus) / (2.0 * options.step);
    double err = std::fabs(a - numeric);
    double excess = err / (options.atol + options.rtol * std::fabs(numeric));
    ++report.checked;
    if (!(excess <= 1.0)) ++report.failed;  // NaN fails too
    report.max_abs_error = std::max(report.max_abs_error, err);
    if (!(excess <= report.max_excess)) {
      report.max_excess = std::isnan(excess) ? INFINITY : excess;
      std::ostringstream s;
      s.precision(10);
      s << where << "[" << j << "]: analytic " << a << ", numeric " << numeric;
      report.worst = s.str();
    }
  };

  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].differentiable) continue;
    for (int64_t j = 0; j < inputs[i].shape.numel(); ++j)
      compare(inputs[i].name, j, analytic[i][static_cast<size_t>(j)], inputs[i].value[static_cast<size_t>(j)]);
  }
  for (size_t k = 0; k < params.size(); ++k) {
    std::vector<double>& value = params[k]->value().host();
    const std::vector<double>& a = analytic[inputs.size() + k];
    for (size_t j = 0; j < value.size(); ++j) compare(params[k]->name(), static_cast<int64_t>(j), a[j], value[j]);
  }
  return report;
}

}  // namespace maac
