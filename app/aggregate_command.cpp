// `maac aggregate RUN_DIRS...`: learning curves and tables across seeds, with the
// interquartile mean and the mean, each with a 95 % stratified-bootstrap interval
// (stats/bootstrap.hpp, the rliable method). Writes curves.csv, table.csv and one PNG
// per environment (gnuplot) under --out.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/aggregate.hpp"
#include "app/commands.hpp"
#include "app/gnuplot.hpp"
#include "app/text_file.hpp"
#include "app/run_results.hpp"
#include "stats/bootstrap.hpp"

namespace maac::app {
namespace {

// The runs of one algorithm (one value of the --by keys) on one task, or on all its tasks.
struct Group {
  std::string label;                // --by values joined by '/'
  std::string env;                  // env.name, or "all" across the algorithm's envs
  std::vector<std::vector<const RunResults*>> tasks;  // [task][run]
};

// One aggregated point: a curve step or a table entry.
struct Row {
  const Group* group;
  std::string at;  // env steps, or "lastK"
  int64_t runs, tasks;
  stats::Interval mean, iqm;
};

constexpr stats::Metric kMetrics[] = {stats::Metric::mean, stats::Metric::iqm};

Row aggregate_row(const Group& g, std::string at, const std::vector<std::vector<double>>& per_task_runs,
                  const stats::BootstrapOptions& options) {
  const auto runs = static_cast<int64_t>(per_task_runs[0].size()), tasks = static_cast<int64_t>(per_task_runs.size());
  stats::ScoreMatrix scores{runs, tasks, std::vector<double>(runs * tasks)};
  for (int64_t t = 0; t < tasks; ++t)
    for (int64_t r = 0; r < runs; ++r) scores.values[r * tasks + t] = per_task_runs[t][r];
  const auto iv = stats::stratified_bootstrap(scores, kMetrics, options);
  return Row{&g, std::move(at), runs, tasks, iv[0], iv[1]};
}

double value_at(const RunResults& run, int64_t steps) {
  auto it = std::lower_bound(run.env_steps.begin(), run.env_steps.end(), steps);
  if (it == run.env_steps.end() || *it != steps)
    throw std::invalid_argument(fmt::format("--at {}: run '{}' has no evaluation at {} env steps (it has {} from {} to {})",
                                            steps, run.dir, steps, run.env_steps.size(),
                                            run.env_steps.empty() ? 0 : run.env_steps.front(),
                                            run.env_steps.empty() ? 0 : run.env_steps.back()));
  return run.values[it - run.env_steps.begin()];
}

// Env steps where every run of the group has an evaluation: exact steps, no interpolation.
std::vector<int64_t> common_steps(const Group& g) {
  std::vector<int64_t> steps;
  bool first = true;
  for (const auto& task : g.tasks)
    for (const RunResults* run : task) {
      if (first) steps = run->env_steps;
      else {
        std::vector<int64_t> both;
        std::set_intersection(steps.begin(), steps.end(), run->env_steps.begin(), run->env_steps.end(),
                              std::back_inserter(both));
        steps = std::move(both);
      }
      first = false;
    }
  return steps;
}

std::vector<Group> make_groups(const std::vector<RunResults>& runs, const AggregateArgs& args) {
  std::vector<Group> groups;
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::vector<std::string> labels;  // in order of appearance
  for (const RunResults& run : runs) {
    std::string label = args.label_prefix;
    for (const std::string& v : run.group_values) {
      if (label.size() > args.label_prefix.size()) label += '/';
      label += v;
    }
    auto [it, fresh] = index.try_emplace({label, run.env}, groups.size());
    if (fresh) {
      groups.push_back(Group{label, run.env, {{}}});
      if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
    }
    groups[it->second].tasks[0].push_back(&run);
  }
  if (!args.across_envs) return groups;
  const size_t single = groups.size();
  for (const std::string& label : labels) {
    Group all{label, "all", {}};
    for (size_t g = 0; g < single; ++g)
      if (groups[g].label == label) all.tasks.push_back(groups[g].tasks[0]);
    if (all.tasks.size() < 2) continue;
    for (const auto& task : all.tasks)
      if (task.size() != all.tasks[0].size())
        throw std::invalid_argument(fmt::format(
            "--across-envs: '{}' has {} runs on {} but {} on {}; the stratified bootstrap needs the same number of "
            "runs on every env",
            label, all.tasks[0].size(), all.tasks[0][0]->env, task.size(), task[0]->env));
    groups.push_back(std::move(all));
  }
  return groups;
}

std::vector<std::vector<double>> scores_at(const Group& g, int64_t steps) {
  std::vector<std::vector<double>> out;
  for (const auto& task : g.tasks) {
    out.emplace_back();
    for (const RunResults* run : task) out.back().push_back(value_at(*run, steps));
  }
  return out;
}

std::vector<std::vector<double>> scores_last(const Group& g, int64_t last, const std::string& column) {
  std::vector<std::vector<double>> out;
  for (const auto& task : g.tasks) {
    out.emplace_back();
    for (const RunResults* run : task) {
      const auto n = static_cast<int64_t>(run->values.size());
      if (n < last)
        throw std::invalid_argument(
            fmt::format("--last {}: run '{}' has only {} evaluations of {}", last, run->dir, n, column));
      double sum = 0;
      for (int64_t i = n - last; i < n; ++i) sum += run->values[i];
      out.back().push_back(sum / static_cast<double>(last));
    }
  }
  return out;
}

std::string csv_header(const char* at_name) {
  return fmt::format("group,env,{},runs,tasks,mean,mean_lower,mean_upper,iqm,iqm_lower,iqm_upper\n", at_name);
}

std::string csv_row(const Row& r) {
  return fmt::format("{},{},{},{},{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g}\n", r.group->label, r.group->env,
                     r.at, r.runs, r.tasks, r.mean.point, r.mean.lower, r.mean.upper, r.iqm.point, r.iqm.lower,
                     r.iqm.upper);
}

std::string file_name_part(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return out;
}

// One PNG per env: each group's curve of the chosen metric with its interval as a band.
// Returns the files written; throws if gnuplot fails.
std::vector<std::string> plot_curves(const std::vector<Row>& curves, const AggregateArgs& args) {
  std::vector<std::string> envs, written;
  for (const Row& r : curves)
    if (std::find(envs.begin(), envs.end(), r.group->env) == envs.end()) envs.push_back(r.group->env);
  const bool iqm = args.plot_metric == "iqm";
  for (const std::string& env : envs) {
    const std::string png = (std::filesystem::path(args.out) / ("curves_" + file_name_part(env) + ".png")).string();
    std::string script =
        "set datafile separator ','\nset terminal pngcairo size 900,560 noenhanced font 'sans,11'\n"
        "set output " + gnuplot_quoted(png) + "\nset title " +
        gnuplot_quoted(fmt::format("{}{}: {} of {} across seeds, {:g} % stratified-bootstrap interval",
                                   args.plot_title.empty() ? "" : args.plot_title + ", ",
                                   env == "all" ? "all envs (raw returns)" : env,
                                   iqm ? "IQM" : "mean", args.column, 100 * args.confidence)) +
        "\nset xlabel 'environment steps'\nset ylabel " + gnuplot_quoted(args.column) +
        "\nset grid\nset key bottom right\nset style fill transparent solid 0.25 noborder\n";
    std::vector<const Group*> groups;
    for (const Row& r : curves)
      if (r.group->env == env && std::find(groups.begin(), groups.end(), r.group) == groups.end())
        groups.push_back(r.group);
    std::string plots;
    for (size_t g = 0; g < groups.size(); ++g) {
      script += fmt::format("$d{} << EOD\n", g);
      int64_t runs = 0;
      for (const Row& r : curves)
        if (r.group == groups[g]) {
          const stats::Interval& v = iqm ? r.iqm : r.mean;
          script += fmt::format("{},{:.17g},{:.17g},{:.17g}\n", r.at, v.point, v.lower, v.upper);
          runs = r.runs * r.tasks;
        }
      script += "EOD\n";
      plots += fmt::format("{}$d{} using 1:3:4 with filledcurves linecolor {} notitle, $d{} using 1:2 with lines "
                           "linewidth 2 linecolor {} title {}",
                           g ? ", " : "", g, g + 1, g, g + 1,
                           gnuplot_quoted(fmt::format("{} ({} runs)", groups[g]->label, runs)));
    }
    script += "plot " + plots + "\n";
    run_gnuplot(script, png);
    written.push_back(png);
  }
  return written;
}

void print_table(const std::vector<Row>& table, double confidence) {
  fmt::print("{:<16} {:<12} {:>9} {:>5}  {:>30}  {:>30}\n", "group", "env", "at", "runs",
             fmt::format("mean [{:g} % CI]", 100 * confidence), fmt::format("IQM [{:g} % CI]", 100 * confidence));
  for (const Row& r : table)
    fmt::print("{:<16} {:<12} {:>9} {:>5}  {:>30}  {:>30}\n", r.group->label, r.group->env, r.at, r.runs * r.tasks,
               fmt::format("{:.1f} [{:.1f}, {:.1f}]", r.mean.point, r.mean.lower, r.mean.upper),
               fmt::format("{:.1f} [{:.1f}, {:.1f}]", r.iqm.point, r.iqm.lower, r.iqm.upper));
}

}  // namespace

std::vector<AggregateEntry> run_aggregate(const AggregateArgs& args) {
  std::set<std::string> seen;
  for (const std::string& d : args.dirs)
    if (!seen.insert(std::filesystem::weakly_canonical(d).string()).second)
      throw std::invalid_argument(fmt::format("run directory '{}' is given twice", d));
  std::vector<RunResults> runs;
  runs.reserve(args.dirs.size());  // groups point into it
  for (const std::string& d : args.dirs) runs.push_back(read_run_results(d, args.by, args.column));
  const std::vector<Group> groups = make_groups(runs, args);
  const stats::BootstrapOptions options{args.reps, args.confidence, args.seed};

  std::vector<Row> curves, table;
  for (const Group& g : groups) {
    const std::vector<int64_t> steps = common_steps(g);
    if (steps.empty())
      fmt::print(stderr, "maac aggregate: warning: {} on {}: no env step where all {} runs have an evaluation\n",
                 g.label, g.env, g.tasks.size() * g.tasks[0].size());
    for (int64_t s : steps) curves.push_back(aggregate_row(g, std::to_string(s), scores_at(g, s), options));
    for (int64_t s : args.at) table.push_back(aggregate_row(g, std::to_string(s), scores_at(g, s), options));
    if (args.last > 0)
      table.push_back(aggregate_row(g, fmt::format("last{}", args.last), scores_last(g, args.last, args.column), options));
    fmt::print("{} on {}: {} runs, curve of {} steps{}\n", g.label, g.env, g.tasks.size() * g.tasks[0].size(),
               steps.size(), steps.empty() ? "" : fmt::format(" ({} to {})", steps.front(), steps.back()));
  }
  if (!table.empty()) print_table(table, args.confidence);
  std::vector<AggregateEntry> entries;
  for (const Row& r : table) entries.push_back({r.group->label, r.group->env, r.at, r.runs * r.tasks, r.mean, r.iqm});
  if (args.out.empty()) return entries;

  std::filesystem::create_directories(args.out);
  std::string curves_csv = csv_header("env_steps"), table_csv = csv_header("at");
  for (const Row& r : curves) curves_csv += csv_row(r);
  for (const Row& r : table) table_csv += csv_row(r);
  write_file(std::filesystem::path(args.out) / "curves.csv", curves_csv);
  write_file(std::filesystem::path(args.out) / "table.csv", table_csv);
  fmt::print("wrote {}/curves.csv and {}/table.csv\n", args.out, args.out);
  if (!gnuplot_available()) {
    fmt::print(stderr, "maac aggregate: PNG skipped: gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)\n");
    return entries;
  }
  for (const std::string& png : plot_curves(curves, args)) fmt::print("wrote {}\n", png);
  return entries;
}

void add_aggregate_command(CLI::App& app) {
  auto args = std::make_shared<AggregateArgs>();
  auto* cmd = app.add_subcommand("aggregate", "Curves and tables across seeds: IQM and mean with stratified-bootstrap "
                                              "intervals (rliable's method)");
  cmd->add_option("run_dirs", args->dirs, "Run directories (each with config.toml and progress.csv)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--at", args->at, "Env steps of the table: --at 10000,20000 (each run must have evaluated there)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--last", args->last, "Also a table row of each run's mean over its last K evaluations")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_option("--out", args->out, "Directory for curves.csv, table.csv and curves_<env>.png");
  cmd->add_option("--column", args->column, "progress.csv column to aggregate")->capture_default_str();
  cmd->add_option("--by", args->by, "Config keys that name an algorithm; runs are grouped by these and env.name")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--across-envs", args->across_envs,
                "Also aggregate each algorithm over all its envs (tasks), with runs resampled within each env; "
                "raw returns are not normalised across envs");
  cmd->add_option("--plot", args->plot_metric, "Metric the PNG draws")
      ->check(CLI::IsMember({"iqm", "mean"}))
      ->capture_default_str();
  cmd->add_option("--reps", args->reps, "Bootstrap resamples")->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->capture_default_str();
  cmd->add_option("--confidence", args->confidence, "Interval coverage")->check(CLI::Range(0.5, 0.999))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the bootstrap resampling")->capture_default_str();
  cmd->callback([args] { (void)run_aggregate(*args); });
}

}  // namespace maac::app
