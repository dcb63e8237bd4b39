// Config resolution: defaults <- TOML file <- --set, and every rejection names the key;
// keys bound to the fields they fill (BoundSchema).
#include <catch2/catch.hpp>

#include "config/bound_schema.hpp"
#include "config/config.hpp"
#include "tests/temp_dir.hpp"

using namespace maac::config;
using Catch::Contains;
using Catch::Equals;
using Catch::StartsWith;

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

TEST_CASE("strings round-trip whatever they hold, and bare --set strings are taken verbatim") {
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

TEST_CASE("a config file extends a base file relative to itself, and its own keys win") {
  maac::test::TempDir f("maac_config_extends");
  f.write("base.toml", "algo = \"sac\"\n[model]\nmembers = 5\n[actor]\nlr = 0.001\n");
  f.write("sub/middle.toml", "extends = \"../base.toml\"\n[model]\nmembers = 9\n");
  const std::string top = f.write("sub/top.toml", "extends = \"middle.toml\"\n[actor]\nlr = 0.002\n");
  ConfigSchema s = schema();
  Config c(s);
  c.merge_toml_file(top);
  CHECK(c.text("algo") == "sac");           // from the base of the base
  CHECK(c.integer("model.members") == 9);   // the middle file over the base
  CHECK(c.real("actor.lr") == 0.002);       // the top file over both
  CHECK(c.text("env.name") == "HalfCheetah");  // untouched: the default
  // The resolved config holds values only, never the include.
  CHECK_THAT(c.to_toml(), !Contains("extends"));
}

TEST_CASE("a bad base is a clear error that names it and changes nothing") {
  maac::test::TempDir f("maac_config_extends_bad");
  ConfigSchema s = schema();
  Config c(s);
  const std::string missing = f.write("missing.toml", "extends = \"nowhere.toml\"\n[model]\nmembers = 3\n");
  REQUIRE_THROWS_WITH(c.merge_toml_file(missing), Contains("nowhere.toml") && Contains("the base of " + missing));
  f.write("a.toml", "extends = \"b.toml\"\n[model]\nmembers = 3\n");
  const std::string b = f.write("b.toml", "extends = \"a.toml\"\n");
  REQUIRE_THROWS_WITH(c.merge_toml_file(b), Contains("leads back to a file already in the chain"));
  const std::string self = f.write("self.toml", "extends = \"self.toml\"\n");
  REQUIRE_THROWS_WITH(c.merge_toml_file(self), Contains("leads back"));
  const std::string number = f.write("number.toml", "extends = 3\n");
  REQUIRE_THROWS_WITH(c.merge_toml_file(number), Contains("'extends' expects the path of a base config file"));
  // A good base under a bad file: nothing of the base stays.
  f.write("good.toml", "[model]\nmembers = 11\n");
  const std::string bad_top = f.write("bad_top.toml", "extends = \"good.toml\"\n[model]\nmembers = 1000\n");
  REQUIRE_THROWS_WITH(c.merge_toml_file(bad_top), Contains("model.members"));
  CHECK(c.integer("model.members") == 7);
  // Only a file has a base: not a --set, not a TOML text (a sweep's [base] table).
  REQUIRE_THROWS_WITH(c.merge_toml("extends = \"good.toml\"\n", "text"), Contains("allowed only at the top of a config file"));
  REQUIRE_THROWS_WITH(c.set("extends=good.toml"), Contains("extends"));
}

namespace {
enum class Colour { red, green, blue };
constexpr Name<Colour> kColours[] = {{"red", Colour::red}, {"green", Colour::green}, {"blue", Colour::blue}};
struct Inner {
  std::vector<int64_t> hidden{3, 3};
};
struct Options {
  int threads = 0;
  uint64_t seed = 0;
  double lr = 0, lr_copy = 0;
  bool on = false;
  std::string name;
  std::vector<double> schedule;
  Colour colour = Colour::red;
  Inner inner;
};
BoundSchema<Options> bound() {
  BoundSchema<Options> s;
  s.integer("run.threads", 2, 0, 64, "threads", [](Options& o) -> auto& { return o.threads; })
      .integer("seed", 5, 0, int64_t{1} << 62, "seed", [](Options& o) -> auto& { return o.seed; })
      .real("lr", 0.5, 0.0, 1.0, "rate", fields([](Options& o) -> auto& { return o.lr; }, [](Options& o) -> auto& { return o.lr_copy; }))
      .boolean("on", true, "switch", [](Options& o) -> auto& { return o.on; })
      .set_under(Colour::red, "false")
      .text("name", "x", "name", [](Options& o) -> auto& { return o.name; })
      .reals("schedule", {1, 2}, 2, "pair", [](Options& o) -> auto& { return o.schedule; })
      .check([](const Options& o) -> std::string { return o.schedule[0] <= o.schedule[1] ? "" : ": expected ascending"; })
      .choice("colour", Colour::green, kColours, "colour", [](Options& o) -> auto& { return o.colour; })
      .integer("layers", 2, 1, 8, "layers",
               computed([](Options& o, int64_t n) { o.inner.hidden.assign(static_cast<size_t>(n), 3); },
                        [](const Options& o) { return static_cast<int64_t>(o.inner.hidden.size()); }))
      .set_under(Colour::red, "3")
      .unbound_choice("mode", Colour::blue, kColours, "read where it is used");
  return s;
}
}  // namespace

TEST_CASE("a bound schema reads every key into the fields it names") {
  const BoundSchema<Options> b = bound();
  Config c(b.schema());
  Options d = b.read(c);
  REQUIRE(d.threads == 2);
  REQUIRE(d.seed == 5);
  REQUIRE((d.lr == 0.5 && d.lr_copy == 0.5));
  REQUIRE(d.on);
  REQUIRE(d.name == "x");
  REQUIRE(d.schedule == std::vector<double>{1, 2});
  REQUIRE(d.colour == Colour::green);
  REQUIRE(d.inner.hidden == std::vector<int64_t>{3, 3});
  c.merge_toml("run.threads = 7\nseed = 9\nlr = 0.25\non = false\nname = \"y\"\nschedule = [3, 4]\ncolour = \"blue\"\n"
               "layers = 5\nmode = \"red\"\n",
               "f.toml");
  Options o = b.read(c);
  REQUIRE(o.threads == 7);
  REQUIRE(o.seed == 9);
  REQUIRE((o.lr == 0.25 && o.lr_copy == 0.25));
  REQUIRE_FALSE(o.on);
  REQUIRE(o.name == "y");
  REQUIRE(o.schedule == std::vector<double>{3, 4});
  REQUIRE(o.colour == Colour::blue);
  REQUIRE(o.inner.hidden.size() == 5);
  REQUIRE(c.text("mode") == "red");
}

TEST_CASE("a bound choice allows exactly its enum's names, in the table's order") {
  const BoundSchema<Options> b = bound();
  REQUIRE(b.schema().find("colour")->choices == std::vector<std::string>{"red", "green", "blue"});
  REQUIRE(std::get<std::string>(b.schema().find("colour")->fallback) == "green");
  REQUIRE(names(kColours) == std::vector<std::string>{"red", "green", "blue"});
  REQUIRE(std::string(name_of(kColours, Colour::blue)) == "blue");
  REQUIRE(value_of(kColours, "red") == Colour::red);
  Config c(b.schema());
  REQUIRE_THROWS_WITH(c.set("colour=purple"), Contains("'colour' = 'purple'") && Contains("red, green, blue"));
  for (const Name<Colour>& n : kColours) {
    c.set(std::string("colour=") + n.first);
    REQUIRE(b.read(c).colour == n.second);
  }
}

TEST_CASE("a bound schema's checks run after every key is read and name the key") {
  const BoundSchema<Options> b = bound();
  Config c(b.schema());
  c.set("schedule=[4, 3]");
  REQUIRE_THROWS_WITH(b.read(c), Equals("config key 'schedule': expected ascending"));
}

TEST_CASE("held() lists what each bound field holds, one entry per field") {
  const BoundSchema<Options> b = bound();
  Options o;
  o.lr_copy = 0.125;
  o.colour = Colour::blue;
  const auto held = b.held(o);
  std::vector<std::string> keys;
  for (const auto& [key, value] : held) keys.push_back(key);
  REQUIRE(keys == std::vector<std::string>{"run.threads", "seed", "lr", "lr", "on", "name", "schedule", "colour", "layers"});
  REQUIRE(held[3].second == ConfigValue(0.125));
  REQUIRE(held[7].second == ConfigValue(std::string("blue")));
  REQUIRE(held[8].second == ConfigValue(int64_t{2}));
}

TEST_CASE("the key table lists every key with its default and allowed values") {
  const BoundSchema<Options> b = bound();
  const std::string table = markdown_table(b.schema());
  REQUIRE_THAT(table, StartsWith("| key | default | allowed | meaning |\n|---|---|---|---|\n"));
  REQUIRE_THAT(table, Contains("| `seed` | `5` | 0 .. 2^62 | seed |\n"));
  REQUIRE_THAT(table, Contains("| `lr` | `0.5` | 0 .. 1 | rate |\n"));
  REQUIRE_THAT(table, Contains("| `colour` | `\"green\"` | `red`, `green`, `blue` | colour |\n"));
  REQUIRE_THAT(table, Contains("| `schedule` | `[1, 2]` | 2 numbers | pair |\n"));
  ConfigSchema piped;
  piped.real("a", 1, 0, 2, "-scale * |A|");
  REQUIRE_THAT(markdown_table(piped), Contains("| -scale * \\|A\\| |"));
}

TEST_CASE("assignments declared under a switch's value come back in schema order") {
  const BoundSchema<Options> b = bound();
  REQUIRE(b.assignments_under(Colour::red) == std::vector<std::string>{"on=false", "layers=3"});
  REQUIRE(b.assignments_under(Colour::green).empty());
  Config c(b.schema());
  for (const std::string& set : b.assignments_under(Colour::red)) c.set(set);
  REQUIRE_FALSE(b.read(c).on);
  REQUIRE(b.read(c).inner.hidden.size() == 3);
}
