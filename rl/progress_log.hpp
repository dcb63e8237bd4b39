// progress.csv: one row per evaluation / log point, with fixed columns. On resume the
// rows after the checkpoint are dropped, so the file continues exactly as an
// uninterrupted run's would.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace maac::rl {

class ProgressLog {
 public:
  // Opens path; when resuming, keeps only the rows whose first column (env steps) is
  // <= keep_through_step, otherwise starts a new file with the header.
  ProgressLog(const std::string& path, const std::vector<std::string>& columns, bool resume, int64_t keep_through_step);
  // One row, in column order; non-finite values are written as "nan".
  void write(const std::vector<double>& values);
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
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
