// Reading a run directory's outputs back in tests.
#pragma once
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace maac::test {

// A run's CSV log (progress.csv by default) without the columns that measure this
// machine's clock or memory (named by the header), each row's remaining cells joined.
inline std::vector<std::string> deterministic_rows(const std::filesystem::path& dir,
                                                   const std::string& file = "progress.csv") {
  const std::set<std::string> clock_columns{"wall_time", "updates_per_sec", "rss_mb"};
  std::ifstream in(dir / file);
  std::vector<std::string> rows;
  std::vector<bool> keep;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string cell, kept;
    for (size_t col = 0; std::getline(s, cell, ','); ++col) {
      if (rows.empty()) keep.push_back(clock_columns.count(cell) == 0);  // the header names the columns
      if (col < keep.size() && keep[col]) kept += cell + ",";
    }
    rows.push_back(kept);
  }
  return rows;
}

}  // namespace maac::test
