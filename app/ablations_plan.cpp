#include "app/ablations_plan.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "rl/trainer_config.hpp"

namespace maac::app {
namespace {

constexpr const char* kHorizon = "actor.horizon";

// Each value goes through the trainer's schema: its error names the key, the value and
// what the key accepts.
void check_value(const std::string& key, const std::string& value, const std::string& option) {
  rl::Config c(rl::trainer_schema());
  c.set(key + "=" + value, option + " " + value);
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) throw std::invalid_argument("a control character in '" + s + "'");
    out += c;
  }
  return out + "\"";
}

}  // namespace

AblationsPlan plan_ablations(const std::vector<std::string>& ablations, const std::vector<int64_t>& horizons,
                             int64_t base_horizon) {
  AblationsPlan plan;
  std::set<std::string> seen;
  for (const std::string& a : ablations) {
    check_value(rl::key::ablation, a, "--variants");
    if (!seen.insert(a).second) throw std::invalid_argument("--variants " + a + ": listed twice");
  }
  // none first: every other variant is read against it.
  plan.variants.push_back({"none", {}});
  plan.ablation_figure.push_back("none");
  for (const std::string& a : ablations) {
    if (a == "none") continue;
    plan.variants.push_back({a, {std::string(rl::key::ablation) + "=" + a}});
    plan.ablation_figure.push_back(a);
  }
  std::set<int64_t> seen_h;
  for (int64_t h : horizons) {
    check_value(kHorizon, std::to_string(h), "--horizons");
    if (!seen_h.insert(h).second) throw std::invalid_argument("--horizons " + std::to_string(h) + ": listed twice");
    // h0 rewrites actor.horizon to 0 and nothing else, so its runs are H = 0's.
    std::string variant = "H=" + std::to_string(h);
    if (h == base_horizon) variant = "none";
    else if (h == 0 && seen.count("h0")) variant = "h0";
    else plan.variants.push_back({variant, {std::string(kHorizon) + "=" + std::to_string(h)}});
    plan.horizon_figure.emplace_back(h, variant);
  }
  return plan;
}

std::string ablations_spec_toml(const AblationsPlan& plan, const std::string& out_dir, int64_t seeds, int64_t threads) {
  if (seeds < 1) throw std::invalid_argument("--seeds " + std::to_string(seeds) + ": expected at least 1");
  std::string s =
      "# maac experiment ablations: the paper's ablations (Fig 4) and horizon sweep (Fig 5) as one sweep\n"
      "# (docs/experiments.md). Written by the command; `maac sweep` runs it as it is.\n"
      "name = \"runs\"\nout = " + toml_string(out_dir) + "\nconfig = \"base_config.toml\"\nseeds = [";
  for (int64_t i = 0; i < seeds; ++i) s += (i ? ", " : "") + std::to_string(i);
  s += "]\nthreads = " + std::to_string(threads) + "\n";
  for (const SweepVariant& v : plan.variants) {
    s += "\n[[variants]]\nname = " + toml_string(v.name) + "\n";
    if (v.sets.empty()) continue;
    s += "set = [";
    for (size_t i = 0; i < v.sets.size(); ++i) s += (i ? ", " : "") + toml_string(v.sets[i]);
    s += "]\n";
  }
  return s;
}

}  // namespace maac::app
