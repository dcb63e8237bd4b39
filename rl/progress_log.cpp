#include "rl/progress_log.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace maac::rl {

ProgressLog::ProgressLog(const std::string& path, const std::vector<std::string>& columns, int64_t keep_rows)
    : path_(path), columns_(columns) {
  std::string header;
  for (size_t i = 0; i < columns.size(); ++i) header += (i ? "," : "") + columns[i];
  std::vector<std::string>& kept = kept_;
  if (keep_rows > 0) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line))
      throw std::runtime_error("progress log '" + path + "' is missing or empty; the checkpoint expects " +
                               std::to_string(keep_rows) + " rows in it");
    if (line != header)
      throw std::runtime_error("progress log '" + path + "' has columns '" + line + "', expected '" + header + "'");
    // A row is whole when it has every column; a killed writer can leave half of one.
    while (static_cast<int64_t>(kept.size()) < keep_rows && std::getline(in, line) && !in.eof()) {
      const size_t commas = static_cast<size_t>(std::count(line.begin(), line.end(), ','));
      if (commas + 1 != columns.size())
        throw std::runtime_error("progress log '" + path + "' row " + std::to_string(kept.size() + 1) + " has " +
                                 std::to_string(commas + 1) + " fields, expected " + std::to_string(columns.size()));
      kept.push_back(line);
    }
    if (static_cast<int64_t>(kept.size()) < keep_rows)
      throw std::runtime_error("progress log '" + path + "' holds " + std::to_string(kept.size()) +
                               " whole rows, but the checkpoint wrote " + std::to_string(keep_rows));
  }
  // Rewritten through a temp file and a rename: a kill here loses no row.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << header << "\n";
    for (const std::string& l : kept) out << l << "\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write progress log '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + tmp + "' onto '" + path + "'");
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error("cannot write progress log '" + path + "'");
}

std::string ProgressLog::cell(double value) {
  if (!std::isfinite(value)) return "nan";
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

void ProgressLog::write(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::invalid_argument("ProgressLog::write: " + std::to_string(values.size()) + " values for " +
                                std::to_string(columns_.size()) + " columns");
  std::string row;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row += ',';
    row += cell(values[i]);
  }
  out_ << row << "\n";
  out_.flush();
}

TerminalProgress::TerminalProgress(int64_t total_steps) : total_(total_steps), tty_(::isatty(STDOUT_FILENO) != 0) {}

void TerminalProgress::update(int64_t steps, int64_t updates, double elapsed, double last_eval, bool force) {
  // A terminal gets a live line a few times a second; a log file a line every 30 s.
  double period = tty_ ? 0.25 : 30.0;
  if (!force && elapsed - last_print_ < period) return;
  last_print_ = elapsed;
  double rate = elapsed > 0 ? steps / elapsed : 0.0;
  double eta = rate > 0 ? (total_ - steps) / rate : 0.0;
  std::string eval = std::isfinite(last_eval) ? fmt::format("{:.1f}", last_eval) : "-";
  // The ETA extrapolates the average rate so far: rough while an iteration's updates run.
  std::string line = fmt::format("steps {}/{} | updates {} | {:.1f} steps/s | ETA {}m{:02d}s | last eval {}", steps,
                                 total_, updates, rate, static_cast<int64_t>(eta) / 60, static_cast<int>(eta) % 60, eval);
  if (tty_) fmt::print("\r{:<96}", line);
  else fmt::print("{}\n", line);
  std::fflush(stdout);
}

void TerminalProgress::finish() {
  if (tty_) fmt::print("\n");
}

}  // namespace maac::rl
