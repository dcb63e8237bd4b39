// libFuzzer target for the TOML config loader (MAAC_FUZZERS=ON, docs/testing.md). The first
// byte picks Config::merge_toml or Config::set; the rest is the text. A valid load must obey
// the schema and round-trip through to_toml; an error must name its source and the key or
// line and leave the config unchanged. Anything else aborts, which libFuzzer reports.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "config/config.hpp"

using namespace maac::config;

namespace {

// Every kind of key the loader knows, shaped like the trainer's schema.
const ConfigSchema& schema() {
  static const ConfigSchema s = [] {
    ConfigSchema s;
    s.choice("algo", "maac", {"maac", "sac", "mbpo"}, "algorithm")
        .integer("seed", 0, 0, int64_t{1} << 62, "seed")
        .text("env.name", "InvertedPendulum", "environment")
        .integer("model.members", 7, 1, 64, "ensemble size")
        .real("actor.lr", 3e-4, 1e-8, 1.0, "policy learning rate")
        .real("run.stop_at_return", 1e30, -1e30, 1e30, "stop")
        .boolean("alpha.learn", true, "tune alpha")
        .reals("rollout.schedule", {20, 100, 1, 1}, 4, "schedule");
    return s;
  }();
  return s;
}

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_config_toml: %s: %s\n", what, detail.substr(0, 500).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool as_set = data[0] & 1;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string source = as_set ? "--set" : "input.toml";
  Config c(schema());
  const std::string before = c.to_toml();
  try {
    if (as_set) c.set(text);
    else c.merge_toml(text, source);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    bool named = msg.find(source) != std::string::npos &&
                 (msg.find("key '") != std::string::npos || msg.find(source + ":") != std::string::npos ||
                  msg.find("--set '") != std::string::npos);
    if (!named) finding("an error that names neither the source nor the key or line", msg);
    if (c.to_toml() != before) finding("a rejected input changed the config", msg);
    return 0;
  }
  // Valid: the values obey the schema and the resolved config loads back the same.
  for (double v : c.reals("rollout.schedule"))
    if (!std::isfinite(v)) finding("a non-finite list value loaded", text);
  if (!std::isfinite(c.real("actor.lr")) || c.real("actor.lr") < 1e-8 || c.real("actor.lr") > 1.0)
    finding("actor.lr out of range loaded", text);
  if (c.integer("model.members") < 1 || c.integer("model.members") > 64) finding("model.members out of range", text);
  Config again(schema());
  try {
    again.merge_toml(c.to_toml(), "resolved.toml");
  } catch (const std::exception& e) {
    finding("the resolved config does not load back", e.what());
  }
  if (again.to_toml() != c.to_toml()) finding("the resolved config loads back different", c.to_toml());
  return 0;
}
