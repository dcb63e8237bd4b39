// The STEVE and SVG(1) baselines inside the agent: STEVE's critic is MAAC's STEVE critic
// and its actor never reads the model; SVG(1)'s value and optimiser survive a checkpoint
// so that the next update is identical. (Their losses against plain loops:
// test_reference_values.cpp.)
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "rl/agent.hpp"
#include "rl/trainer_config.hpp"

using namespace maac;
using namespace maac::rl;

namespace {

constexpr int64_t kObs = 4, kAct = 2, kBatch = 16;

AgentOptions tiny_options(const std::string& algo, int64_t steve_horizon = 1) {
  Config c(trainer_schema());
  for (const char* s : {"model.members=3", "model.layers=1", "model.width=8", "actor.width=8", "critic.width=8",
                        "actor.horizon=2", "actor.terminal_samples=2", "train.batch=16"})
    c.set(s);
  c.set("algo=" + algo);
  c.set("critic.steve_horizon=" + std::to_string(steve_horizon));
  return agent_options(c);
}

std::unique_ptr<Agent> make_agent(const std::string& algo, uint64_t seed, int64_t steve_horizon = 1) {
  return std::make_unique<Agent>(kObs, kAct, tiny_options(algo, steve_horizon),
                                 std::make_unique<QuadraticReward<float>>(0.5, 0.1, 1.0), seed);
}

TransitionBatch random_batch(uint64_t seed) {
  Rng rng(seed);
  TransitionBatch b;
  b.resize(kBatch, kObs, kAct);
  for (float& x : b.obs) x = float(rng.normal());
  for (float& x : b.next_obs) x = float(rng.normal());
  for (float& x : b.action) x = float(rng.uniform(-0.9, 0.9));
  for (float& x : b.reward) x = float(rng.normal());
  for (int64_t i = 0; i < kBatch; ++i) b.terminated[i] = i % 5 == 0 ? 1.f : 0.f;
  return b;
}

bool starts(const std::string& name, const char* prefix) { return name.rfind(prefix, 0) == 0; }

void poison_model(Agent& agent) {
  for (Parameter<float>* p : agent.model()->parameters())
    for (float& v : p->value().host()) v = std::numeric_limits<float>::quiet_NaN();
}

}  // namespace

TEST_CASE("algo = steve: the critic step is MAAC's STEVE critic step, and the model is fitted but never rolled out") {
  auto steve = make_agent("steve", 3), maac = make_agent("maac", 3);
  REQUIRE(steve->uses_model());
  REQUIRE_FALSE(steve->rolls_out_model());
  REQUIRE(steve->steve_critic());
  REQUIRE(steve->value() == nullptr);
  const TransitionBatch b = random_batch(11);
  Rng r1(5), r2(5);
  const UpdateStats s1 = steve->update(b, r1), s2 = maac->update(b, r2);
  REQUIRE_FALSE(s1.skipped());
  // Same networks, same noise: the same STEVE targets, so the same loss and critic step.
  REQUIRE(s1.critic_loss == s2.critic_loss);
  Safetensors a, c;
  steve->save(a);
  maac->save(c);
  for (const auto& [name, t] : a.tensors())
    if (starts(name, "critic")) {
      INFO(name);
      REQUIRE(t.bytes == c.tensor(name).bytes);
    }
  // The actors differ: SAC's loss on the batch against MAAC's pathwise objective.
  REQUIRE(s1.actor_loss != s2.actor_loss);
  // critic.target = td contradicts the baseline and is refused by name.
  AgentOptions td = tiny_options("steve");
  td.critic_target = CriticTarget::td;
  REQUIRE_THROWS_WITH(Agent(kObs, kAct, td, std::make_unique<QuadraticReward<float>>(0.5, 0.1), 1),
                      Catch::Contains("critic.target = td"));
}

TEST_CASE("algo = steve: the actor never reads the model (a NaN model leaves its update unchanged)") {
  // H_c = 0: the STEVE target reads no model step either, so a NaN model can only reach
  // the update through the actor.
  auto clean = make_agent("steve", 4, 0), poisoned = make_agent("steve", 4, 0);
  poison_model(*poisoned);
  const TransitionBatch b = random_batch(12);
  Rng r1(6), r2(6);
  const UpdateStats s1 = clean->update(b, r1), s2 = poisoned->update(b, r2);
  REQUIRE_FALSE(s2.skipped());
  REQUIRE(std::isfinite(s2.actor_loss));
  REQUIRE(s1.actor_loss == s2.actor_loss);
  REQUIRE(s1.critic_loss == s2.critic_loss);
  Safetensors a, c;
  clean->save(a);
  poisoned->save(c);
  for (const auto& [name, t] : a.tensors())
    if (!starts(name, "model")) {
      INFO(name);
      REQUIRE(t.bytes == c.tensor(name).bytes);
    }
  // The same poison does reach MAAC's and SVG(1)'s actors, which go through the model.
  for (const char* algo : {"maac", "svg1"}) {
    INFO(algo);
    auto through_model = make_agent(algo, 4, 0);
    poison_model(*through_model);
    Rng r3(6);
    REQUIRE(through_model->update(b, r3).actor_skipped);
  }
}

TEST_CASE("algo = svg1: a checkpoint holds V, its target and optimiser, and the next update after a load is identical") {
  auto agent = make_agent("svg1", 7);
  REQUIRE(agent->value() != nullptr);
  REQUIRE(agent->uses_model());
  REQUIRE_FALSE(agent->rolls_out_model());
  Rng rng(8);
  for (uint64_t k = 0; k < 3; ++k) REQUIRE_FALSE(agent->update(random_batch(20 + k), rng).skipped());
  Safetensors saved;
  agent->save(saved);
  for (const char* name : {"value.0.", "value_target.0.", "value_adam.m.0", "value_adam.steps"}) {
    bool found = false;
    for (const auto& [key, t] : saved.tensors()) found |= starts(key, name);
    INFO(name);
    REQUIRE(found);
  }
  // Another seed's agent, loaded, continues exactly as the saved one.
  auto loaded = make_agent("svg1", 99);
  loaded->load(saved);
  const TransitionBatch b = random_batch(30);
  Rng r1(9), r2(9);
  const UpdateStats s1 = agent->update(b, r1), s2 = loaded->update(b, r2);
  REQUIRE(s1.critic_loss == s2.critic_loss);
  REQUIRE(s1.actor_loss == s2.actor_loss);
  Safetensors a, c;
  agent->save(a);
  loaded->save(c);
  REQUIRE(a.tensors().size() == c.tensors().size());
  for (const auto& [name, t] : a.tensors()) {
    INFO(name);
    REQUIRE(t.bytes == c.tensor(name).bytes);
  }
  // Other algorithms' checkpoints have no value entries (and so load as before).
  Safetensors m;
  make_agent("maac", 7)->save(m);
  for (const auto& [name, t] : m.tensors()) REQUIRE_FALSE(starts(name, "value"));
}
