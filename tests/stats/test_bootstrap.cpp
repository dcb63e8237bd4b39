// stats/bootstrap: the definitions against values worked by hand (as scipy.stats.trim_mean
// and numpy.percentile give them), and the bootstrap against distributions that can be
// enumerated. tests/python/test_aggregate_rliable.py compares with rliable itself.
#include "stats/bootstrap.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

using namespace maac::stats;

TEST_CASE("interquartile mean drops floor(n / 4) values from each end, no fractional weights") {
  // scipy.stats.trim_mean(x, 0.25) on these: sorted 1 3 7 10 100, drop one each end.
  CHECK(interquartile_mean(std::vector<double>{10, 1, 100, 3, 7}) == Approx((3.0 + 7 + 10) / 3).epsilon(1e-15));
  // n = 3: floor(0.75) = 0, the plain mean; n = 1: the value.
  CHECK(interquartile_mean(std::vector<double>{1, 2, 9}) == Approx(4.0).epsilon(1e-15));
  CHECK(interquartile_mean(std::vector<double>{-2.5}) == -2.5);
  // n = 20 (0..19 reversed): drop 5 each end, mean of 5..14 = 9.5.
  std::vector<double> twenty;
  for (int i = 19; i >= 0; --i) twenty.push_back(i);
  CHECK(interquartile_mean(twenty) == 9.5);
  // n = 15 (5 runs x 3 tasks): drop 3 each end, mean of the middle 9.
  std::vector<double> fifteen{15, 1, 14, 2, 13, 3, 12, 4, 11, 5, 10, 6, 9, 7, 8};
  CHECK(interquartile_mean(fifteen) == 8.0);
  // n = 6: floor(1.5) = 1 (a weighted 25 % trim would give 1/2 weight to the 2nd and 5th).
  CHECK(interquartile_mean(std::vector<double>{0, 10, 20, 30, 40, 1000}) == Approx(25.0).epsilon(1e-15));
}

TEST_CASE("percentile interpolates linearly between order statistics, as numpy") {
  const std::vector<double> x{4, 1, 3, 2};
  CHECK(percentile(x, 0) == 1);
  CHECK(percentile(x, 100) == 4);
  CHECK(percentile(x, 50) == 2.5);
  CHECK(percentile(x, 2.5) == Approx(1.075).epsilon(1e-14));   // index 3 * 0.025 = 0.075
  CHECK(percentile(x, 97.5) == Approx(3.925).epsilon(1e-14));  // index 2.925
  CHECK(percentile(std::vector<double>{7}, 30) == 7);
  CHECK_THROWS_AS(percentile(x, 101), std::invalid_argument);
  CHECK_THROWS_AS(percentile(std::vector<double>{}, 50), std::invalid_argument);
}

TEST_CASE("aggregate mean is the mean of task means and IQM pools runs x tasks") {
  // scores[run, task]: 3 runs x 2 tasks.
  ScoreMatrix s{3, 2, {1, 100, 2, 200, 6, 900}};
  CHECK(aggregate(s, Metric::mean) == Approx((3.0 + 400.0) / 2).epsilon(1e-15));
  // Pooled 1 2 6 100 200 900: drop one each end -> (2 + 6 + 100 + 200) / 4.
  CHECK(aggregate(s, Metric::iqm) == Approx(77.0).epsilon(1e-15));
}

TEST_CASE("the bootstrap resamples runs within each task, never across tasks") {
  // Task 0 always 0, task 1 always 1000: every stratified resample has mean 500 and IQM
  // 500; resampling the pooled 8 scores would spread both.
  ScoreMatrix s{4, 2, {0, 1000, 0, 1000, 0, 1000, 0, 1000}};
  const Metric metrics[] = {Metric::mean, Metric::iqm};
  const auto iv = stratified_bootstrap(s, metrics, {2000, 0.95, 3});
  for (const Interval& i : iv) {
    CHECK(i.point == 500);
    CHECK(i.lower == 500);
    CHECK(i.upper == 500);
  }
}

TEST_CASE("bootstrap percentiles of one task match the enumerated bootstrap distribution") {
  // 3 runs {1, 2, 7}: the 27 equally likely index triples give the exact distribution of
  // the resampled mean. At quantiles that fall well inside one atom of that distribution,
  // the percentile of 50,000 resamples is that atom's value.
  const std::vector<double> runs{1, 2, 7};
  std::map<double, int> counts;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 3; ++c) counts[(runs[a] + runs[b] + runs[c]) / 3.0] += 1;
  auto exact_quantile = [&](double q) {
    double cdf = 0;
    for (auto [value, count] : counts) {
      const double before = cdf;
      cdf += count / 27.0;
      if (cdf > q) {
        REQUIRE(q - before > 0.01);  // not near a step: Monte Carlo cannot cross it
        REQUIRE(cdf - q > 0.01);
        return value;
      }
    }
    return counts.rbegin()->first;
  };
  for (double confidence : {0.8, 0.6}) {
    const Interval iv = mean_interval(runs, {50000, confidence, 17});
    CHECK(iv.point == Approx(10.0 / 3).epsilon(1e-15));
    CHECK(iv.lower == Approx(exact_quantile((1 - confidence) / 2)).epsilon(1e-12));
    CHECK(iv.upper == Approx(exact_quantile((1 + confidence) / 2)).epsilon(1e-12));
  }
}

TEST_CASE("the bootstrap is a function of its seed and mean_interval is the one-task bootstrap") {
  // 12 irregular scores: the bootstrap distribution has too many atoms for two seeds to
  // land on the same percentiles (with 5 runs they often do).
  const std::vector<double> per_seed{812.5, 1430.25, 377.0, 2210.75, 990.5, 61.0,
                                     1702.125, 455.5, 1288.0, 3021.0, 733.25, 1999.5};
  const Interval a = mean_interval(per_seed, {3000, 0.95, 5});
  const Interval b = mean_interval(per_seed, {3000, 0.95, 5});
  const Interval c = mean_interval(per_seed, {3000, 0.95, 6});
  CHECK(a.lower == b.lower);
  CHECK(a.upper == b.upper);
  CHECK((a.lower != c.lower || a.upper != c.upper));
  CHECK(a.lower < a.point);
  CHECK(a.point < a.upper);
  const Metric mean_only[] = {Metric::mean};
  const Interval d = stratified_bootstrap(ScoreMatrix::one_task(per_seed), mean_only, {3000, 0.95, 5})[0];
  CHECK(d.lower == a.lower);
  CHECK(d.upper == a.upper);
}

TEST_CASE("bad scores and options are refused with the value named") {
  const Metric m[] = {Metric::mean};
  CHECK_THROWS_AS(stratified_bootstrap(ScoreMatrix{0, 1, {}}, m), std::invalid_argument);
  CHECK_THROWS_AS(stratified_bootstrap(ScoreMatrix{2, 2, {1, 2, 3}}, m), std::invalid_argument);
  CHECK_THROWS_WITH(stratified_bootstrap(ScoreMatrix{2, 1, {1, std::nan("")}}, m), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(mean_interval(std::vector<double>{1, 2}, {0, 0.95, 0}), Catch::Contains("reps 0"));
  CHECK_THROWS_WITH(mean_interval(std::vector<double>{1, 2}, {10, 1.0, 0}), Catch::Contains("confidence"));
  CHECK_THROWS_AS(interquartile_mean(std::vector<double>{}), std::invalid_argument);
}
