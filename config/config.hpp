// Configuration from TOML: a typed schema (every key with its type, default, range and doc),
// resolved from defaults <- a TOML file <- `--set key=value` overrides. Unknown keys,
// wrong types and out-of-range values are rejected with a message naming the key.
// config/bound_schema.hpp binds each key to the field of an options struct it fills.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace maac::config {

using ConfigValue = std::variant<int64_t, double, bool, std::string, std::vector<double>>;

struct ConfigEntry {
  std::string key;  // dotted: "model.members" is [model] members in TOML
  ConfigValue fallback;
  double min = -1e300, max = 1e300;   // numeric range, inclusive
  std::vector<std::string> choices;   // allowed strings (empty: any)
  std::string doc;
};

class ConfigSchema {
 public:
  ConfigSchema& integer(const std::string& key, int64_t fallback, int64_t min, int64_t max, const std::string& doc);
  ConfigSchema& real(const std::string& key, double fallback, double min, double max, const std::string& doc);
  ConfigSchema& boolean(const std::string& key, bool fallback, const std::string& doc);
  ConfigSchema& choice(const std::string& key, const std::string& fallback, std::vector<std::string> choices,
                       const std::string& doc);
  ConfigSchema& text(const std::string& key, const std::string& fallback, const std::string& doc);
  ConfigSchema& reals(const std::string& key, std::vector<double> fallback, int64_t count, const std::string& doc);
  const ConfigEntry* find(const std::string& key) const;
  const std::vector<ConfigEntry>& entries() const { return entries_; }

 private:
  ConfigSchema& add(ConfigEntry e);
  std::vector<ConfigEntry> entries_;
  std::map<std::string, int64_t> list_sizes_;
  friend class Config;
};

class Config {
 public:
  explicit Config(const ConfigSchema& schema);
  // Layers a TOML file (text) and then `key=value` overrides on top of the defaults.
  void merge_toml(const std::string& toml_text, const std::string& source_name);
  // A file may begin from a base file: `extends = "base.toml"` (relative to this file)
  // layers the base (and its own bases) first, then this file's keys.
  void merge_toml_file(const std::string& path);
  // "key=value"; errors name `source` (the command-line option that carried it).
  void set(const std::string& assignment, const std::string& source = "--set");

  int64_t integer(const std::string& key) const;
  double real(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  const std::vector<double>& reals(const std::string& key) const;
  // The value of a key, whatever its type.
  const ConfigValue& value(const std::string& key) const { return at(key); }
  const ConfigSchema& schema() const { return *schema_; }

  // The full resolved configuration as TOML (saved in the run directory).
  std::string to_toml() const;

 private:
  void assign(const std::string& key, const ConfigValue& value, const std::string& source);
  friend struct TomlLayer;  // config.cpp: layers a parsed TOML table (and a file's bases)
  const ConfigValue& at(const std::string& key) const;
  const ConfigSchema* schema_;
  std::map<std::string, ConfigValue> values_;
};

// Every key of the schema as a Markdown table: key, default, allowed values, doc.
std::string markdown_table(const ConfigSchema& schema);

}  // namespace maac::config
