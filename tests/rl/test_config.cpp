// Config resolution: defaults <- TOML file <- --set, and every rejection names the key.
#include <catch2/catch.hpp>

#include "config/config.hpp"

using namespace maac::config;
using Catch::Contains;

namespace {
ConfigSchema schema() {
  ConfigSchema s;
  s.choice("algo", "maac", {"maac", "sac", "mbpo"}, "algorithm")
      .integer("model.members", 7, 1, 64, "ensemble size")
      .real("actor.lr", 3e-4, 1e-8, 1.0, "policy learning rate")
      .boolean("actor.entropy_first_only", false, "entropy at the first action only")
      .text("env.name", "HalfCheetah", "environment")
      .reals("rollout.schedule", {20, 100, 1, 1}, 4, "[from_iter, to_iter, from_len, to_len]");
  return s;
}
}  // namespace

TEST_CASE("defaults, file and --set layer in that order") {
  ConfigSchema s = schema();
  Config c(s);
  REQUIRE(c.integer("model.members") == 7);
  c.merge_toml("algo = \"sac\"\n[model]\nmembers = 5\n[rollout]\nschedule = [1, 2, 3, 4]\n", "preset.toml");
  REQUIRE(c.text("algo") == "sac");
  REQUIRE(c.integer("model.members") == 5);
  REQUIRE(c.reals("rollout.schedule") == std::vector<double>{1, 2, 3, 4});
  c.set("model.members=3");
  c.set("actor.lr=1e-3");
  c.set("actor.entropy_first_only=true");
  c.set("env.name=Hopper");
  REQUIRE(c.integer("model.members") == 3);
  REQUIRE(c.real("actor.lr") == 1e-3);
  REQUIRE(c.boolean("actor.entropy_first_only"));
  REQUIRE(c.text("env.name") == "Hopper");
}

TEST_CASE("the resolved config round-trips through TOML") {
  ConfigSchema s = schema();
  Config a(s);
  a.set("model.members=9");
  a.set("actor.lr=0.0005");
  a.set("rollout.schedule=[20, 100, 1, 15]");
  Config b(s);
  b.merge_toml(a.to_toml(), "resolved.toml");
  REQUIRE(b.integer("model.members") == 9);
  REQUIRE(b.real("actor.lr") == 0.0005);
  REQUIRE(b.reals("rollout.schedule") == std::vector<double>{20, 100, 1, 15});
  REQUIRE(b.to_toml() == a.to_toml());
}

TEST_CASE("unknown keys, wrong types and out-of-range values are rejected naming the key") {
  ConfigSchema s = schema();
  Config c(s);
  REQUIRE_THROWS_WITH(c.set("model.member=3"), Contains("unknown config key 'model.member'") && Contains("did you mean 'model.members'"));
  REQUIRE_THROWS_WITH(c.merge_toml("[model]\nmembrs = 3\n", "f.toml"), Contains("f.toml") && Contains("'model.membrs'"));
  REQUIRE_THROWS_WITH(c.set("model.members=abc"), Contains("'model.members'") && Contains("integer"));
  REQUIRE_THROWS_WITH(c.set("model.members=2.5"), Contains("'model.members'") && Contains("fractional"));
  REQUIRE_THROWS_WITH(c.merge_toml("[model]\nmembers = \"7\"\n", "f.toml"), Contains("'model.members'") && Contains("integer"));
  REQUIRE_THROWS_WITH(c.set("model.members=0"), Contains("'model.members' = 0") && Contains("1 <= value <= 64"));
  REQUIRE_THROWS_WITH(c.set("actor.lr=2"), Contains("'actor.lr' = 2"));
  REQUIRE_THROWS_WITH(c.set("actor.lr=nan"), Contains("'actor.lr'"));
  REQUIRE_THROWS_WITH(c.set("algo=ppo"), Contains("'algo' = 'ppo'") && Contains("maac, sac, mbpo"));
  REQUIRE_THROWS_WITH(c.set("actor.entropy_first_only=1"), Contains("true or false"));
  REQUIRE_THROWS_WITH(c.set("rollout.schedule=[1, 2]"), Contains("'rollout.schedule' has 2 numbers, expected 4"));
  REQUIRE_THROWS_WITH(c.set("novalue"), Contains("key=value"));
  REQUIRE_THROWS_WITH(c.merge_toml("[model\n", "broken.toml"), Contains("broken.toml:1"));
  // A rejected value leaves the previous one in place.
  REQUIRE(c.integer("model.members") == 7);
}

TEST_CASE("bad values in a file are rejected naming the key or the line") {
  ConfigSchema s = schema();
  Config c(s);
  REQUIRE_THROWS_WITH(c.merge_toml("[actor]\nlr = nan\n", "f.toml"), Contains("f.toml") && Contains("'actor.lr' = nan"));
  REQUIRE_THROWS_WITH(c.merge_toml("[actor]\nlr = -inf\n", "f.toml"), Contains("'actor.lr' = -inf"));
  REQUIRE_THROWS_WITH(c.merge_toml("[model]\nmembers = -3\n", "f.toml"), Contains("'model.members' = -3") && Contains("1 <= value"));
  // toml++ refuses an integer beyond int64 (or a float beyond double) while parsing: the quoted line names the key.
  REQUIRE_THROWS_WITH(c.merge_toml("[model]\nmembers = 99999999999999999999\n", "f.toml"),
                      Contains("f.toml:2:") && Contains("(in 'members = 99999999999999999999')"));
  REQUIRE_THROWS_WITH(c.merge_toml("actor.lr = 1e400\n", "f.toml"), Contains("f.toml:1:") && Contains("'actor.lr = 1e400'"));
  REQUIRE_THROWS_WITH(c.set("model.members=99999999999999999999"), Contains("--set: config key 'model.members' expects an integer"));
  REQUIRE_THROWS_WITH(c.set("model.members=-9223372036854775808"), Contains("'model.members' = -9223372036854775808"));
  REQUIRE_THROWS_WITH(c.merge_toml("rollout.schedule = [1, nan, 2, 3]\n", "f.toml"),
                      Contains("'rollout.schedule'") && Contains("nan at position 2"));
  REQUIRE_THROWS_WITH(c.set("rollout.schedule=[1, 2, 3, \"4\"]"), Contains("'rollout.schedule'") && Contains("a string at position 4"));
  // A file is all or nothing: its good keys are not applied when another one is bad.
  REQUIRE_THROWS(c.merge_toml("[model]\nmembers = 3\n[actor]\nlr = 5\n", "f.toml"));
  REQUIRE(c.integer("model.members") == 7);
}

TEST_CASE("hostile documents are clear errors, not crashes") {
  ConfigSchema s = schema();
  Config c(s);
  // A key nested 100,000 deep overflowed toml++'s stack; it is refused before parsing.
  std::string deep = "a";
  for (int i = 0; i < 100000; ++i) deep += ".a";
  REQUIRE_THROWS_WITH(c.merge_toml(deep + " = 1\n", "deep.toml"), Contains("deep.toml:1: more than 256 dots"));
  REQUIRE_THROWS_WITH(c.merge_toml("[" + deep + "]\n", "deep.toml"), Contains("deep.toml:1"));
  // Dots inside strings and comments are not keys.
  c.merge_toml("env.name = \"" + deep + "\" # " + deep + "\nalgo = '''\n" + "sac'''\n", "ok.toml");
  REQUIRE(c.text("env.name") == deep);
  std::string nested(300, '[');
  REQUIRE_THROWS_WITH(c.merge_toml("rollout.schedule = " + nested + "\n", "n.toml"), Contains("n.toml:1:"));
  REQUIRE_THROWS_WITH(c.merge_toml(std::string("algo = \"sac\0\"\n", 14), "nul.toml"), Contains("nul.toml:1:"));
  REQUIRE_THROWS_WITH(c.merge_toml(std::string(100000, 'k') + " = 1\n", "long.toml"), Contains("unknown config key 'kkk"));
  // toml++ 3.3 reached __builtin_unreachable testing these for whitespace (tomlplusplus#190, #295).
  REQUIRE_THROWS_WITH(c.merge_toml("env.name = \"\"\"\\\n\xc2\xa7\"\"\"\n", "u.toml"), Contains("u.toml:2: a non-ASCII"));
  REQUIRE_THROWS_WITH(c.merge_toml("algo = \"sac\"\n\xcc\xaa\n", "u.toml"), Contains("u.toml:2: a non-ASCII character outside"));
  REQUIRE_THROWS_WITH(c.merge_toml("[model]\nmembers = 3\xef\xb9\xbf\n", "u.toml"), Contains("u.toml:2"));
  REQUIRE_THROWS_WITH(c.set("model.members=\xc2\xa7"), Contains("'model.members'") && Contains("non-ASCII"));
  // Non-ASCII text inside strings and comments is fine, as are quotes closing a multi-line string.
  c.merge_toml("env.name = \"H\xc3\xb6lle\" # caf\xc3\xa9 \xc2\xa7\n", "u.toml");
  REQUIRE(c.text("env.name") == "H\xc3\xb6lle");
  c.merge_toml("env.name = \"\"\"\\\n  x\xc3\xa9\"\"\"\"\"\nalgo = 'mbpo'\n", "u.toml");
  REQUIRE(c.text("env.name") == "x\xc3\xa9\"\"");
  REQUIRE(c.text("algo") == "mbpo");
}

TEST_CASE("strings round-trip whatever they hold; bare --set strings are taken verbatim") {
  ConfigSchema s = schema();
  Config a(s);
  a.set("env.name=C:\\temp\\new \"quoted\" 'single'");
  REQUIRE(a.text("env.name") == "C:\\temp\\new \"quoted\" 'single'");
  a.merge_toml("env.name = \"tab\\there\\nnewline\\u0000nul\"\n", "f.toml");
  Config b(s);
  b.merge_toml(a.to_toml(), "resolved.toml");
  REQUIRE(b.text("env.name") == a.text("env.name"));
  REQUIRE(b.to_toml() == a.to_toml());
  // One value per --set: a second line cannot slip another key in.
  REQUIRE_THROWS_WITH(a.set("model.members=3\nalgo = \"sac\""), Contains("'model.members'") && Contains("more than one value"));
}

TEST_CASE("config files: missing, a folder, read") {
  ConfigSchema s = schema();
  Config c(s);
  REQUIRE_THROWS_WITH(c.merge_toml_file("/no/such/config.toml"), Contains("cannot open config file '/no/such/config.toml'"));
  REQUIRE_THROWS_WITH(c.merge_toml_file("/tmp"), Contains("'/tmp' is a folder"));
}
