// Running a sweep spec, as `maac sweep` does: shared with the commands that build a spec
// and run it (maac experiment ablations), so there is one runner.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace maac::app {

struct SweepArgs {
  std::string spec;
  std::string backend = "local";
  int workers = 0;
  std::optional<int64_t> index;
  bool submit = false, print = false, list = false;
};

// The back-end options (--backend, --workers, --submit, --print), for any command that runs a sweep.
void add_sweep_backend_options(CLI::App& command, SweepArgs& args);

// Prepares the sweep directory and runs the spec with the chosen back end; returns the
// local back end's status (0: every row done; 1: a row failed; 128 + signal: stopped).
// --index replaces this process with the row's `maac train`.
int run_sweep(const SweepArgs& args);

}  // namespace maac::app
