// The ablation study's plan (app/ablations_plan.cpp): which runs it makes, which runs
// coincide, what each figure draws, and the sweep spec it writes, against hand-written ones.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/ablations_plan.hpp"

using maac::app::AblationsPlan;
using maac::app::plan_ablations;
using maac::app::SweepVariant;
using Catch::Contains;

namespace {
const std::vector<std::string> kAll{"none", "h0", "no_steve", "single_sample", "real_only", "no_entropy"};
}

TEST_CASE("the full study at base H = 2: six ablations, H = 0 and 2 reuse h0 and none") {
  AblationsPlan p = plan_ablations(kAll, {0, 1, 2, 4, 8}, 2);
  const std::vector<SweepVariant> expected{{"none", {}},
                                           {"h0", {"ablation=h0"}},
                                           {"no_steve", {"ablation=no_steve"}},
                                           {"single_sample", {"ablation=single_sample"}},
                                           {"real_only", {"ablation=real_only"}},
                                           {"no_entropy", {"ablation=no_entropy"}},
                                           {"H=1", {"actor.horizon=1"}},
                                           {"H=4", {"actor.horizon=4"}},
                                           {"H=8", {"actor.horizon=8"}}};
  REQUIRE(p.variants == expected);
  REQUIRE(p.ablation_figure == kAll);
  const std::vector<std::pair<int64_t, std::string>> horizon{{0, "h0"}, {1, "H=1"}, {2, "none"}, {4, "H=4"}, {8, "H=8"}};
  REQUIRE(p.horizon_figure == horizon);
}

TEST_CASE("none always runs first, H = 0 runs itself without h0, a base H outside the sweep adds nothing") {
  AblationsPlan p = plan_ablations({"no_entropy"}, {8, 0}, 3);
  const std::vector<SweepVariant> expected{
      {"none", {}}, {"no_entropy", {"ablation=no_entropy"}}, {"H=8", {"actor.horizon=8"}}, {"H=0", {"actor.horizon=0"}}};
  REQUIRE(p.variants == expected);
  REQUIRE(p.ablation_figure == std::vector<std::string>{"none", "no_entropy"});
  const std::vector<std::pair<int64_t, std::string>> horizon{{8, "H=8"}, {0, "H=0"}};
  REQUIRE(p.horizon_figure == horizon);
}

TEST_CASE("bad variants and horizons are errors naming the value") {
  auto error_of = [](const std::vector<std::string>& a, const std::vector<int64_t>& h) {
    try {
      plan_ablations(a, h, 2);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  REQUIRE_THAT(error_of({"h1"}, {}), Contains("--variants h1") && Contains("expected one of none, h0"));
  REQUIRE_THAT(error_of({"h0", "h0"}, {}), Contains("--variants h0: listed twice"));
  REQUIRE_THAT(error_of({}, {1, 1}), Contains("--horizons 1: listed twice"));
  REQUIRE_THAT(error_of({}, {-1}), Contains("--horizons -1") && Contains("'actor.horizon'"));
  REQUIRE_THROWS_WITH(maac::app::ablations_spec_toml(plan_ablations({}, {}, 2), "/o", 0, 1), Contains("--seeds 0"));
}

TEST_CASE("the spec: one variants table per variant, seeds 0 .. N-1, the base beside it") {
  AblationsPlan p = plan_ablations({"h0"}, {0, 2, 4}, 2);
  REQUIRE(maac::app::ablations_spec_toml(p, "/runs/study \"x\"", 3, 2) ==
          "# maac experiment ablations: the paper's ablations (Fig 4) and horizon sweep (Fig 5) as one sweep\n"
          "# (docs/experiments.md). Written by the command; `maac sweep` runs it as it is.\n"
          "name = \"runs\"\n"
          "out = \"/runs/study \\\"x\\\"\"\n"
          "config = \"base_config.toml\"\n"
          "seeds = [0, 1, 2]\n"
          "threads = 2\n"
          "\n[[variants]]\nname = \"none\"\n"
          "\n[[variants]]\nname = \"h0\"\nset = [\"ablation=h0\"]\n"
          "\n[[variants]]\nname = \"H=4\"\nset = [\"actor.horizon=4\"]\n");
}
