#include "config/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <toml++/toml.h>

namespace maac::config {
namespace {

std::string format_number(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string describe(const ConfigValue& v) {
  switch (v.index()) {
    case 0: return "an integer";
    case 1: return "a number";
    case 2: return "true or false";
    case 3: return "a string";
    default: return "a list of numbers";
  }
}

// Edit distance, to suggest the key the user probably meant.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string type_of(const toml::node& n) {
  std::ostringstream s;
  s << n.type();
  return (n.is_integer() || n.is_array() ? "an " : "a ") + s.str();
}

// A TOML basic string: quoted, with quotes, backslashes and control characters escaped, so
// that any text value round-trips (UTF-8 passes through: toml++ has validated it).
std::string toml_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A value as the resolved TOML writes it.
std::string toml_value(const ConfigValue& v) {
  std::ostringstream out;
  if (auto* i = std::get_if<int64_t>(&v)) out << *i;
  else if (auto* d = std::get_if<double>(&v)) {
    std::string s = format_number(*d);
    out << s << (s.find_first_of(".en") == std::string::npos ? ".0" : "");
  } else if (auto* b = std::get_if<bool>(&v)) out << (*b ? "true" : "false");
  else if (auto* s = std::get_if<std::string>(&v)) out << toml_quoted(*s);
  else {
    out << "[";
    const auto& l = std::get<std::vector<double>>(v);
    for (size_t k = 0; k < l.size(); ++k) out << (k ? ", " : "") << format_number(l[k]);
    out << "]";
  }
  return out.str();
}

// A number for people: the shortest text that reads back the same (fixed up to 8 characters,
// else scientific without exponent padding: 1e-8, 1e30), 2^k for large powers of two.
std::string readable_number(double v) {
  int exponent = 0;
  if (v >= 1 << 20 && std::frexp(v, &exponent) == 0.5) return "2^" + std::to_string(exponent - 1);
  char buf[400];
  auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (fixed.ec == std::errc() && fixed.ptr - buf <= 8) return std::string(buf, fixed.ptr);
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string out(buf, sci.ec == std::errc() ? sci.ptr : buf);
  if (size_t e = out.find('e'); e != std::string::npos) {
    size_t digits = e + 1 + (out[e + 1] == '-' || out[e + 1] == '+');
    while (digits + 1 < out.size() && out[digits] == '0') out.erase(digits, 1);
    if (out[e + 1] == '+') out.erase(e + 1, 1);
  }
  return out;
}

// A value for people: numbers as readable_number writes them, the rest as in TOML.
std::string readable_value(const ConfigValue& v) {
  if (auto* d = std::get_if<double>(&v)) return readable_number(*d);
  if (auto* l = std::get_if<std::vector<double>>(&v)) {
    std::string out = "[";
    for (size_t k = 0; k < l->size(); ++k) out += (k ? ", " : "") + readable_number((*l)[k]);
    return out + "]";
  }
  return toml_value(v);
}

// Text from the input as an error message shows it: printable and at most 80 characters.
std::string shown(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < 80; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out.size() < text.size() ? out + "..." : out;
}

// Line `line` (from 1) of the text, without its newline; empty past the end.
std::string_view line_of(std::string_view text, size_t line) {
  size_t start = 0;
  for (size_t l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  return text.substr(start, text.find('\n', start) - start);  // substr clamps npos - start
}

// Debian 12's toml++ (3.3) has two defects that input reaches; this scan refuses such input
// before toml++ sees it, naming the line. (1) It builds a dotted key one table per part,
// recursively: a key some 60,000 parts deep overflows the stack (fewer under ASan). A key
// or table header lies on one line outside strings, so the dots there are bounded.
// (2) Its whitespace test reaches __builtin_unreachable on many non-ASCII characters
// (marzer/tomlplusplus#190, #295). It tests them outside strings and comments, where TOML
// allows only ASCII anyway, and after a backslash in a basic string, where an escape is
// ASCII and a line-ending backslash must be followed by ASCII text here.
void check_before_parse(std::string_view text, const std::string& source) {
  constexpr int max_dots = 256;
  int dots = 0;
  size_t line = 1;
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("cannot parse config " + source + ":" + std::to_string(line) + ": " + why);
  };
  auto ascii = [](char c) { return static_cast<unsigned char>(c) < 0x80; };
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      dots = 0;
    } else if (c == '#') {  // a comment: up to the end of the line
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {  // a string, single- or multi-line, up to its closing quotes
      const size_t quotes = text.substr(i, 3) == std::string(3, c) ? 3 : 1;
      size_t j = i + quotes;
      while (j < text.size()) {
        if (text[j] == c) {  // closing quotes; a multi-line string may end in up to 2 more as content
          size_t run = 1;
          while (j + run < text.size() && text[j + run] == c) ++run;
          if (run >= quotes) {
            j += quotes == 1 ? 1 : std::min<size_t>(run, 5);
            break;
          }
          j += run;
          continue;
        }
        if (text[j] == '\n' && quotes == 1) break;  // unterminated: toml++ reports it
        if (text[j] == '\n') ++line;
        if (c == '"' && text[j] == '\\') {  // an escape, or in a multi-line string a line-ending backslash
          size_t k = j + 1;
          if (quotes == 3)
            while (k < text.size() && space(text[k])) line += text[k++] == '\n';
          if (k < text.size() && !ascii(text[k]))
            fail("a non-ASCII character after a backslash in a string, expected an ASCII escape (or ASCII text "
                 "after a line-ending backslash)");
          j = k == j + 1 && k < text.size() && text[k] != '\n' ? k + 1 : k;  // past the escaped character
          continue;
        }
        ++j;
      }
      i = std::min(j, text.size()) - 1;
    } else if (!ascii(c)) {
      fail("a non-ASCII character outside a string or comment, expected ASCII (TOML allows no other)");
    } else if (c == '.' && ++dots > max_dots) {
      fail("more than " + std::to_string(max_dots) + " dots outside strings on one line, expected keys nested at " +
           "most that deep (and no list that long)");
    }
  }
}

// Converts a TOML node to the entry's type, or explains why it cannot.
ConfigValue convert(const ConfigEntry& e, const toml::node& n, const std::string& where) {
  auto fail = [&](const std::string& got) {
    return std::invalid_argument(where + ": config key '" + e.key + "' expects " + describe(e.fallback) + ", got " + got);
  };
  switch (e.fallback.index()) {
    case 0:
      if (auto v = n.value_exact<int64_t>()) return *v;
      throw fail(n.is_floating_point() ? "a fractional number" : type_of(n));
    case 1:
      if (auto v = n.value<double>()) return *v;
      throw fail(type_of(n));
    case 2:
      if (auto v = n.value_exact<bool>()) return *v;
      throw fail(type_of(n));
    case 3:
      if (auto v = n.value_exact<std::string>()) return *v;
      throw fail(type_of(n));
    default: {
      const toml::array* a = n.as_array();
      if (!a) throw fail(type_of(n));
      std::vector<double> out;
      for (const toml::node& x : *a) {
        auto v = x.value<double>();
        std::string at = " at position " + std::to_string(out.size() + 1);
        if (!v) throw fail("a list with " + type_of(x) + at);
        if (!std::isfinite(*v)) throw fail("a list with " + format_number(*v) + at + " (every number must be finite)");
        out.push_back(*v);
      }
      return out;
    }
  }
}

// Flattens nested TOML tables into dotted keys.
void flatten(const toml::table& t, const std::string& prefix, std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [k, v] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = v.as_table()) flatten(*sub, key, out);
    else out.emplace_back(key, &v);
  }
}

}  // namespace

ConfigSchema& ConfigSchema::add(ConfigEntry e) {
  if (find(e.key)) throw std::logic_error("ConfigSchema: key '" + e.key + "' declared twice");
  entries_.push_back(std::move(e));
  return *this;
}
ConfigSchema& ConfigSchema::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max, const std::string& doc) {
  return add({key, fallback, static_cast<double>(min), static_cast<double>(max), {}, doc});
}
ConfigSchema& ConfigSchema::real(const std::string& key, double fallback, double min, double max, const std::string& doc) {
  return add({key, fallback, min, max, {}, doc});
}
ConfigSchema& ConfigSchema::boolean(const std::string& key, bool fallback, const std::string& doc) {
  return add({key, fallback, 0, 0, {}, doc});
}
ConfigSchema& ConfigSchema::choice(const std::string& key, const std::string& fallback, std::vector<std::string> choices,
                                   const std::string& doc) {
  return add({key, fallback, 0, 0, std::move(choices), doc});
}
ConfigSchema& ConfigSchema::text(const std::string& key, const std::string& fallback, const std::string& doc) {
  return add({key, fallback, 0, 0, {}, doc});
}
ConfigSchema& ConfigSchema::reals(const std::string& key, std::vector<double> fallback, int64_t count, const std::string& doc) {
  list_sizes_[key] = count;
  return add({key, std::move(fallback), -1e300, 1e300, {}, doc});
}
const ConfigEntry* ConfigSchema::find(const std::string& key) const {
  for (const ConfigEntry& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

Config::Config(const ConfigSchema& schema) : schema_(&schema) {
  for (const ConfigEntry& e : schema.entries()) values_[e.key] = e.fallback;
}

void Config::assign(const std::string& key, const ConfigValue& value, const std::string& source) {
  const ConfigEntry* e = schema_->find(key);
  if (!e) {
    std::string best;
    size_t best_d = 4;
    // Keys whose lengths differ by best_d or more cannot be closer: skip them (a key may be huge).
    for (const ConfigEntry& c : schema_->entries()) {
      if (std::max(key.size(), c.key.size()) - std::min(key.size(), c.key.size()) >= best_d) continue;
      if (size_t d = distance(key, c.key); d < best_d) { best_d = d; best = c.key; }
    }
    throw std::invalid_argument(source + ": unknown config key '" + shown(key) + "'" +
                                (best.empty() ? "" : " (did you mean '" + best + "'?)"));
  }
  auto range_error = [&](const std::string& value_text) {
    return std::invalid_argument(source + ": config key '" + key + "' = " + value_text + ": expected " + format_number(e->min) +
                                 " <= value <= " + format_number(e->max));
  };
  if (auto* i = std::get_if<int64_t>(&value)) {
    if (*i < e->min || *i > e->max) throw range_error(std::to_string(*i));
  } else if (auto* d = std::get_if<double>(&value)) {
    if (!std::isfinite(*d) || *d < e->min || *d > e->max) throw range_error(format_number(*d));
  } else if (auto* s = std::get_if<std::string>(&value); s && !e->choices.empty()) {
    bool ok = false;
    std::string list;
    for (const std::string& c : e->choices) { ok = ok || c == *s; list += (list.empty() ? "" : ", ") + c; }
    if (!ok) throw std::invalid_argument(source + ": config key '" + key + "' = '" + shown(*s) + "': expected one of " + list);
  } else if (auto* l = std::get_if<std::vector<double>>(&value)) {
    int64_t want = schema_->list_sizes_.at(key);
    if (static_cast<int64_t>(l->size()) != want)
      throw std::invalid_argument(source + ": config key '" + key + "' has " + std::to_string(l->size()) +
                                  " numbers, expected " + std::to_string(want));
  }
  values_[key] = value;
}

namespace {

toml::table parse_config(const std::string& text, const std::string& source) {
  check_before_parse(text, source);
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& err) {
    // The offending line is quoted: it names the key when the value is the problem.
    size_t line = err.source().begin.line;
    std::ostringstream s;
    s << source << ":" << line << ":" << err.source().begin.column << ": " << err.description() << " (in '"
      << shown(line_of(text, line)) << "')";
    throw std::invalid_argument("cannot parse config " + s.str());
  }
}

std::string read_config_file(const std::string& path) {
  // A folder opens as a stream but reads as empty: name the real problem instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::invalid_argument("config file '" + path + "' is a folder, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot open config file '" + path + "'");
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw std::invalid_argument("cannot read config file '" + path + "'");
  return text;
}

}  // namespace

// Layers parsed TOML onto a Config; a friend, so that config.hpp needs no toml++ type.
struct TomlLayer {
  // Every key but a file's 'extends', in the document's order.
  static void merge_keys(Config& config, const toml::table& table, const std::string& source) {
    std::vector<std::pair<std::string, const toml::node*>> items;
    flatten(table, "", items);
    for (const auto& [key, node] : items) {
      if (key == "extends") continue;  // a file's base, layered by merge_file
      const ConfigEntry* e = config.schema_->find(key);
      if (!e) config.assign(key, ConfigValue{}, source);  // throws: unknown key, with a suggestion
      config.assign(key, convert(*e, *node, source), source);
    }
  }

  // A file, after its base: `extends = "other.toml"` (relative to the file that says it).
  // `chain` holds the files already on the way here, to refuse a loop; deeper than
  // kMaxDepth is a mistake, not a design.
  static constexpr size_t kMaxDepth = 8;
  static void merge_file(Config& config, const std::string& path, std::vector<std::string>& chain) {
    const toml::table table = parse_config(read_config_file(path), path);
    if (const toml::node* base = table.get("extends")) {
      const auto* name = base->as_string();
      if (!name || name->get().empty())
        throw std::invalid_argument(path + ": 'extends' expects the path of a base config file (a string)");
      const std::filesystem::path base_path = std::filesystem::path(path).parent_path() / name->get();
      chain.push_back(std::filesystem::absolute(path).lexically_normal().string());
      if (std::find(chain.begin(), chain.end(), std::filesystem::absolute(base_path).lexically_normal().string()) !=
          chain.end())
        throw std::invalid_argument(path + ": 'extends' = '" + shown(name->get()) +
                                    "' leads back to a file already in the chain");
      if (chain.size() >= kMaxDepth)
        throw std::invalid_argument(path + ": more than " + std::to_string(kMaxDepth) + " files extend one another");
      try {
        merge_file(config, base_path.lexically_normal().string(), chain);
      } catch (const std::invalid_argument& err) {
        throw std::invalid_argument(std::string(err.what()) + " (the base of " + path + ")");
      }
    }
    merge_keys(config, table, path);
  }
};

void Config::merge_toml(const std::string& text, const std::string& source) {
  const toml::table table = parse_config(text, source);
  if (table.contains("extends"))
    throw std::invalid_argument(source + ": 'extends' names a base file, allowed only at the top of a config file");
  // All or nothing: a text with one bad key changes no value.
  std::map<std::string, ConfigValue> before = values_;
  try {
    TomlLayer::merge_keys(*this, table, source);
  } catch (...) {
    values_ = std::move(before);
    throw;
  }
}

void Config::merge_toml_file(const std::string& path) {
  // All or nothing across the whole chain of bases.
  std::map<std::string, ConfigValue> before = values_;
  try {
    std::vector<std::string> chain;
    TomlLayer::merge_file(*this, path, chain);
  } catch (...) {
    values_ = std::move(before);
    throw;
  }
}

void Config::set(const std::string& assignment, const std::string& source) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument(source + " '" + shown(assignment) + "': expected key=value");
  std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  const ConfigEntry* e = schema_->find(key);
  if (!e) assign(key, ConfigValue{}, source);  // throws: unknown key
  // Strings may be given bare (--set env.name=Hopper), taken verbatim; everything else is TOML syntax.
  std::string toml_value = value;
  if (std::holds_alternative<std::string>(e->fallback) && (value.empty() || value.front() != '"'))
    toml_value = toml_quoted(value);
  auto wrong = [&](const std::string& why) {
    return std::invalid_argument(source + ": config key '" + key + "' expects " + describe(e->fallback) + ", got '" +
                                 shown(value) + "'" + why);
  };
  const std::string document = "v = " + toml_value;
  toml::table t;
  try {
    check_before_parse(document, source);
    t = toml::parse(document);
  } catch (const toml::parse_error& err) {
    throw wrong(" (" + std::string(err.description()) + ")");
  } catch (const std::invalid_argument& err) {
    throw wrong(" (" + std::string(err.what()) + ")");
  }
  // One value only: "--set k=1\nother=2" must not slip a second key past the check.
  if (t.size() != 1 || !t.get("v")) throw wrong(" (more than one value)");
  assign(key, convert(*e, *t.get("v"), source), source);
}

const ConfigValue& Config::at(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::invalid_argument("config: no key '" + key + "' in the schema");
  return it->second;
}
int64_t Config::integer(const std::string& key) const { return std::get<int64_t>(at(key)); }
double Config::real(const std::string& key) const { return std::get<double>(at(key)); }
bool Config::boolean(const std::string& key) const { return std::get<bool>(at(key)); }
const std::string& Config::text(const std::string& key) const { return std::get<std::string>(at(key)); }
const std::vector<double>& Config::reals(const std::string& key) const { return std::get<std::vector<double>>(at(key)); }

std::string Config::to_toml() const {
  // Grouped by table, in schema order, each key with its doc as a comment.
  std::map<std::string, std::string> tables;
  std::vector<std::string> order;
  for (const ConfigEntry& e : schema_->entries()) {
    size_t dot = e.key.rfind('.');
    std::string table = dot == std::string::npos ? "" : e.key.substr(0, dot);
    std::string name = dot == std::string::npos ? e.key : e.key.substr(dot + 1);
    if (!tables.count(table)) order.push_back(table);
    std::ostringstream line;
    line << name << " = " << toml_value(values_.at(e.key));
    if (!e.doc.empty()) line << "  # " << e.doc;
    tables[table] += line.str() + "\n";
  }
  std::string out;
  for (const std::string& t : order) out += (t.empty() ? "" : "\n[" + t + "]\n") + tables[t];
  return out;
}

std::string markdown_table(const ConfigSchema& schema) {
  auto cell = [](const std::string& text) {  // a table cell: a '|' would end it
    std::string out;
    for (char c : text) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  };
  std::string out = "| key | default | allowed | meaning |\n|---|---|---|---|\n";
  for (const ConfigEntry& e : schema.entries()) {
    std::string allowed;
    switch (e.fallback.index()) {
      case 0:  // integers: exact, large powers of two as 2^k
      case 1: allowed = readable_number(e.min) + " .. " + readable_number(e.max); break;
      case 2: allowed = "true, false"; break;
      case 3:
        for (const std::string& c : e.choices) allowed += (allowed.empty() ? "`" : ", `") + c + "`";
        if (allowed.empty()) allowed = "text";
        break;
      default: allowed = std::to_string(std::get<std::vector<double>>(e.fallback).size()) + " numbers"; break;
    }
    out += "| `" + e.key + "` | `" + cell(readable_value(e.fallback)) + "` | " + allowed + " | " + cell(e.doc) + " |\n";
  }
  return out;
}

}  // namespace maac::config
