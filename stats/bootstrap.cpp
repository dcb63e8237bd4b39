#include "stats/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace maac::stats {
namespace {

void check_scores(const ScoreMatrix& s) {
  if (s.runs < 1 || s.tasks < 1)
    throw std::invalid_argument("score matrix of " + std::to_string(s.runs) + " runs x " + std::to_string(s.tasks) +
                                " tasks: expected at least one run and one task");
  if (static_cast<int64_t>(s.values.size()) != s.runs * s.tasks)
    throw std::invalid_argument("score matrix of " + std::to_string(s.runs) + " runs x " + std::to_string(s.tasks) +
                                " tasks holds " + std::to_string(s.values.size()) + " values");
  for (double v : s.values)
    if (!std::isfinite(v)) throw std::invalid_argument("score matrix holds a non-finite score: " + std::to_string(v));
}

// Mean of task means, in rliable's order (np.mean over runs, then over tasks).
double mean_of_task_means(const double* values, int64_t runs, int64_t tasks) {
  double total = 0;
  for (int64_t t = 0; t < tasks; ++t) {
    double task_sum = 0;
    for (int64_t r = 0; r < runs; ++r) task_sum += values[r * tasks + t];
    total += task_sum / static_cast<double>(runs);
  }
  return total / static_cast<double>(tasks);
}

// Sorts `values` in place and averages the middle, as scipy.stats.trim_mean(x, 0.25).
double trimmed_mean_in_place(std::vector<double>& values) {
  const auto n = static_cast<int64_t>(values.size());
  const int64_t cut = static_cast<int64_t>(0.25 * static_cast<double>(n));
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (int64_t i = cut; i < n - cut; ++i) sum += values[i];
  return sum / static_cast<double>(n - 2 * cut);
}

double metric_value(const std::vector<double>& values, int64_t runs, int64_t tasks, Metric metric,
                    std::vector<double>& scratch) {
  switch (metric) {
    case Metric::mean:
      return mean_of_task_means(values.data(), runs, tasks);
    case Metric::iqm:
      scratch.assign(values.begin(), values.end());
      return trimmed_mean_in_place(scratch);
  }
  throw std::invalid_argument("unknown metric " + std::to_string(static_cast<int>(metric)));
}

// Uniform integer in [0, n): rejection sampling, so the draw is the same on every
// standard library (std::uniform_int_distribution's algorithm is not specified).
int64_t uniform_index(std::mt19937_64& rng, int64_t n) {
  const uint64_t range = static_cast<uint64_t>(n);
  const uint64_t limit = std::mt19937_64::max() - std::mt19937_64::max() % range;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return static_cast<int64_t>(x % range);
}

}  // namespace

ScoreMatrix ScoreMatrix::one_task(std::span<const double> per_run) {
  return ScoreMatrix{static_cast<int64_t>(per_run.size()), 1, std::vector<double>(per_run.begin(), per_run.end())};
}

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::mean: return "mean";
    case Metric::iqm: return "iqm";
  }
  return "?";
}

double mean(std::span<const double> values) {
  if (values.empty()) throw std::invalid_argument("mean of no values");
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double interquartile_mean(std::span<const double> values) {
  if (values.empty()) throw std::invalid_argument("interquartile mean of no values");
  std::vector<double> copy(values.begin(), values.end());
  return trimmed_mean_in_place(copy);
}

double percentile(std::span<const double> values, double q) {
  if (values.empty()) throw std::invalid_argument("percentile of no values");
  if (!(q >= 0 && q <= 100)) throw std::invalid_argument("percentile " + std::to_string(q) + ": expected 0 <= q <= 100");
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const double h = static_cast<double>(sorted.size() - 1) * q / 100.0;
  const auto lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

double aggregate(const ScoreMatrix& scores, Metric metric) {
  check_scores(scores);
  std::vector<double> scratch;
  return metric_value(scores.values, scores.runs, scores.tasks, metric, scratch);
}

std::vector<Interval> stratified_bootstrap(const ScoreMatrix& scores, std::span<const Metric> metrics,
                                           const BootstrapOptions& options) {
  check_scores(scores);
  if (options.reps < 1)
    throw std::invalid_argument("bootstrap reps " + std::to_string(options.reps) + ": expected at least 1");
  if (!(options.confidence > 0 && options.confidence < 1))
    throw std::invalid_argument("confidence " + std::to_string(options.confidence) + ": expected 0 < confidence < 1");
  const int64_t runs = scores.runs, tasks = scores.tasks;
  std::mt19937_64 rng(options.seed);
  std::vector<double> resample(scores.values.size()), scratch;
  std::vector<std::vector<double>> replicates(metrics.size(), std::vector<double>(options.reps));
  for (int64_t rep = 0; rep < options.reps; ++rep) {
    // Runs are redrawn within each task (the stratum), never across tasks.
    for (int64_t r = 0; r < runs; ++r)
      for (int64_t t = 0; t < tasks; ++t) resample[r * tasks + t] = scores.at(uniform_index(rng, runs), t);
    for (size_t m = 0; m < metrics.size(); ++m)
      replicates[m][rep] = metric_value(resample, runs, tasks, metrics[m], scratch);
  }
  const double tail = 100.0 * (1.0 - options.confidence) / 2.0;
  std::vector<Interval> out;
  for (size_t m = 0; m < metrics.size(); ++m)
    out.push_back(Interval{aggregate(scores, metrics[m]), percentile(replicates[m], tail),
                           percentile(replicates[m], 100.0 - tail)});
  return out;
}

Interval mean_interval(std::span<const double> per_seed, const BootstrapOptions& options) {
  const Metric m[] = {Metric::mean};
  return stratified_bootstrap(ScoreMatrix::one_task(per_seed), m, options)[0];
}

}  // namespace maac::stats
