// Aggregating run directories, as `maac aggregate` does: shared with the commands that
// run an experiment and report it (maac experiment ablations), so there is one statistic.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "stats/bootstrap.hpp"

namespace maac::app {

struct AggregateArgs {
  std::vector<std::string> dirs;
  std::vector<int64_t> at;
  int64_t last = 0;
  std::string out;
  std::string column = "eval_return";
  std::vector<std::string> by{"algo"};
  bool across_envs = false;
  std::string plot_metric = "iqm";
  int64_t reps = 50000;
  double confidence = 0.95;
  uint64_t seed = 0;
  std::string label_prefix;  // before each group's label ("H=" makes "H=4"); the CLI leaves it empty
  std::string plot_title;    // before the env in each PNG's title; the CLI leaves it empty
};

// One table entry: a group (its --by values) on an env, at env steps or "last<K>".
struct AggregateEntry {
  std::string label, env, at;
  int64_t runs = 0;  // runs x tasks
  stats::Interval mean, iqm;
};

// Reads the runs, prints each group and the table, writes curves.csv, table.csv and one
// PNG per env under args.out (when set); returns the table.
std::vector<AggregateEntry> run_aggregate(const AggregateArgs& args);

}  // namespace maac::app
