// Aggregate scores across seeds and tasks with interval estimates, as the rliable package
// does (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice"):
// interquartile mean and mean, each with a stratified-bootstrap percentile interval.
// One score matrix holds one algorithm: scores[run, task]. A single task is the plain
// bootstrap across seeds.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace maac::stats {

// scores[run, task], row-major: values[run * tasks + task]. Every task has the same
// number of runs (rliable's matrix).
struct ScoreMatrix {
  int64_t runs = 0;
  int64_t tasks = 0;
  std::vector<double> values;  // [runs, tasks]
  double at(int64_t run, int64_t task) const { return values[run * tasks + task]; }
  // A matrix of one task: one score per run (seed).
  static ScoreMatrix one_task(std::span<const double> per_run);
};

// The aggregate a bootstrap computes on each resample.
enum class Metric {
  mean,  // mean over tasks of each task's mean over runs (rliable aggregate_mean)
  iqm,   // interquartile mean of all runs x tasks scores (rliable aggregate_iqm)
};
const char* metric_name(Metric m);

// Arithmetic mean; a non-empty span.
double mean(std::span<const double> values);
// 25 % trimmed mean as scipy.stats.trim_mean(values, 0.25): sort, drop
// floor(0.25 * n) values from each end (no fractional weights), average the rest.
double interquartile_mean(std::span<const double> values);
// The q-th percentile (0 <= q <= 100) with linear interpolation between order statistics,
// as numpy.percentile's default: index (n - 1) * q / 100 of the sorted values.
double percentile(std::span<const double> values, double q);

double aggregate(const ScoreMatrix& scores, Metric metric);

struct BootstrapOptions {
  int64_t reps = 50000;       // bootstrap resamples (rliable's default)
  double confidence = 0.95;   // two-sided interval coverage
  uint64_t seed = 0;          // the resampling is a function of the seed alone
};

// A point estimate (the metric on the scores themselves) and its percentile interval.
struct Interval {
  double point = 0;
  double lower = 0;
  double upper = 0;
};

// Stratified bootstrap: each resample draws, independently for every task, `runs` runs of
// that task uniformly with replacement, and computes each metric on the resampled
// matrix; the interval is the (1 - confidence) / 2 and (1 + confidence) / 2 percentiles
// of those values (rliable get_interval_estimates, method "percentile",
// task_bootstrap=False). All metrics share the same resamples. One Interval per metric,
// in the order given. Deterministic for a given seed (std::mt19937_64 and rejection
// sampling), but not numpy's stream: intervals agree with rliable's up to Monte Carlo error.
std::vector<Interval> stratified_bootstrap(const ScoreMatrix& scores, std::span<const Metric> metrics,
                                           const BootstrapOptions& options = {});

// The plain mean of one score per seed with its bootstrap interval across seeds (the
// stratified bootstrap of a single task).
Interval mean_interval(std::span<const double> per_seed, const BootstrapOptions& options = {});

}  // namespace maac::stats
