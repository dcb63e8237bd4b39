// Seeded mutation fuzzing of the TOML config loader (Config::merge_toml, merge_toml_file,
// set) on the real trainer schema: every input ends in a valid load whose values obey the
// schema and round-trip through to_toml, or in a std::exception naming the source and the
// key or line, leaving the config as it was. No crash, hang or sanitizer report.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "config/config.hpp"
#include "rl/trainer_config.hpp"
#include "tests/fuzz/fuzz_helpers.hpp"

using namespace maac::rl;
using namespace maac::fuzz;

namespace {

const std::vector<std::string> kTokens{
    "nan", "+nan", "-nan", "inf", "+inf", "-inf", "1e400", "-1e400", "1e-400", "99999999999999999999",
    "-99999999999999999999", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-1", "0", "-0",
    "0.0", "1.5", "0x7fffffffffffffff", "0o777", "0b101", "1_000", "true", "false", "\"text\"", "'lit'", "\"\"\"",
    "'''", "\"\\u0000\"", "\"\\uD800\"", "\"a\\\"b\"", "[1, 2, 3, 4]", "[]", "[[]]", "[1, \"a\"]", "{a = 1}", "{}",
    "1979-05-27T07:32:00Z", "07:32:00", "=", ".", ",", "#", "[", "]", "[[", "]]", "{", "}", "\n", "\r\n", "\t",
    " ", "\\", "\"", "'", "\xff", "\xc3\xa9", "\xe2\x80\x8b", std::string(1, '\0'), "\xc2\xa7", "\xcc\xaa",
    "\xef\xb9\xbf", "\\\n", "\"\"\"\\\n\xc2\xa7\"\"\"", "[model]", "[actor]",
    "[[model]]", "model.members = 3\n", "members = 5\n", "algo = \"sac\"\n", "unknown_key = 1\n",
    "[rollout]\nschedule = [1, 2, 3, 4]\n"};

// Values of every type, good and bad, for any key.
const std::vector<std::string> kValues{
    "0", "1", "-1", "7", "64", "65", "1000000", "-9223372036854775808", "9223372036854775807",
    "99999999999999999999", "0.5", "1e-3", "3e-4", "1.0", "2.5", "-0.0", "1e308", "1e400", "nan", "-nan", "inf", "-inf",
    "true", "false", "\"maac\"", "\"sac\"", "\"Hopper\"", "\"relu\"", "\"cuda\"", "\"\"", "\"a\\\"b\\\\c\\n\"",
    "\"\\u0000\\u0001\\u007f\"", "'C:\\path'", "\"\"\"multi\nline\"\"\"", "[20, 100, 1, 1]", "[0, 1, 2, 3]",
    "[1, 2]", "[nan, 1, 2, 3]", "[1, inf, 2, 3]", "[0, 1, 1e300, 1e300]", "[0, 10, -1, 5]", "[5, 1, 1, 1]",
    "[1, 2, 3, \"4\"]", "[1, 2, 3, [4]]", "[]", "{}", "{x = 1}", "1979-05-27", "0x10", "1_0"};

std::vector<std::string> schema_keys() {
  std::vector<std::string> keys;
  for (const ConfigEntry& e : trainer_schema().entries()) keys.push_back(e.key);
  return keys;
}

// A key as it may be written: as is, misspelled, unknown, or with a bad part.
std::string some_key(std::mt19937_64& rng) {
  static const std::vector<std::string> keys = schema_keys();
  std::string key = pick_from(rng, keys);
  switch (pick(rng, 8)) {
    case 0: key.erase(pick(rng, key.size()), 1); break;
    case 1: key += "x"; break;
    case 2: key = "no.such.key"; break;
    case 3: key.insert(pick(rng, key.size() + 1), std::string(1, "._-\" \0"[pick(rng, 6)])); break;
    default: break;
  }
  return key;
}

// A value of the key's own type, in range or just outside it, as --set takes it.
std::string typed_value(const ConfigEntry& e, std::mt19937_64& rng) {
  auto number = [&] {
    double lo = std::max(e.min, -1e12), hi = std::min(e.max, 1e12);
    return std::uniform_real_distribution<double>(lo - 1, hi + 1)(rng);
  };
  switch (e.fallback.index()) {
    case 0: return std::to_string(static_cast<int64_t>(std::floor(number())));
    case 1: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", pick(rng, 2) ? number() : std::exp(std::uniform_real_distribution<double>(-20, 5)(rng)));
      return buf;
    }
    case 2: return pick(rng, 2) ? "true" : "false";
    case 3:
      if (!e.choices.empty() && pick(rng, 4)) return pick_from(rng, e.choices);
      return repeat("x\\\"'", pick(rng, 5)) + "Hopper";  // bare: taken verbatim
    default: {
      std::string list = "[";
      for (size_t k = pick(rng, 6) ? 4 : pick(rng, 6); k > 0; --k)
        list += std::to_string(pick(rng, 200)) + (k > 1 ? ", " : "");
      return list + "]";
    }
  }
}

// A document of 1 to 12 assignments, written as tables, dotted keys or inline tables.
std::string structured_document(std::mt19937_64& rng) {
  std::string doc;
  for (size_t k = 1 + pick(rng, 12); k > 0; --k) {
    std::string key = some_key(rng), value = pick_from(rng, kValues);
    size_t dot = key.rfind('.');
    switch (dot == std::string::npos ? 0 : pick(rng, 3)) {
      case 0: doc += key + " = " + value + "\n"; break;  // dotted key (before any table)
      case 1: doc = key.substr(0, dot) + "." + key.substr(dot + 1) + " = " + value + "\n" + doc; break;
      default:
        doc = key.substr(0, dot) + " = { " + key.substr(dot + 1) + " = " + value + " }\n" + doc;
        break;
    }
    if (pick(rng, 6) == 0) doc += doc;  // duplicate keys
  }
  return doc;
}

// Nesting far beyond any config: dotted keys, table headers, arrays, inline tables.
std::string deep_document(std::mt19937_64& rng) {
  size_t depth = size_t{1} << pick(rng, 18);  // 1 .. 131072
  switch (pick(rng, 5)) {
    case 0: return repeat("a", depth, ".") + " = 1\n";
    case 1: return "[" + repeat("model", depth, ".") + "]\nmembers = 3\n";
    case 2: return "rollout.schedule = " + repeat("[", depth) + repeat("]", depth) + "\n";
    case 3: return "x = " + repeat("{a = ", depth) + "1" + repeat("}", depth) + "\n";
    default: return repeat("[t]\n", depth);  // a table defined again and again
  }
}

// Long lines and huge lengths: a megabyte string, key or list.
std::string huge_document(std::mt19937_64& rng) {
  size_t n = size_t{1} << (10 + pick(rng, 11));  // 1 KiB .. 1 MiB
  switch (pick(rng, 4)) {
    case 0: return "env.name = \"" + std::string(n, 'x') + "\"\n";
    case 1: return std::string(n, 'k') + " = 1\n";
    case 2: return "rollout.schedule = [" + repeat("1", n / 2, ",") + "]\n";
    default: return "# " + std::string(n, '#') + "\nmodel.members = 3\n";
  }
}

// The config obeys the schema: types, ranges, finiteness, choices, list sizes.
void check_valid(const Config& c) {
  for (const ConfigEntry& e : trainer_schema().entries()) {
    switch (e.fallback.index()) {
      case 0: {
        int64_t v = c.integer(e.key);
        REQUIRE((static_cast<double>(v) >= e.min && static_cast<double>(v) <= e.max));
        break;
      }
      case 1: {
        double v = c.real(e.key);
        REQUIRE((std::isfinite(v) && v >= e.min && v <= e.max));
        break;
      }
      case 3:
        if (!e.choices.empty()) REQUIRE(std::count(e.choices.begin(), e.choices.end(), c.text(e.key)) == 1);
        break;
      case 4:
        REQUIRE(c.reals(e.key).size() == std::get<std::vector<double>>(e.fallback).size());
        for (double x : c.reals(e.key)) REQUIRE(std::isfinite(x));
        break;
      default: break;
    }
  }
  // The saved, resolved config loads back to the same values.
  Config again(trainer_schema());
  again.merge_toml(c.to_toml(), "resolved.toml");
  REQUIRE(again.to_toml() == c.to_toml());
  // The run options built from it are valid too, or refused naming the key.
  try {
    Config ablated = c;
    apply_ablation(ablated);
    trainer_options(ablated);
    agent_options(ablated);
    TrainerOptions t = trainer_options(ablated);
    for (int64_t it : {0, 1, 10, 1000, 1000000}) REQUIRE(t.rollout_length(it) >= 0);
  } catch (const std::invalid_argument& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("config key '"));
  }
}

// "key '...'" or "<source>:<line>", or for --set without '=' the assignment itself.
bool names_key_or_line(const std::string& msg, const std::string& source) {
  if (msg.find("key '") != std::string::npos || msg.find("--set '") != std::string::npos) return true;
  for (size_t at = msg.find(source + ":"); at != std::string::npos; at = msg.find(source + ":", at + 1)) {
    size_t digit = at + source.size() + 1;
    if (digit < msg.size() && std::isdigit(static_cast<unsigned char>(msg[digit]))) return true;
  }
  return false;
}

struct Tally {
  int valid = 0, rejected = 0;
};

// Runs one input: a valid load, or an error naming the source and the key or line with the
// config left as it was.
template <class Load>
void run_case(Config& c, const std::string& source, Load&& load, Tally& tally) {
  const std::string before = c.to_toml();
  try {
    load();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    INFO("error: " << msg.substr(0, 300));
    REQUIRE_THAT(msg, Catch::Contains(source));
    REQUIRE((names_key_or_line(msg, source)));
    REQUIRE(c.to_toml() == before);
    ++tally.rejected;
    return;
  }
  check_valid(c);
  ++tally.valid;
}

}  // namespace

TEST_CASE("fuzz: TOML config documents load or fail naming the source and the key or line", "[fuzz]") {
  const uint64_t seed = fuzz_seed("config TOML");
  const std::string base = Config(trainer_schema()).to_toml();
  const std::string preset = "algo = \"mbpo\"\nseed = 3\n[env]\nname = \"Hopper\"\n[model]\nmembers = 5\nelites = 3\n"
                             "[rollout]\nschedule = [20, 100, 1, 15]\n[actor]\nlr = 1e-4 # tuned\n";
  Tally tally;
  const int cases = 2200;
  for (int i = 0; i < cases; ++i) {
    std::mt19937_64 rng = case_rng(seed, static_cast<uint64_t>(i));
    std::string doc;
    switch (i % 10) {
      case 0: case 1: case 2: case 3: doc = mutate_some(pick(rng, 2) ? base : preset, rng, kTokens); break;
      case 4: case 5: doc = structured_document(rng); break;
      case 6: doc = mutate_some(structured_document(rng), rng, kTokens); break;
      case 7: doc = deep_document(rng); break;
      case 8: doc = pick(rng, 4) ? huge_document(rng) : mutate(huge_document(rng), rng, kTokens); break;
      default: doc = preset; break;  // a known-good document between the hostile ones
    }
    const std::string source = "fuzz-" + std::to_string(i) + ".toml";
    INFO("seed " << seed << ", case " << i << ", " << doc.size() << " bytes: " << doc.substr(0, 200));
    Config c(trainer_schema());
    run_case(c, source, [&] { c.merge_toml(doc, source); }, tally);
  }
  std::cout << "fuzz config TOML: " << cases << " documents, " << tally.valid << " loaded, " << tally.rejected
            << " rejected" << std::endl;
  CHECK(tally.valid >= cases / 10);  // the fuzzer must also reach valid loads
}

TEST_CASE("fuzz: --set assignments apply or fail naming the key", "[fuzz]") {
  const uint64_t seed = fuzz_seed("config --set");
  Tally tally;
  const int cases = 1200;
  for (int i = 0; i < cases; ++i) {
    std::mt19937_64 rng = case_rng(seed, static_cast<uint64_t>(i) + (uint64_t{1} << 40));
    static const std::vector<ConfigEntry>& entries = trainer_schema().entries();
    std::string assignment;
    switch (pick(rng, 4)) {
      case 0: {  // the key's own type: mostly valid
        const ConfigEntry& e = pick_from(rng, entries);
        assignment = e.key + "=" + typed_value(e, rng);
        break;
      }
      case 1:  // any value for any key
        assignment = some_key(rng) + "=" + pick_from(rng, kValues);
        break;
      case 2: {  // a mutated assignment
        const ConfigEntry& e = pick_from(rng, entries);
        assignment = mutate_some(e.key + "=" + typed_value(e, rng), rng, kTokens);
        break;
      }
      default:  // no key at all, or bare strings with characters TOML would interpret
        assignment = pick(rng, 4) ? "env.name=Hopper\\n\"'x" + pick_from(rng, kValues) : pick_from(rng, kValues);
        break;
    }
    INFO("seed " << seed << ", case " << i << ": --set " << assignment.substr(0, 200));
    Config c(trainer_schema());
    run_case(c, "--set", [&] { c.set(assignment); }, tally);
  }
  std::cout << "fuzz config --set: " << cases << " assignments, " << tally.valid << " applied, " << tally.rejected
            << " rejected" << std::endl;
  CHECK(tally.valid >= cases / 10);
}

TEST_CASE("fuzz: config files load or fail naming the file", "[fuzz]") {
  const uint64_t seed = fuzz_seed("config file");
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("maac_fuzz_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string base = Config(trainer_schema()).to_toml();
  Tally tally;
  const int cases = 200;
  for (int i = 0; i < cases; ++i) {
    std::mt19937_64 rng = case_rng(seed, static_cast<uint64_t>(i) + (uint64_t{2} << 40));
    std::string path = (dir / ("case" + std::to_string(i) + ".toml")).string();
    std::ofstream(path, std::ios::binary) << mutate_some(base, rng, kTokens);
    INFO("seed " << seed << ", case " << i);
    Config c(trainer_schema());
    run_case(c, path, [&] { c.merge_toml_file(path); }, tally);
  }
  fs::remove_all(dir);
  std::cout << "fuzz config file: " << cases << " files, " << tally.valid << " loaded, " << tally.rejected
            << " rejected" << std::endl;
}
