// Sweep specs: the expansion order, directory names, each row's command and resolved
// config, the base layers, and the errors that must stop a sweep before it runs.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app/sweep_spec.hpp"
#include "rl/trainer_config.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using maac::app::load_sweep_spec;
using maac::app::SweepSpec;
using Catch::Contains;

namespace {

// Each test's spec files, in a folder of its own.
struct TempDir : maac::test::TempDir {
  TempDir() : maac::test::TempDir("maac_sweep_spec") {}
};

// The row's resolved config, as `maac train` builds it from the row's arguments.
maac::rl::Config row_config(const SweepSpec& spec, size_t i) {
  maac::rl::Config c(maac::rl::trainer_schema());
  c.merge_toml(spec.base_toml, "base.toml");
  const auto& args = spec.rows[i].args;
  for (size_t a = 0; a + 1 < args.size(); ++a) {
    if (args[a] == "--set") c.set(args[a + 1]);
    if (args[a] == "--seed") c.set("seed=" + args[a + 1]);
  }
  return c;
}

}  // namespace

TEST_CASE("a grid and seeds expand in order: first key slowest, then the seeds") {
  TempDir t;
  std::string spec_path = t.write("s.toml", "out = '" + (t.path / "runs").string() +
                                                "'\nseeds = [3, 1]\n[grid]\n\"train.gamma\" = [0.9, 1.0]\n"
                                                "[grid.actor]\nhorizon = [1, 5]\n");
  SweepSpec s = load_sweep_spec(spec_path, "/bin/maac");
  REQUIRE(s.name == "s");
  REQUIRE(s.sweep_dir == (t.path / "runs" / "s").string());
  REQUIRE(s.grid_keys == std::vector<std::string>{"actor.horizon", "train.gamma"});
  REQUIRE(s.rows.size() == 8);
  const char* dirs[] = {"actor.horizon=1,train.gamma=0.9/s3", "actor.horizon=1,train.gamma=0.9/s1",
                        "actor.horizon=1,train.gamma=1.0/s3", "actor.horizon=1,train.gamma=1.0/s1",
                        "actor.horizon=5,train.gamma=0.9/s3", "actor.horizon=5,train.gamma=0.9/s1",
                        "actor.horizon=5,train.gamma=1.0/s3", "actor.horizon=5,train.gamma=1.0/s1"};
  for (size_t i = 0; i < 8; ++i) {
    INFO(i);
    REQUIRE(s.rows[i].index == static_cast<int64_t>(i));
    REQUIRE(s.rows[i].dir == dirs[i]);
  }
  // Row 6: horizon 5, gamma 1.0 (a real written with its '.'), seed 3.
  REQUIRE(maac::app::shell_command(maac::app::row_argv(s, s.rows[6])) ==
          "/bin/maac train --config " + s.sweep_dir + "/base.toml --set actor.horizon=5 --set train.gamma=1.0 --seed 3 --out " +
              s.sweep_dir + "/actor.horizon=5,train.gamma=1.0/s3 --quiet");
  maac::rl::Config c = row_config(s, 6);
  REQUIRE(c.integer("actor.horizon") == 5);
  REQUIRE(c.real("train.gamma") == 1.0);
  REQUIRE(c.integer("seed") == 3);
  REQUIRE(c.integer("run.threads") == 1);
}

TEST_CASE("the base is defaults <- config file (relative to the spec) <- [base] <- threads") {
  TempDir t;
  t.write("configs/base.toml", "algo = \"sac\"\n[run]\ntotal_steps = 777\nthreads = 2\n[train]\nbatch = 64\n");
  std::string spec_path =
      t.write("s.toml", "name = \"n\"\nconfig = \"configs/base.toml\"\nthreads = 3\nseeds = [0]\n[base.train]\nbatch = 16\n");
  SweepSpec s = load_sweep_spec(spec_path, "/bin/maac");
  REQUIRE(s.rows.size() == 1);
  REQUIRE(s.rows[0].dir == "s0");
  maac::rl::Config c = row_config(s, 0);
  REQUIRE(c.text("algo") == "sac");
  REQUIRE(c.integer("run.total_steps") == 777);
  REQUIRE(c.integer("train.batch") == 16);
  REQUIRE(c.integer("run.threads") == 3);
}

TEST_CASE("tables and commands quote what needs quoting") {
  REQUIRE(maac::app::shell_command({"a", "b c", "it's", ""}) == "a 'b c' 'it'\\''s' ''");
  TempDir t;
  std::string spec_path = t.write("s.toml", "seeds = [0]\n[grid]\n\"env.name\" = [\"Pendulum\", \"a b,c\"]\n");
  SweepSpec s = load_sweep_spec(spec_path, "/bin/maac");
  REQUIRE(s.rows[1].dir == "env.name=a_b,c/s0");
  REQUIRE_THAT(maac::app::sweep_table_csv(s), Contains("1,\"env.name=a_b,c/s0\",0,\"a b,c\",\"/bin/maac train"));
  REQUIRE_THAT(maac::app::shell_command(maac::app::row_argv(s, s.rows[1])), Contains("--set 'env.name=a b,c'"));
}

TEST_CASE("bad specs are errors naming the spec, the key or the row") {
  TempDir t;
  auto error_of = [&](const std::string& text) {
    try {
      load_sweep_spec(t.write("bad.toml", text), "/bin/maac");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  REQUIRE_THAT(error_of("[grid]\n\"train.gamma\" = [0.9]\n"), Contains("'seeds': expected a non-empty list"));
  REQUIRE_THAT(error_of("seeds = [0, 0]\n"), Contains("a seed is listed twice"));
  REQUIRE_THAT(error_of("seeds = [-1]\n"), Contains("'seeds': expected an integer"));
  REQUIRE_THAT(error_of("seeds = [0]\nname = \"a/b\"\n"), Contains("name 'a/b'"));
  REQUIRE_THAT(error_of("seeds = [0]\n[grid]\n\"train.gamma\" = 0.9\n"), Contains("expected a non-empty list of values"));
  REQUIRE_THAT(error_of("seeds = [0]\n[grid]\n\"train.gamma\" = [0.9, 0.9]\n"), Contains("a value is listed twice"));
  REQUIRE_THAT(error_of("seeds = [0]\n[grid]\n\"train.gamma\" = [0.9, 1.5]\n"),
               Contains("row 1 (train.gamma=1.5/s0)") && Contains("'train.gamma' = 1.5"));
  REQUIRE_THAT(error_of("seeds = [0]\n[grid]\n\"run.threads\" = [1, 2]\n"), Contains("set 'threads' instead"));
  REQUIRE_THAT(error_of("seeds = [0]\n[grid]\n\"env.name\" = [\"a b\", \"a_b\"]\n"), Contains("would share the directory"));
  REQUIRE_THAT(error_of("seeds = [0]\n[slurm]\noptions = [\"time=1\"]\n"), Contains("expected one sbatch option"));
  REQUIRE_THAT(error_of("seeds = [0]\n[base]\nnosuch = 1\n"), Contains("unknown config key 'nosuch'"));
  REQUIRE_THAT(error_of("seeds = [0\n"), Contains("cannot parse sweep spec"));
}

TEST_CASE("the array job script runs each row through --index, requeueable") {
  TempDir t;
  std::string spec_path = t.write("s.toml", "seeds = [0, 1, 2]\nthreads = 2\n[slurm]\noptions = [\"--time=01:00:00\"]\n"
                                            "max_parallel = 2\n");
  SweepSpec s = load_sweep_spec(spec_path, "/bin/maac");
  std::string script = maac::app::slurm_script(s, "/work");
  for (const char* line : {"#SBATCH --array=0-2%2\n", "#SBATCH --requeue\n", "#SBATCH --cpus-per-task=2\n",
                           "#SBATCH --time=01:00:00\n", "#SBATCH --chdir=/work\n", "#SBATCH --open-mode=append\n"})
    REQUIRE_THAT(script, Contains(line));
  REQUIRE_THAT(script, Contains("exec /bin/maac sweep " + spec_path + " --index \"$SLURM_ARRAY_TASK_ID\"\n"));
}

TEST_CASE("variants: named sets of assignments, each with the whole grid and every seed") {
  TempDir t;
  std::string spec_path = t.write("s.toml", "out = '" + (t.path / "runs").string() +
                                                "'\nseeds = [0, 1]\n[grid]\n\"train.gamma\" = [0.9, 1.0]\n"
                                                "[[variants]]\nname = \"none\"\n"
                                                "[[variants]]\nname = \"H=1\"\nset = [\"actor.horizon=1\", \"ablation=no_steve\"]\n");
  SweepSpec s = load_sweep_spec(spec_path, "/bin/maac");
  REQUIRE(s.variants.size() == 2);
  REQUIRE(s.rows.size() == 8);
  const char* dirs[] = {"none/train.gamma=0.9/s0", "none/train.gamma=0.9/s1", "none/train.gamma=1.0/s0",
                        "none/train.gamma=1.0/s1", "H=1/train.gamma=0.9/s0",  "H=1/train.gamma=0.9/s1",
                        "H=1/train.gamma=1.0/s0",  "H=1/train.gamma=1.0/s1"};
  for (size_t i = 0; i < 8; ++i) {
    INFO(i);
    REQUIRE(s.rows[i].dir == dirs[i]);
    REQUIRE(s.rows[i].variant == (i < 4 ? "none" : "H=1"));
  }
  // The variant's assignments come before the grid's, in the order listed.
  REQUIRE(maac::app::shell_command(maac::app::row_argv(s, s.rows[5])) ==
          "/bin/maac train --config " + s.sweep_dir + "/base.toml --set actor.horizon=1 --set ablation=no_steve "
          "--set train.gamma=0.9 --seed 1 --out " + s.sweep_dir + "/H=1/train.gamma=0.9/s1 --quiet");
  REQUIRE_THAT(maac::app::sweep_table_csv(s), Contains("index,dir,seed,variant,train.gamma,command\n") &&
                                                  Contains("\n5,H=1/train.gamma=0.9/s1,1,H=1,0.9,/bin/maac train"));
  maac::rl::Config c = row_config(s, 5);
  REQUIRE(c.integer("actor.horizon") == 1);
  REQUIRE(c.text("ablation") == "no_steve");
  REQUIRE(row_config(s, 0).text("ablation") == "none");
}

TEST_CASE("bad variants are errors naming the variant") {
  TempDir t;
  auto error_of = [&](const std::string& variants) {
    try {
      load_sweep_spec(t.write("bad.toml", "seeds = [0]\n" + variants), "/bin/maac");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  REQUIRE_THAT(error_of("variants = [1]\n"), Contains("expected [[variants]] tables"));
  REQUIRE_THAT(error_of("[[variants]]\nset = []\n"), Contains("expected a 'name'"));
  REQUIRE_THAT(error_of("[[variants]]\nname = \"a/b\"\n"), Contains("variant 'a/b': expected a name"));
  REQUIRE_THAT(error_of("[[variants]]\nname = \"a\"\n[[variants]]\nname = \"a\"\n"), Contains("variant 'a': the name is listed twice"));
  REQUIRE_THAT(error_of("[[variants]]\nname = \"a\"\nsets = []\n"), Contains("unknown key 'sets'"));
  REQUIRE_THAT(error_of("[[variants]]\nname = \"a\"\nset = [\"actor.horizon\"]\n"), Contains("'actor.horizon': expected key=value"));
  REQUIRE_THAT(error_of("[[variants]]\nname = \"a\"\nset = [\"seed=3\"]\n"), Contains("list seeds in 'seeds'"));
  REQUIRE_THAT(error_of("[[variants]]\nname = \"a\"\nset = [\"ablation=h1\"]\n"),
               Contains("row 0 (a/s0)") && Contains("'ablation' = 'h1'"));
  REQUIRE_THAT(error_of("[grid]\n\"actor.horizon\" = [1]\n[[variants]]\nname = \"a\"\nset = [\"actor.horizon=2\"]\n"),
               Contains("variant 'a' sets 'actor.horizon', which the grid also sets"));
}
