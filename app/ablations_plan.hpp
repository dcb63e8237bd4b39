// The paper's ablation study (Fig 4) and horizon sweep (Fig 5) as one sweep spec: which
// runs it makes, which of them each figure draws, and the spec's text.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace maac::app {

// One [[variants]] entry of the spec: its name (and directory) and its --set assignments.
struct SweepVariant {
  std::string name;
  std::vector<std::string> sets;
  bool operator==(const SweepVariant&) const = default;
};

struct AblationsPlan {
  std::vector<SweepVariant> variants;  // what runs: none, the ablations, the horizons no other variant has
  std::vector<std::string> ablation_figure;                     // variant names, none first
  std::vector<std::pair<int64_t, std::string>> horizon_figure;  // H, and the variant whose runs have it
};

// `ablations`: values of the `ablation` key (none is always run, first: the reference);
// `horizons`: values of actor.horizon with ablation = none. Runs that coincide are made
// once: H = base_horizon is `none`, H = 0 is `h0` when h0 is among the ablations.
// Unknown ablations, horizons out of actor.horizon's range and repeats are errors.
AblationsPlan plan_ablations(const std::vector<std::string>& ablations, const std::vector<int64_t>& horizons,
                             int64_t base_horizon);

// The sweep spec (TOML): name "runs" under out_dir (absolute), config base_config.toml
// beside the spec, seeds 0 .. seeds-1, run.threads = threads, one [[variants]] per variant.
std::string ablations_spec_toml(const AblationsPlan& plan, const std::string& out_dir, int64_t seeds, int64_t threads);

}  // namespace maac::app
