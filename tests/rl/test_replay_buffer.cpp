// The replay buffer: ring order, sampling, model-fit split roles, and checkpoint round trips.
#include <catch2/catch.hpp>

#include "rl/replay_buffer.hpp"

using namespace maac;
using namespace maac::rl;

namespace {
void add_numbered(ReplayBuffer& b, int k) {
  float obs[2] = {float(k), float(-k)}, act[1] = {float(k) / 10}, next[2] = {float(k + 1), float(-k - 1)};
  b.add(obs, act, float(k) * 2, next, k % 3 == 0);
}
}  // namespace

TEST_CASE("the ring keeps the newest transitions, oldest first") {
  ReplayBuffer b(4, 2, 1);
  for (int k = 0; k < 6; ++k) add_numbered(b, k);
  REQUIRE(b.size() == 4);
  REQUIRE(b.total_added() == 6);
  TransitionBatch t;
  b.gather({0, 1, 2, 3}, t);
  REQUIRE(t.obs == std::vector<float>{2, -2, 3, -3, 4, -4, 5, -5});
  REQUIRE(t.reward == std::vector<float>{4, 6, 8, 10});
  REQUIRE(t.terminated == std::vector<float>{0, 1, 0, 0});
  REQUIRE(t.next_obs[0] == 3);
  REQUIRE_THROWS_WITH(b.gather({4}, t), Catch::Contains("index 4"));
}

TEST_CASE("sampling is uniform over stored transitions and reproducible") {
  ReplayBuffer b(100, 2, 1);
  for (int k = 0; k < 50; ++k) add_numbered(b, k);
  Rng r1(5), r2(5);
  TransitionBatch a, c;
  b.sample(r1, 20000, a);
  b.sample(r2, 20000, c);
  REQUIRE(a.obs == c.obs);
  std::vector<int> counts(50, 0);
  for (int64_t i = 0; i < a.size; ++i) counts[static_cast<int>(a.obs[2 * i])]++;
  for (int n : counts) REQUIRE(std::abs(n - 400) < 100);  // 20000 / 50, ~5 sigma
}

TEST_CASE("save and load restore the buffer exactly") {
  ReplayBuffer b(5, 2, 1);
  for (int k = 0; k < 7; ++k) add_numbered(b, k);
  Safetensors st;
  b.save(st, "real");
  ReplayBuffer back(5, 2, 1);
  back.load(st, "real");
  TransitionBatch x, y;
  b.gather({0, 1, 2, 3, 4}, x);
  back.gather({0, 1, 2, 3, 4}, y);
  REQUIRE(x.obs == y.obs);
  REQUIRE(x.terminated == y.terminated);
  REQUIRE(back.total_added() == 7);
  // The same next additions land in the same places.
  add_numbered(b, 7);
  add_numbered(back, 7);
  b.gather({0, 4}, x);
  back.gather({0, 4}, y);
  REQUIRE(x.obs == y.obs);
  ReplayBuffer other(6, 2, 1);
  REQUIRE_THROWS_WITH(other.load(st, "real"), Catch::Contains("capacity 5") && Catch::Contains("expects 6"));
}

TEST_CASE("split roles are drawn once per transition, at the requested share") {
  ReplayBuffer b(20000, 2, 1);
  for (int k = 0; k < 10000; ++k) add_numbered(b, k);
  Rng rng(3), same(3);
  REQUIRE(b.assign_split(rng, 0.2) == 10000);
  int64_t held = 0;
  for (SplitRole r : b.split()) held += r == SplitRole::holdout;
  REQUIRE(held == 2000);  // floor(0.2 k) exactly when 0.2 k is whole
  // Already assigned: no draws, no changes.
  const uint64_t counter = rng.counter();
  const std::vector<SplitRole> roles = b.split();
  REQUIRE(b.assign_split(rng, 0.2) == 0);
  REQUIRE(rng.counter() == counter);
  REQUIRE(b.split() == roles);
  // Deterministic in the Rng; a fractional share rounds stochastically (unbiased).
  ReplayBuffer c(20000, 2, 1);
  for (int k = 0; k < 10000; ++k) add_numbered(c, k);
  c.assign_split(same, 0.2);
  REQUIRE(c.split() == roles);
  int64_t total = 0;
  for (int trial = 0; trial < 400; ++trial) {
    ReplayBuffer small(7, 2, 1);
    for (int k = 0; k < 7; ++k) add_numbered(small, k);
    small.assign_split(rng, 0.4);  // 2.8: 2 or 3
    int64_t h = 0;
    for (SplitRole r : small.split()) h += r == SplitRole::holdout;
    REQUIRE((h == 2 || h == 3));
    total += h;
  }
  REQUIRE(std::abs(double(total) / 400 - 2.8) < 0.1);
  REQUIRE_THROWS_WITH(b.assign_split(rng, 1.0), Catch::Contains("holdout_fraction 1"));
}

TEST_CASE("split roles survive ring eviction and round-trip through save and load") {
  ReplayBuffer b(5, 2, 1);
  for (int k = 0; k < 4; ++k) add_numbered(b, k);
  Rng rng(9);
  b.assign_split(rng, 0.5);
  const std::vector<SplitRole> first = b.split();
  // Two more: one fills the ring, one overwrites transition 0. Survivors keep their
  // roles; the new transitions have none until the next draw.
  add_numbered(b, 4);
  add_numbered(b, 5);
  std::vector<SplitRole> roles = b.split();
  REQUIRE(std::vector<SplitRole>(roles.begin(), roles.begin() + 3) ==
          std::vector<SplitRole>(first.begin() + 1, first.end()));
  REQUIRE(roles[3] == SplitRole::unassigned);
  REQUIRE(roles[4] == SplitRole::unassigned);

  // Saved half-assigned, loaded, continued: the same as never stopped.
  Safetensors st;
  b.save(st, "real");
  REQUIRE(st.tensor("real.split").type == StoredType::u8);
  ReplayBuffer back(5, 2, 1);
  back.load(st, "real");
  REQUIRE(back.split() == roles);
  Rng r1(4), r2(4);
  add_numbered(b, 6);
  add_numbered(back, 6);
  b.assign_split(r1, 0.5);
  back.assign_split(r2, 0.5);
  REQUIRE(back.split() == b.split());
  REQUIRE(b.role(0) == roles[1]);  // transition 2, assigned before the save, kept its role

  // A checkpoint without the roles (maac-checkpoint-1) is refused by name.
  Safetensors old;
  for (const char* name : {"obs", "action", "reward", "next_obs", "terminated", "info"}) {
    const StoredTensor& t = st.tensor(std::string("real.") + name);
    if (t.type == StoredType::f32) old.put(std::string("real.") + name, t.shape, st.get<float>(std::string("real.") + name).data());
    else old.put(std::string("real.") + name, t.shape, st.get<int64_t>(std::string("real.") + name).data());
  }
  ReplayBuffer fresh(5, 2, 1);
  REQUIRE_THROWS_WITH(fresh.load(old, "real"), Catch::Contains("'real.split'") && Catch::Contains("maac-checkpoint-2"));
}
