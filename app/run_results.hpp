// What `maac aggregate` reads from a run directory: who the run is (keys of its
// config.toml) and one logged value per evaluation (a column of progress.csv).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace maac::app {

struct RunResults {
  std::string dir;
  std::string env;                        // env.name
  std::vector<std::string> group_values;  // the values of the grouping keys, in their order
  std::vector<int64_t> env_steps;         // increasing; rows whose value is not finite are left out
  std::vector<double> values;             // the column at those steps
};

// Reads dir/config.toml (through the trainer's schema, so a misspelt key is an error) and
// dir/progress.csv. A last line without its newline (a live run writing it) is ignored;
// any other malformed row is an error naming the file and line.
RunResults read_run_results(const std::string& dir, const std::vector<std::string>& group_keys,
                            const std::string& column);

}  // namespace maac::app
