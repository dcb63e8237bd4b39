// Whole runs of the `maac` binary as child processes (ctest label `soak`):
// - kill -9 at seeded random moments, then --resume, over and over: the finished run must
//   equal an uninterrupted one in every checkpoint tensor, every log value and TensorBoard
//   event that does not measure the clock or memory, and its best.safetensors agent;
// - once its buffers are full, a run's resident memory stays flat.
//
// The `maac` binary runs as a child process. It writes its loop's phase to
// MAAC_PHASE_FILE on every change (rl/run_probe.hpp); this test waits for a target phase,
// sleeps a seeded random delay and sends SIGKILL, then reads the phase the process died
// in. Targets rotate through every phase, so coverage is asserted, not hoped for. Every
// seventh restart instead sets MAAC_TEST_KILL_IN_CHECKPOINT_WRITE, which makes the
// process kill itself halfway through writing a checkpoint. MAAC_SOAK_SEED picks another
// schedule; the seed is printed.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "autodiff/random.hpp"
#include "autodiff/safetensors.hpp"
#include "tests/rl/run_outputs.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace maac;
using maac::test::deterministic_rows;

namespace {

// Small enough for CI, long enough for >= 20 kills: every phase recurs every 100 steps.
const char* kConfig = R"(
[env]
name = "InvertedPendulum"
max_episode_steps = 60
[run]
total_steps = 4000
initial_random_steps = 200
steps_per_iteration = 100
eval_every = 100
eval_episodes = 2
checkpoint_every = 50
threads = 1
[train]
updates_per_iteration = 30
update_blocks = 2
batch = 32
real_share = 0.5
[model]
members = 3
layers = 2
width = 32
max_epochs = 15
batch = 64
[rollout]
starts = 1000
schedule = [0, 4, 1, 3]
[actor]
horizon = 2
terminal_samples = 2
width = 32
[critic]
steve_horizon = 1
width = 32
[replay]
capacity = 20000
)";

struct Child {
  pid_t pid = -1;
  int status = 0;
};

Child spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env, const fs::path& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  Child c;
  const int rc = posix_spawn(&c.pid, args[0].c_str(), &files, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  REQUIRE(rc == 0);
  return c;
}

bool exited(Child& c) { return waitpid(c.pid, &c.status, WNOHANG) == c.pid; }

std::string read_phase(const fs::path& file) {
  std::ifstream in(file);
  std::string word;
  in >> word;
  return word;
}

std::string tail(const fs::path& log) {
  std::ifstream in(log);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  return all.size() > 3000 ? all.substr(all.size() - 3000) : all;
}


std::vector<std::string> train_args(const fs::path& config, const fs::path& out, const std::string& algo, bool resume) {
  std::vector<std::string> a{MAAC_BINARY, "train", "--config", config.string(), "--out", out.string(), "--quiet",
                             "--set", "algo=" + algo};
  if (resume) a.push_back("--resume");
  return a;
}

void run_to_end(const std::vector<std::string>& args, const fs::path& log) {
  Child c = spawn(args, {}, log);
  REQUIRE(waitpid(c.pid, &c.status, 0) == c.pid);
  INFO(tail(log));
  REQUIRE(WIFEXITED(c.status));
  REQUIRE(WEXITSTATUS(c.status) == 0);
}

// The killed-and-resumed run equals the uninterrupted one: every log value but the clock
// and memory columns, every TensorBoard event but those, every checkpoint tensor but the
// wall time, the agent in best.safetensors.
void compare_with(const fs::path& whole, const fs::path& killed) {
  for (const char* file : {"progress.csv", "iterations.csv", "model_error.csv"}) {
    INFO(file);
    REQUIRE(deterministic_rows(killed, file) == deterministic_rows(whole, file));
  }
  const std::vector<std::string> events = maac::test::deterministic_events(whole);
  REQUIRE(events.size() > 41);  // the version, 40 evaluations, the iterations
  REQUIRE(maac::test::deterministic_events(killed) == events);
  {
    Safetensors a = Safetensors::load((whole / "best.safetensors").string());
    Safetensors b = Safetensors::load((killed / "best.safetensors").string());
    REQUIRE(a.metadata_or("env_steps", "a") == b.metadata_or("env_steps", "b"));
    for (const auto& [name, t] : a.tensors()) REQUIRE(t.bytes == b.tensor(name).bytes);
  }
  REQUIRE(deterministic_rows(whole).size() == 41);  // header + 40 evaluations
  Safetensors a = Safetensors::load((whole / "checkpoint.safetensors").string());
  Safetensors b = Safetensors::load((killed / "checkpoint.safetensors").string());
  REQUIRE(a.tensors().size() == b.tensors().size());
  for (const auto& [name, t] : a.tensors()) {
    INFO(name);
    if (name != "trainer.elapsed_seconds") REQUIRE(t.bytes == b.tensor(name).bytes);
  }
}

void kill_and_resume(const std::string& algo, const std::set<std::string>& must_hit) {
  const uint64_t seed = std::getenv("MAAC_SOAK_SEED") ? std::stoull(std::getenv("MAAC_SOAK_SEED")) : 20261201;
  std::cout << "kill test (" << algo << "): MAAC_SOAK_SEED=" << seed << std::endl;
  const fs::path root = fs::temp_directory_path() / ("maac_soak_" + std::to_string(::getpid())) / algo;
  fs::remove_all(root);
  fs::create_directories(root);
  const fs::path config = root / "config.toml", whole = root / "whole", killed = root / "killed";
  std::ofstream(config) << kConfig;
  const fs::path log = root / "log.txt", phase_file = root / "phase";

  run_to_end(train_args(config, whole, algo, false), log);

  // Targets rotate through the phases this algorithm has; delays are seeded.
  std::vector<std::string> targets(must_hit.begin(), must_hit.end());
  targets.erase(std::remove(targets.begin(), targets.end(), "checkpoint"), targets.end());
  Rng rng(seed);
  std::map<std::string, int> hits;
  int kills = 0, restarts = 0;
  // A killed run that finishes before the kills are enough (a loaded machine lets phases
  // pass unseen) is compared, then a fresh one starts: every finished run must equal the
  // uninterrupted one, and the kills add up across them.
  int runs = 0;
  for (;;) {
    bool finished = false;
    while (!finished) {
      REQUIRE(restarts < 400);  // a schedule that never finishes is a failure, not a hang
      const bool resume = fs::exists(killed / "checkpoint.safetensors");
      const bool enough = kills >= 30 && hits.size() >= must_hit.size();
      std::vector<std::string> env{"MAAC_PHASE_FILE=" + phase_file.string()};
      // Every seventh restart dies halfway through its first checkpoint write.
      const bool in_write = !enough && restarts % 7 == 6;
      if (in_write) env.push_back("MAAC_TEST_KILL_IN_CHECKPOINT_WRITE=1");
      fs::remove(phase_file);
      Child c = spawn(train_args(config, killed, algo, resume), env, log);
      ++restarts;
      const std::string target = targets[static_cast<size_t>(rng.below(static_cast<int64_t>(targets.size())))];
      // Half the delays are short enough to land inside the briefest phases (rollouts).
      const auto delay = std::chrono::microseconds(rng.below(2) ? rng.below(300) : rng.below(4000));
      // Kills spread over the run: the target phase is let pass a seeded number of times.
      const int64_t let_pass = rng.below(3);
      int64_t entries = 0;
      std::string seen;
      bool dead = false;
      while (!dead) {
        if (exited(c)) {
          dead = true;
          if (WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL) {
            ++kills;  // the checkpoint-write hook fired
            ++hits[read_phase(phase_file)];
          } else {
            INFO(tail(log));
            REQUIRE(WIFEXITED(c.status));
            REQUIRE(WEXITSTATUS(c.status) == 0);
            finished = true;
          }
          continue;
        }
        const std::string now = read_phase(phase_file);
        if (now == target && seen != target) ++entries;
        seen = now;
        if (!enough && !in_write && now == target && entries > let_pass) {
          std::this_thread::sleep_for(delay);
          ::kill(c.pid, SIGKILL);
          REQUIRE(waitpid(c.pid, &c.status, 0) == c.pid);
          dead = true;
          if (WIFSIGNALED(c.status)) {
            ++kills;
            ++hits[read_phase(phase_file)];
          } else {
            finished = WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0;
          }
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      }
    }
    ++runs;
    compare_with(whole, killed);
    if (kills >= 30 && hits.size() >= must_hit.size()) break;
    fs::remove_all(killed);
  }
  std::cout << "kill test (" << algo << "): " << kills << " kills over " << restarts << " starts in " << runs
            << " run(s); phase at death:";
  for (const auto& [phase, n] : hits) std::cout << " " << phase << "=" << n;
  std::cout << std::endl;

  REQUIRE(kills >= 30);
  for (const std::string& phase : must_hit) {
    INFO("phase never interrupted: " << phase);
    REQUIRE(hits.count(phase) == 1);
  }
  fs::remove_all(root);
}

}  // namespace

TEST_CASE("MAAC killed with SIGKILL in every phase resumes to the uninterrupted run") {
  kill_and_resume("maac", {"collection", "model_fit", "rollouts", "updates", "evaluation", "checkpoint"});
}

TEST_CASE("SAC killed with SIGKILL in every phase resumes to the uninterrupted run") {
  kill_and_resume("sac", {"collection", "updates", "evaluation", "checkpoint"});
}

TEST_CASE("resident memory stays flat once the replay buffers are full") {
  // Both buffers fill within the first 1200 steps (1000 real transitions; 3000 model
  // transitions from 500 starts per block); the run then goes on to 6000 steps.
  const fs::path root = fs::temp_directory_path() / ("maac_soak_" + std::to_string(::getpid())) / "memory";
  fs::remove_all(root);
  fs::create_directories(root);
  std::ofstream(root / "config.toml") << kConfig;
  const std::vector<std::string> sets{"run.total_steps=6000", "run.eval_every=200", "run.steps_per_iteration=200",
                                      "replay.capacity=1000", "rollout.buffer=3000", "rollout.starts=500",
                                      "train.updates_per_iteration=20"};
  std::vector<std::string> args = train_args(root / "config.toml", root / "run", "maac", false);
  for (const std::string& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  run_to_end(args, root / "log.txt");
  // rss_mb by env_steps, from progress.csv.
  std::ifstream in(root / "run" / "progress.csv");
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> header;
  for (std::stringstream h(line); std::getline(h, cell, ',');) header.push_back(cell);
  const size_t rss_col = static_cast<size_t>(std::find(header.begin(), header.end(), "rss_mb") - header.begin());
  REQUIRE(rss_col < header.size());
  double at_full = 0, peak_after = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    for (std::stringstream r(line); std::getline(r, cell, ',');) row.push_back(cell);
    const double steps = std::stod(row[0]), rss = std::stod(row[rss_col]);
    if (steps == 2000) at_full = rss;
    if (steps > 2000) peak_after = std::max(peak_after, rss);
  }
  std::cout << "resident memory: " << at_full << " MiB at 2000 env steps (buffers full), at most " << peak_after
            << " MiB up to 6000 (" << 100.0 * (peak_after / at_full - 1.0) << " % growth)" << std::endl;
  REQUIRE(at_full > 0);
  REQUIRE(peak_after < 1.05 * at_full);
  fs::remove_all(root);
}
