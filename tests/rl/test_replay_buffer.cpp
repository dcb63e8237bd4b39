// The replay buffer: ring order, sampling, and checkpoint round trips.
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
