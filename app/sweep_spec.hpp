// A sweep: a base config, a grid of config values and a list of seeds, expanded to a
// table of `maac train` runs, each with its own run directory (docs/workflow.md).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace maac::app {

struct SweepRow {
  int64_t index = 0;
  int64_t seed = 0;
  std::string variant;                                      // the [[variants]] name ("" without variants)
  std::vector<std::pair<std::string, std::string>> values;  // grid key -> value as --set takes it
  std::string dir;                                          // run directory, relative to the sweep directory
  std::vector<std::string> args;                            // `maac train` arguments (no program, no --resume)
};

struct SweepSpec {
  std::string spec_path;  // absolute
  std::string name;       // the sweep directory's name
  std::string sweep_dir;  // absolute: <out>/<name>
  std::string maac;       // absolute path of the maac binary every row runs
  int64_t threads = 1;    // run.threads of every row (and Slurm's --cpus-per-task)
  std::string base_toml;  // the resolved base config every row starts from (base.toml)
  std::vector<std::string> grid_keys;
  // [[variants]]: named sets of `key=value` assignments, not a product of keys (the
  // paper's ablations); every variant runs the whole grid. Empty: the grid alone.
  std::vector<std::pair<std::string, std::vector<std::string>>> variants;
  std::vector<int64_t> seeds;
  std::vector<SweepRow> rows;
  std::vector<std::string> slurm_options;  // extra #SBATCH lines, e.g. "--time=02:00:00"
  int64_t slurm_max_parallel = 0;          // the array's %N throttle (0: none)

  std::string path(const std::string& relative) const { return sweep_dir + "/" + relative; }
  std::string run_dir(const SweepRow& row) const { return path(row.dir); }
};

// Reads and expands a spec; every row's config is resolved through the trainer's schema,
// so a bad key or value is an error here, before any run starts. `out` resolves against
// the working directory, `config` against the spec's folder.
SweepSpec load_sweep_spec(const std::string& spec_path, const std::string& maac_binary);

// The table written to <sweep>/table.csv: index, dir, seed, variant (when the spec has
// variants), one column per grid key, command.
std::string sweep_table_csv(const SweepSpec& spec);
// One shell word per argument, quoted only where needed.
std::string shell_command(const std::vector<std::string>& argv);
// The row's full command line, as the table prints it.
std::vector<std::string> row_argv(const SweepSpec& spec, const SweepRow& row);
// The array job's batch script (sweep.sbatch).
std::string slurm_script(const SweepSpec& spec, const std::string& working_dir);

// Writes spec.toml, base.toml, table.csv and logs/ into the sweep directory; a directory
// prepared from a spec that expands differently is refused, so a row never changes
// under a run (a requeued task or a rerun sweep resumes the same command).
void prepare_sweep_dir(const SweepSpec& spec);
// Writes a file through a temp file and a rename.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace maac::app
