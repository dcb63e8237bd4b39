// progress.csv: one row per evaluation / log point, with fixed columns. A resumed run
// keeps exactly the rows its checkpoint had written (a killed process may have written
// more, or half a row), so the file continues as an uninterrupted run's would.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace maac::rl {

class ProgressLog {
 public:
  // Opens path. keep_rows == 0 starts a new file with the header; otherwise the file's
  // first keep_rows data rows are kept (the rest dropped), the file is rewritten
  // atomically, and new rows follow them. A header other than `columns`, or fewer
  // whole rows than keep_rows, is an error naming the file.
  ProgressLog(const std::string& path, const std::vector<std::string>& columns, int64_t keep_rows);
  // One row, in column order; non-finite values are written as "nan".
  void write(const std::vector<double>& values);
  const std::vector<std::string>& columns() const { return columns_; }
  // The data rows kept from an earlier process (empty for a new file), as written.
  const std::vector<std::string>& kept_rows() const { return kept_; }
  // A value as a cell: 10 significant digits, "nan" when not finite.
  static std::string cell(double value);

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::vector<std::string> kept_;
  std::ofstream out_;
};

// A live one-line status on a terminal (\r-updated); plain lines when not a terminal.
class TerminalProgress {
 public:
  explicit TerminalProgress(int64_t total_steps);
  void update(int64_t steps, int64_t updates, double elapsed_seconds, double last_eval_return, bool force = false);
  void finish();

 private:
  int64_t total_;
  bool tty_;
  double last_print_ = -1e9;
};

}  // namespace maac::rl
