#include "app/run_results.hpp"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <variant>

#include "config/config.hpp"
#include "rl/trainer_config.hpp"

namespace maac::app {
namespace {

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

std::string value_text(const config::ConfigValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::vector<double>>) {
          std::string s;
          for (double d : x) {
            if (!s.empty()) s += ' ';
            s += fmt::format("{:g}", d);
          }
          return s;
        } else return fmt::format("{}", x);
      },
      v);
}

}  // namespace

RunResults read_run_results(const std::string& dir, const std::vector<std::string>& group_keys,
                            const std::string& column) {
  namespace fs = std::filesystem;
  RunResults run;
  run.dir = dir;
  const std::string config_path = (fs::path(dir) / "config.toml").string();
  const std::string progress_path = (fs::path(dir) / "progress.csv").string();
  if (!fs::is_regular_file(config_path))
    throw std::runtime_error(fmt::format("run directory '{}' has no config.toml", dir));
  if (!fs::is_regular_file(progress_path))
    throw std::runtime_error(fmt::format("run directory '{}' has no progress.csv", dir));

  config::Config config(rl::trainer_schema());
  config.merge_toml_file(config_path);
  run.env = config.text("env.name");
  for (const std::string& key : group_keys) run.group_values.push_back(value_text(config.value(key)));

  std::ifstream in(progress_path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::stringstream lines_in(text);
  for (std::string line; std::getline(lines_in, line);) lines.push_back(line);
  if (!text.empty() && text.back() != '\n') lines.pop_back();  // a row still being written
  if (lines.empty()) throw std::runtime_error(fmt::format("'{}' has no header", progress_path));
  const std::vector<std::string> header = split_commas(lines[0]);
  auto column_index = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    throw std::runtime_error(fmt::format("'{}' has no column '{}' (columns: {})", progress_path, name, lines[0]));
  };
  const size_t steps_at = column_index("env_steps"), value_at = column_index(column);
  for (size_t l = 1; l < lines.size(); ++l) {
    const std::vector<std::string> fields = split_commas(lines[l]);
    auto bad = [&](const std::string& why) {
      return std::runtime_error(fmt::format("'{}' line {}: {}", progress_path, l + 1, why));
    };
    if (fields.size() != header.size())
      throw bad(fmt::format("{} fields, the header has {}", fields.size(), header.size()));
    size_t used = 0;
    int64_t steps = 0;
    double value = 0;
    try {
      steps = std::stoll(fields[steps_at], &used);
      if (used != fields[steps_at].size()) throw std::invalid_argument("trailing text");
      value = std::stod(fields[value_at], &used);
      if (used != fields[value_at].size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw bad(fmt::format("env_steps '{}' or {} '{}' is not a number", fields[steps_at], column, fields[value_at]));
    }
    if (!run.env_steps.empty() && steps <= run.env_steps.back())
      throw bad(fmt::format("env_steps {} does not increase (previous {})", steps, run.env_steps.back()));
    if (!std::isfinite(value)) continue;
    run.env_steps.push_back(steps);
    run.values.push_back(value);
  }
  return run;
}

}  // namespace maac::app
