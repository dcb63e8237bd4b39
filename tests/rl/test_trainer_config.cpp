// The trainer's keys: each reaches the fields it is bound to, the schema's defaults agree
// with the option structs' initialisers, every enum name converts, the ablations rewrite
// what they say, and docs/training.md lists every key as the schema declares it.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "rl/trainer_config.hpp"

using namespace maac::rl;
using Catch::Contains;
using maac::Device;
using maac::math::Unary;

namespace {

// A value of the entry's type other than its default, in range, as --set takes it.
std::string other_value(const ConfigEntry& e) {
  char buf[64];
  switch (e.fallback.index()) {
    case 0: {
      const int64_t f = std::get<int64_t>(e.fallback);
      return std::to_string(static_cast<double>(f + 1) <= e.max ? f + 1 : f - 1);
    }
    case 1: {
      const double f = std::get<double>(e.fallback);
      std::snprintf(buf, sizeof buf, "%.17g", f < e.max ? (f + std::min(e.max, f + 1)) / 2 : (e.min + f) / 2);
      return buf;
    }
    case 2: return std::get<bool>(e.fallback) ? "false" : "true";
    case 3: return "Hopper";
    default: {
      std::string list;
      for (double x : std::get<std::vector<double>>(e.fallback)) list += (list.empty() ? "[" : ", ") + std::to_string(x + 1);
      return list + "]";
    }
  }
}

// What the bound fields of `o` hold for `key` (one value per field; none for an unbound key).
std::vector<ConfigValue> held_for(const TrainingOptions& o, const std::string& key) {
  std::vector<ConfigValue> out;
  for (const auto& [k, v] : trainer_bindings().held(o))
    if (k == key) out.push_back(v);
  return out;
}

}  // namespace

TEST_CASE("the schema's defaults equal the option structs' initialisers, key by key") {
  // AgentOptions (and the structs inside it) keep initialisers for code that builds them
  // without a config; TrainerOptions has none, its defaults are the schema's alone.
  Config c(trainer_schema());
  TrainingOptions defaults;
  defaults.trainer = trainer_options(c);
  size_t compared = 0;
  for (const auto& [key, value] : trainer_bindings().held(defaults)) {
    INFO("config key " << key);
    REQUIRE(value == trainer_schema().find(key)->fallback);
    ++compared;
  }
  REQUIRE(compared >= trainer_schema().entries().size() - 1);  // every key but the ablation, some twice
  // Reading the default config gives the same fields.
  REQUIRE(trainer_bindings().held(training_options(c)) == trainer_bindings().held(defaults));
}

TEST_CASE("every key reaches each field it is bound to, every choice by its name") {
  for (const ConfigEntry& e : trainer_schema().entries()) {
    INFO("config key " << e.key);
    Config base(trainer_schema());
    if (held_for(training_options(base), e.key).empty()) {
      REQUIRE(e.key == "ablation");  // the one key no field holds: apply_ablation reads it
      continue;
    }
    std::vector<std::string> values = e.choices;
    if (values.empty()) values.push_back(other_value(e));
    for (const std::string& v : values) {
      Config c(trainer_schema());
      c.set(e.key + "=" + v);
      INFO("= " << v);
      for (const ConfigValue& field : held_for(training_options(c), e.key)) REQUIRE(field == c.value(e.key));
    }
  }
}

TEST_CASE("the enum keys convert to the enums they name") {
  Config c(trainer_schema());
  for (const char* set : {"algo=mbpo", "run.device=cuda", "model.activation=tanh", "model.noise=variance",
                          "actor.entropy=first", "actor.member_choice=trajectory", "actor.evaluation=all",
                          "actor.termination=smooth", "actor.activation=silu", "critic.target=td",
                          "critic.steve_variance=authors_zero_h0", "critic.activation=tanh"})
    c.set(set);
  const AgentOptions a = agent_options(c);
  REQUIRE(a.algorithm == Algorithm::mbpo);
  REQUIRE(a.device == Device::cuda);
  REQUIRE(a.model.activation == Unary::tanh);
  REQUIRE(a.objective.model_noise == ModelNoiseScale::variance);
  REQUIRE(a.objective.entropy == EntropyBonus::first_action);
  REQUIRE(a.objective.member_choice == MemberChoice::per_trajectory);
  REQUIRE(a.objective.evaluation == EnsembleEvaluation::all_then_select);
  REQUIRE(a.objective.termination == Termination::smooth);
  REQUIRE(a.policy.activation == Unary::silu);
  REQUIRE(a.critic_target == CriticTarget::td);
  REQUIRE(a.steve.variance == SteveVariance::authors_zero_h0);
  REQUIRE(a.critic.activation == Unary::tanh);
}

TEST_CASE("layers and width make the hidden list, and gamma and batch reach every copy") {
  Config c(trainer_schema());
  c.set("actor.layers=3");
  c.set("actor.width=64");
  c.set("model.layers=1");
  c.set("train.gamma=0.5");
  c.set("train.batch=17");
  const TrainingOptions o = training_options(c);
  REQUIRE(o.agent.policy.hidden == std::vector<int64_t>{64, 64, 64});
  REQUIRE(o.agent.model.hidden == std::vector<int64_t>{200});
  REQUIRE(o.agent.critic.hidden == std::vector<int64_t>{256, 256});
  REQUIRE((o.agent.gamma == 0.5 && o.agent.objective.gamma == 0.5 && o.agent.steve.gamma == 0.5));
  REQUIRE((o.trainer.batch == 17 && o.agent.batch == 17));
}

TEST_CASE("checks across keys name the key") {
  Config c(trainer_schema());
  c.set("model.elites=8");
  REQUIRE_THROWS_WITH(agent_options(c), "config key 'model.elites' = 8: expected at most model.members = 7");
  Config s(trainer_schema());
  s.set("rollout.schedule=[5, 1, 1, 1]");
  REQUIRE_THROWS_WITH(trainer_options(s),
                      "config key 'rollout.schedule': expected from_iter <= to_iter and lengths in [0, 1e6]");
}

TEST_CASE("each ablation rewrites the keys it stands for and says which") {
  const std::vector<std::pair<std::string, std::string>> expected{
      {"none", ""},
      {"h0", "actor.horizon=0"},
      {"no_steve", "critic.target=td"},
      {"single_sample", "actor.terminal_samples=1, actor.samples_per_state=1"},
      {"real_only", "train.real_share=1"},
      {"no_entropy", "alpha.entropy=false"}};
  REQUIRE(trainer_schema().find("ablation")->choices.size() == expected.size());
  for (const auto& [ablation, changed] : expected) {
    Config c(trainer_schema());
    c.set("actor.samples_per_state=3");
    c.set("ablation=" + ablation);
    REQUIRE(apply_ablation(c) == changed);
  }
  Config c(trainer_schema());
  c.set("ablation=single_sample");
  apply_ablation(c);
  REQUIRE((c.integer("actor.terminal_samples") == 1 && c.integer("actor.samples_per_state") == 1));
  c.set("ablation=real_only");
  apply_ablation(c);
  REQUIRE(c.real("train.real_share") == 1.0);
}

TEST_CASE("docs/training.md lists every key as the schema declares it") {
  // The table between the markers is generated: MAAC_UPDATE_DOCS=1 rewrites it.
  const std::string path = std::string(MAAC_SOURCE_DIR) + "/docs/training.md";
  const std::string begin = "<!-- config keys: generated from the schema (tests/rl/test_trainer_config.cpp) -->\n";
  const std::string end = "<!-- end of config keys -->";
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  const size_t from = doc.find(begin), to = doc.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string table = maac::config::markdown_table(trainer_schema());
  const std::string listed = doc.substr(from + begin.size(), to - from - begin.size());
  if (listed != table && std::getenv("MAAC_UPDATE_DOCS")) {
    doc.replace(from + begin.size(), to - from - begin.size(), table);
    std::ofstream(path) << doc;
    WARN("rewrote the key table in " << path);
    return;
  }
  INFO("the key table in " << path << " differs from the schema: run the test with MAAC_UPDATE_DOCS=1");
  REQUIRE(listed == table);
}
