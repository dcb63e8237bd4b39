// `maac experiment ablations`: the paper's ablations (Fig 4) and horizon sweep (Fig 5).
// Writes one sweep spec, runs it through `maac sweep`'s code (resuming finished runs) and
// reports it through `maac aggregate`'s code: a table relative to `none`, curves, PNGs.
#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/ablations_plan.hpp"
#include "app/aggregate.hpp"
#include "app/commands.hpp"
#include "app/sweep_run.hpp"
#include "app/sweep_spec.hpp"
#include "rl/trainer_config.hpp"

namespace maac::app {
namespace fs = std::filesystem;
namespace {

struct AblationsArgs {
  std::string config = "configs/inverted_pendulum_small.toml";
  std::vector<std::string> sets;
  int64_t seeds = 3;
  std::optional<std::string> steps;
  std::string out = "runs/ablations";
  std::vector<std::string> variants{"none", "h0", "no_steve", "single_sample", "real_only", "no_entropy"};
  std::vector<int64_t> horizons{0, 1, 2, 4, 8};
  int64_t threads = 1;
  int64_t last = 3;
  bool plan = false, aggregate_only = false;
  SweepArgs sweep;
};

// The base every variant starts from: the config file <- no early stop <- --steps <- --set.
rl::Config base_config(const AblationsArgs& a) {
  rl::Config base(rl::trainer_schema());
  base.merge_toml_file(a.config);
  // Curves are compared over the whole budget: a run stopped at run.stop_at_return would
  // cut every curve of its figure there (--set can turn it back on).
  base.set("run.stop_at_return=1e30", "maac experiment ablations");
  if (a.steps) base.set(std::string(rl::key::total_steps) + "=" + *a.steps, "--steps " + *a.steps);
  for (const std::string& s : a.sets) base.set(s);
  if (base.text(rl::key::ablation) != "none")
    throw std::invalid_argument("ablation = '" + base.text(rl::key::ablation) +
                                "' in the base config: the experiment sets 'ablation' per variant (--variants); leave it none");
  rl::training_options(base);  // a bad combination fails here, before anything is written
  return base;
}

// A file of the study's directory: written once; a rerun must produce the same text, so
// finished runs are only ever reused for the settings they ran with.
void write_or_check(const fs::path& path, const std::string& text, const std::string& dir) {
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (old == text) return;
    throw std::invalid_argument("'" + path.string() + "' differs from what this command writes: '" + dir +
                                "' holds a study with other settings (config, --set, --steps, --seeds, --variants, "
                                "--horizons or --threads); choose another --out or remove it");
  }
  write_file_atomically(path.string(), text);
}

void print_plan(const AblationsPlan& plan, const SweepSpec& spec) {
  fmt::print("maac experiment ablations: {} variants x {} seeds = {} runs in {} (spec {})\n", plan.variants.size(),
             spec.seeds.size(), spec.rows.size(), spec.sweep_dir, spec.spec_path);
  std::string abl, hor;
  for (const std::string& v : plan.ablation_figure) abl += (abl.empty() ? "" : ", ") + v;
  for (const auto& [h, v] : plan.horizon_figure)
    hor += fmt::format("{}H={}{}", hor.empty() ? "" : ", ", h, v == "H=" + std::to_string(h) ? "" : " (runs of " + v + ")");
  fmt::print("  ablations figure: {}\n  horizon figure:   {}\n", abl, hor);
}

std::vector<std::string> run_dirs(const SweepSpec& spec, const std::string& variant) {
  std::vector<std::string> dirs;
  for (const SweepRow& row : spec.rows)
    if (row.variant == variant) dirs.push_back(spec.run_dir(row));
  return dirs;
}

// One figure: aggregate's table (the runs' last evaluations), curves and PNG under out/<name>.
std::vector<AggregateEntry> aggregate_figure(const AblationsArgs& a, const std::vector<std::string>& variants,
                                             const SweepSpec& spec, const std::string& name, const std::string& by,
                                             const std::string& prefix, const std::string& title) {
  AggregateArgs args;
  for (const std::string& v : variants)
    for (const std::string& d : run_dirs(spec, v)) args.dirs.push_back(d);
  args.last = a.last;
  args.by = {by};
  args.label_prefix = prefix;
  args.plot_title = title;
  args.out = (fs::path(a.out) / name).string();
  fmt::print("\n{}:\n", title);
  return run_aggregate(args);
}

// The comparison: each variant's final performance and its ratio to none's point estimate.
void write_comparison(const AblationsArgs& a, const std::vector<AggregateEntry>& ablations,
                      const std::vector<AggregateEntry>& horizons, const AblationsPlan& plan) {
  const AggregateEntry* none = nullptr;
  for (const AggregateEntry& e : ablations)
    if (e.label == "none") none = &e;
  if (!none) throw std::logic_error("the ablations figure has no 'none' group");
  auto ratio = [](double x, double ref) { return ref == 0 ? NAN : x / ref; };
  std::string csv =
      "figure,variant,runs_of,env,at,runs,mean,mean_lower,mean_upper,iqm,iqm_lower,iqm_upper,"
      "mean_vs_none,mean_vs_none_lower,mean_vs_none_upper,iqm_vs_none,iqm_vs_none_lower,iqm_vs_none_upper\n";
  fmt::print("\nmaac experiment ablations: final performance (each run's mean over its last {} evaluations), 95 % "
             "stratified-bootstrap intervals;\nvs none: divided by none's point estimate (the interval is the variant's)\n",
             a.last);
  fmt::print("{:<10} {:<14} {:>4}  {:>28} {:>8}  {:>28} {:>8}\n", "figure", "variant", "runs", "IQM [95 % CI]", "vs none",
             "mean [95 % CI]", "vs none");
  auto add = [&](const std::string& figure, const AggregateEntry& e, const std::string& runs_of) {
    const stats::Interval &m = e.mean, &q = e.iqm;
    const double rm = none->mean.point, rq = none->iqm.point;
    csv += fmt::format("{},{},{},{},{},{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n",
                       figure, e.label, runs_of, e.env, e.at, e.runs, m.point, m.lower, m.upper, q.point, q.lower, q.upper,
                       ratio(m.point, rm), ratio(m.lower, rm), ratio(m.upper, rm), ratio(q.point, rq), ratio(q.lower, rq),
                       ratio(q.upper, rq));
    fmt::print("{:<10} {:<14} {:>4}  {:>28} {:>7.0f}%  {:>28} {:>7.0f}%\n", figure, e.label, e.runs,
               fmt::format("{:.1f} [{:.1f}, {:.1f}]", q.point, q.lower, q.upper), 100 * ratio(q.point, rq),
               fmt::format("{:.1f} [{:.1f}, {:.1f}]", m.point, m.lower, m.upper), 100 * ratio(m.point, rm));
  };
  for (const AggregateEntry& e : ablations) add("ablations", e, e.label);
  for (const AggregateEntry& e : horizons)
    for (const auto& [h, variant] : plan.horizon_figure)
      if (e.label == "H=" + std::to_string(h)) add("horizon", e, variant);
  write_file_atomically((fs::path(a.out) / "table.csv").string(), csv);
  fmt::print("wrote {}/table.csv; curves and PNGs in {}/ablations/ and {}/horizon/\n", a.out, a.out, a.out);
}

void run_ablations(const AblationsArgs& a) {
  if (a.plan && a.aggregate_only) throw std::invalid_argument("--plan and --aggregate-only: choose one");
  rl::Config base = base_config(a);
  AblationsPlan plan = plan_ablations(a.variants, a.horizons, base.integer("actor.horizon"));
  const std::string spec_text = ablations_spec_toml(plan, fs::absolute(a.out).lexically_normal().string(), a.seeds, a.threads);
  fs::create_directories(a.out);
  write_or_check(fs::path(a.out) / "base_config.toml",
                 "# maac experiment ablations: the base config every variant starts from (--config, --steps, --set)\n" +
                     base.to_toml(),
                 a.out);
  write_or_check(fs::path(a.out) / "sweep.toml", spec_text, a.out);

  SweepArgs sweep = a.sweep;
  sweep.spec = (fs::path(a.out) / "sweep.toml").string();
  const SweepSpec spec = load_sweep_spec(sweep.spec, "maac");  // the rows' directories; sweep runs its own copy
  print_plan(plan, spec);
  std::fflush(stdout);
  if (a.plan) {
    sweep.list = true;
    run_sweep(sweep);
    return;
  }
  if (!a.aggregate_only) {
    if (int code = run_sweep(sweep); code != 0) {
      fmt::print("maac experiment ablations: not aggregated: the sweep did not finish every run; run the same command "
                 "again to resume\n");
      throw CLI::RuntimeError(code);
    }
    if (sweep.backend == "slurm") {
      fmt::print("maac experiment ablations: once the array job has finished, run the same command with "
                 "--aggregate-only\n");
      return;
    }
  }
  std::vector<std::string> horizon_variants;
  for (const auto& hv : plan.horizon_figure) horizon_variants.push_back(hv.second);
  const auto ablations =
      aggregate_figure(a, plan.ablation_figure, spec, "ablations", rl::key::ablation, "", "ablations (paper Fig 4)");
  std::vector<AggregateEntry> horizons;
  if (!horizon_variants.empty())
    horizons = aggregate_figure(a, horizon_variants, spec, "horizon", "actor.horizon", "H=", "horizon H (paper Fig 5)");
  write_comparison(a, ablations, horizons, plan);
}

}  // namespace

void add_experiment_ablations(CLI::App& experiment) {
  auto args = std::make_shared<AblationsArgs>();
  auto* cmd = experiment.add_subcommand(
      "ablations", "The paper's ablations (Fig 4) and horizon sweep (Fig 5) over seeds, as one sweep, then aggregated");
  cmd->add_option("--config", args->config, "Base config (TOML)")->capture_default_str();
  cmd->add_option("--set", args->sets, "Override a base config key: --set model.width=64 (repeatable)");
  cmd->add_option("--seeds", args->seeds, "Seeds per variant: 0 .. N-1")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  cmd->add_option("--steps", args->steps, "Env steps of every run (overrides run.total_steps)");
  cmd->add_option("--out", args->out, "Study directory: sweep.toml, runs/, table.csv, ablations/, horizon/")
      ->capture_default_str();
  cmd->add_option("--variants", args->variants, "Ablations to run (none, the reference, always runs)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--horizons", args->horizons, "actor.horizon values of the horizon sweep (ablation none)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "run.threads of every run")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--last", args->last, "Final performance: each run's mean over its last K evaluations")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  add_sweep_backend_options(*cmd, args->sweep);
  cmd->add_flag("--plan", args->plan, "Write the spec, print the runs (maac sweep --list) and run nothing");
  cmd->add_flag("--aggregate-only", args->aggregate_only, "Aggregate the finished runs without running any");
  cmd->callback([args] { run_ablations(*args); });
}

}  // namespace maac::app
