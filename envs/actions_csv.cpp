#include "envs/actions_csv.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace maac::envs {
namespace {

std::string_view trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string_view::npos ? std::string_view{} : s.substr(a, b - a + 1);
}

// A field as an error message shows it: printable, and short even when the line is huge.
std::string shown(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size() && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>(field[i]);
    out += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  return field.size() > 40 ? out + "..." : out;
}

enum class FieldKind { number, not_a_number, out_of_range };

// from_chars takes no leading '+'; accept one before a digit or a point, as strtod does.
FieldKind parse_field(std::string_view field, double& v) {
  if (field.size() > 1 && field[0] == '+' && (std::isdigit(static_cast<unsigned char>(field[1])) || field[1] == '.'))
    field.remove_prefix(1);
  if (field.empty()) return FieldKind::not_a_number;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (end != field.data() + field.size()) return FieldKind::not_a_number;
  if (ec == std::errc::result_out_of_range) return FieldKind::out_of_range;
  return ec == std::errc() ? FieldKind::number : FieldKind::not_a_number;
}

}  // namespace

std::vector<std::vector<double>> parse_actions_csv(std::string_view text, int act_dim, const std::string& source) {
  if (act_dim < 1) throw std::invalid_argument(fmt::format("actions file '{}': action size {}, expected >= 1", source, act_dim));
  std::vector<std::vector<double>> rows;
  bool first_row = true;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;

    // Split and parse every field first: a header is a first row where no field is a number.
    std::vector<std::string_view> fields;
    for (size_t start = 0;;) {
      size_t comma = line.find(',', start);
      fields.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    std::vector<double> row(fields.size());
    std::vector<FieldKind> kinds(fields.size());
    bool any_number = false;
    for (size_t i = 0; i < fields.size(); ++i) {
      kinds[i] = parse_field(fields[i], row[i]);
      any_number = any_number || kinds[i] != FieldKind::not_a_number;
    }
    bool header = first_row && !any_number;
    first_row = false;
    if (header) continue;

    auto where = [&](size_t i) {
      return fmt::format("actions file '{}' line {} field {} '{}'", source, line_no, i + 1, shown(fields[i]));
    };
    for (size_t i = 0; i < fields.size(); ++i) {
      if (kinds[i] == FieldKind::not_a_number) throw std::invalid_argument(where(i) + ": expected a number");
      if (kinds[i] == FieldKind::out_of_range)
        throw std::invalid_argument(where(i) + ": out of the range of a double");
      // An action feeds the simulator: NaN or inf would poison the state, so it is refused here.
      if (!std::isfinite(row[i])) throw std::invalid_argument(where(i) + ": expected a finite number");
    }
    if (row.size() != static_cast<size_t>(act_dim))
      throw std::invalid_argument(fmt::format("actions file '{}' line {}: {} values, expected {} (the action size)",
                                              source, line_no, row.size(), act_dim));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw std::invalid_argument(fmt::format("actions file '{}' holds no actions", source));
  return rows;
}

std::vector<std::vector<double>> read_actions_csv(const std::string& path, int act_dim) {
  // A folder opens as a stream but reads as empty: name the real problem instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error(fmt::format("actions file '{}' is a folder, expected a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open actions file '{}': {}", path, std::strerror(errno)));
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw std::runtime_error(fmt::format("cannot read actions file '{}'", path));
  return parse_actions_csv(text, act_dim, path);
}

}  // namespace maac::envs
