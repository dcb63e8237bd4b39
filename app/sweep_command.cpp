// `maac sweep SPEC`: expand a sweep spec to a table of runs and run them with local
// worker processes, as a Slurm array job, or one row (--index: what each array task calls).
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/commands.hpp"
#include "app/sweep_run.hpp"
#include "app/sweep_spec.hpp"

namespace maac::app {
namespace fs = std::filesystem;
namespace {

std::string this_binary() { return fs::read_symlink("/proc/self/exe").string(); }

std::string checkpoint_of(const SweepSpec& spec, const SweepRow& row) {
  return spec.run_dir(row) + "/checkpoint.safetensors";
}

// The row's command with --resume when its checkpoint exists.
std::vector<std::string> row_command(const SweepSpec& spec, const SweepRow& row) {
  std::vector<std::string> argv = row_argv(spec, row);
  if (fs::exists(checkpoint_of(spec, row))) argv.push_back("--resume");
  return argv;
}

[[noreturn]] void exec_argv(const std::vector<std::string>& argv) {
  std::vector<char*> c;
  for (const std::string& a : argv) c.push_back(const_cast<char*>(a.c_str()));
  c.push_back(nullptr);
  ::execv(c[0], c.data());
  throw std::runtime_error("cannot run '" + argv[0] + "': " + std::strerror(errno));
}

// One row, in this process (exec): a requeued Slurm task or a rerun resumes its checkpoint,
// a row that never wrote one starts fresh.
[[noreturn]] void run_index(const SweepSpec& spec, int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(spec.rows.size()))
    throw std::invalid_argument(fmt::format("--index {}: the sweep '{}' has rows 0 .. {}", index, spec.name, spec.rows.size() - 1));
  const SweepRow& row = spec.rows[static_cast<size_t>(index)];
  std::vector<std::string> argv = row_command(spec, row);
  const char* restarts = std::getenv("SLURM_RESTART_COUNT");
  fmt::print("maac sweep '{}': row {} of {} ({}), {}{}:\n{}\n", spec.name, index, spec.rows.size(), row.dir,
             argv.back() == "--resume" ? "resuming from its checkpoint" : "starting fresh",
             restarts ? fmt::format(", Slurm restart {}", restarts) : "", shell_command(argv));
  std::fflush(stdout);
  exec_argv(argv);
}

std::atomic<int> g_sweep_signal{0};

// The local back end: up to `workers` rows at once, each a child `maac sweep SPEC --index I`
// whose output goes to logs/I.log; a failed row is reported and the others go on.
int run_local(const SweepSpec& spec, int workers) {
  struct sigaction sa {};
  sa.sa_handler = [](int signo) { g_sweep_signal.store(signo); };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  enum class Status { waiting, running, done, failed, stopped };
  struct Slot {
    Status status = Status::waiting;
    int exit_code = 0;
    std::chrono::steady_clock::time_point started;
  };
  std::vector<Slot> slots(spec.rows.size());
  std::map<pid_t, size_t> running;
  size_t next = 0;
  const std::string binary = this_binary();
  auto count = [&](Status s) { return std::count_if(slots.begin(), slots.end(), [&](const Slot& x) { return x.status == s; }); };
  auto summary = [&] {
    return fmt::format("{} done, {} failed, {} running, {} waiting{}", count(Status::done), count(Status::failed),
                       count(Status::running), count(Status::waiting),
                       count(Status::stopped) ? fmt::format(", {} stopped", count(Status::stopped)) : "");
  };
  fmt::print("maac sweep '{}': {} runs, {} workers, table {}, logs {}\n", spec.name, spec.rows.size(), workers,
             spec.path("table.csv"), spec.path("logs/"));
  std::fflush(stdout);
  auto last_report = std::chrono::steady_clock::now();
  bool forwarded = false;
  while (true) {
    const int signo = g_sweep_signal.load();
    if (signo && !forwarded) {  // stop: no new rows; running ones checkpoint and stop
      for (const auto& [pid, i] : running) ::kill(pid, SIGTERM);
      forwarded = true;
      fmt::print("maac sweep: signal {}: stopping {} running rows (each writes its checkpoint)\n", signo, running.size());
    }
    while (!signo && running.size() < static_cast<size_t>(workers) && next < spec.rows.size()) {
      const SweepRow& row = spec.rows[next];
      std::string log = spec.path("logs/" + std::to_string(row.index) + ".log");
      pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
      if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) ::_exit(126);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<std::string> argv{binary, "sweep", spec.spec_path, "--index", std::to_string(row.index)};
        std::vector<char*> c;
        for (std::string& a : argv) c.push_back(a.data());
        c.push_back(nullptr);
        ::execv(c[0], c.data());
        ::_exit(127);
      }
      slots[next] = {Status::running, 0, std::chrono::steady_clock::now()};
      running[pid] = next;
      fmt::print("  start row {} ({}){}\n", row.index, row.dir, fs::exists(checkpoint_of(spec, row)) ? ", resuming" : "");
      ++next;
    }
    if (running.empty()) break;
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(60)) {
        fmt::print("  ... {}\n", summary());
        std::fflush(stdout);
        last_report = std::chrono::steady_clock::now();
      }
      continue;
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    Slot& slot = slots[it->second];
    const SweepRow& row = spec.rows[it->second];
    running.erase(it);
    slot.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    slot.status = slot.exit_code == 0 ? Status::done : slot.exit_code == 128 + SIGINT || slot.exit_code == 128 + SIGTERM ? Status::stopped : Status::failed;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - slot.started).count();
    const char* what = slot.status == Status::done ? "done" : slot.status == Status::stopped ? "stopped (checkpoint written)" : "FAILED";
    fmt::print("  row {} ({}) {} after {} s{} | {}\n", row.index, row.dir, what, seconds,
               slot.status == Status::failed ? fmt::format(" (exit {}, log {})", slot.exit_code, spec.path("logs/" + std::to_string(row.index) + ".log")) : "",
               summary());
    std::fflush(stdout);
  }
  fmt::print("maac sweep '{}': {}\n", spec.name, summary());
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].status == Status::failed)
      fmt::print("  failed: row {} ({}), exit {}: {}\n", i, spec.rows[i].dir, slots[i].exit_code, spec.path("logs/" + std::to_string(i) + ".log"));
  if (count(Status::stopped) || count(Status::waiting)) fmt::print("  run the same command again to resume the rest\n");
  if (int signo = g_sweep_signal.load()) return 128 + signo;
  return count(Status::failed) ? 1 : 0;
}

void run_slurm(const SweepSpec& spec, bool submit, bool print) {
  std::string script = spec.path("sweep.sbatch");
  write_file_atomically(script, slurm_script(spec, fs::current_path().string()));
  if (print) fmt::print("{}", slurm_script(spec, fs::current_path().string()));
  if (!submit) {
    fmt::print("maac sweep '{}': {} runs; array job script {}\nsubmit it with: sbatch {}\n", spec.name, spec.rows.size(), script,
               shell_command({script}));
    return;
  }
  std::string command = "sbatch --parsable " + shell_command({script});
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("cannot run '" + command + "'");
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe.get())) out += buf;
  int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error("'" + command + "' failed (status " + std::to_string(status) + "): " + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  std::string job = out.substr(0, out.find(';'));
  write_file_atomically(spec.path("slurm_job_id"), job + "\n");
  fmt::print("maac sweep '{}': submitted array job {} ({} tasks); squeue -j {}; logs {}\n", spec.name, job, spec.rows.size(), job,
             spec.path("logs/"));
}

}  // namespace

int run_sweep(const SweepArgs& a) {
  SweepSpec spec = load_sweep_spec(a.spec, this_binary());
  if (a.index && (a.submit || a.print || a.list || a.workers))
    throw std::invalid_argument("--index runs one row: it takes no --submit, --print, --list or --workers");
  prepare_sweep_dir(spec);
  if (a.index) run_index(spec, *a.index);
  if (a.list) {
    fmt::print("{}", sweep_table_csv(spec));
    return 0;
  }
  if (a.backend == "slurm") {
    if (a.workers) throw std::invalid_argument("--workers is for --backend local");
    run_slurm(spec, a.submit, a.print);
    return 0;
  }
  if (a.submit || a.print) throw std::invalid_argument("--submit and --print are for --backend slurm");
  int workers = a.workers ? a.workers : std::max(1, static_cast<int>(std::thread::hardware_concurrency() / spec.threads));
  return run_local(spec, workers);
}

void add_sweep_backend_options(CLI::App& command, SweepArgs& args) {
  command.add_option("--backend", args.backend, "local: worker processes here; slurm: an array job script")
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "slurm"}));
  command.add_option("--workers", args.workers, "Local runs at once (default: cores / threads)")->check(CLI::Range(1, 1024));
  command.add_flag("--submit", args.submit, "slurm: submit the array job with sbatch");
  command.add_flag("--print", args.print, "slurm: print the array job script");
}

void add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  auto* sweep = app.add_subcommand("sweep", "Run a grid of configs and seeds: local workers or a Slurm array job");
  sweep->add_option("spec", args->spec, "Sweep spec (TOML; docs/workflow.md)")->required()->check(CLI::ExistingFile);
  add_sweep_backend_options(*sweep, *args);
  sweep->add_option("--index", args->index, "Run row I only (what each array task calls); resumes its checkpoint")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  sweep->add_flag("--list", args->list, "Print the table of runs (CSV, each row's command) and stop");
  sweep->callback([args] {
    if (int code = run_sweep(*args); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace maac::app
