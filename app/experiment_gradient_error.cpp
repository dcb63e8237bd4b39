// `maac experiment gradient-error`: the paper's section 5.2 / Fig 3 on the
// DoubleIntegrator (rl/gradient_error.hpp). Writes gradient_error.csv (one row per
// estimator x H x seed), gradient_error_summary.csv (mean and spread over seeds per
// estimator x H) and gradient_error.png (gnuplot) under --out.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/gnuplot.hpp"
#include "app/text_file.hpp"
#include "autodiff/device.hpp"
#include "rl/gradient_error.hpp"

namespace maac::app {
namespace {

struct GradientErrorArgs {
  std::vector<int64_t> seeds{0, 1, 2, 3, 4};
  std::string out = "gradient_error";
  int threads = 1;  // the networks are small: more GEMM threads only contend
  rl::GradientErrorOptions options;
};

const char* const kEstimators[] = {"true_dynamics", "learned_model"};

struct Spread {
  double mean = 0, std = 0;  // std: the sample standard deviation over seeds (0 for one seed)
};
Spread spread(const std::vector<double>& v) {
  Spread s;
  for (double x : v) s.mean += x / double(v.size());
  for (double x : v) s.std += v.size() > 1 ? (x - s.mean) * (x - s.mean) / double(v.size() - 1) : 0.0;
  s.std = std::sqrt(s.std);
  return s;
}

struct SummaryRow {
  std::string estimator;
  int64_t horizon = 0, seeds = 0;
  Spread l1, relative, cosine;
  double mc_se_l1 = 0;  // mean over seeds of sum_i se_i: the Monte Carlo part of the L1 error's scale
};

std::vector<SummaryRow> summarise(const std::vector<rl::GradientErrorRow>& rows, const std::vector<int64_t>& horizons) {
  std::vector<SummaryRow> out;
  for (const char* estimator : kEstimators)
    for (int64_t H : horizons) {
      std::vector<double> l1, rel, cos;
      double se = 0;
      for (const auto& r : rows)
        if (r.estimator == estimator && r.horizon == H) {
          l1.push_back(r.error.l1);
          rel.push_back(r.error.relative);
          cos.push_back(r.error.cosine);
          for (double x : r.standard_error) se += x;
        }
      out.push_back({estimator, H, int64_t(l1.size()), spread(l1), spread(rel), spread(cos), se / double(l1.size())});
    }
  return out;
}

// Left: the L1 error (log scale) against H; right: the cosine. Mean over seeds with one
// standard deviation as error bars.
void plot(const std::vector<SummaryRow>& summary, const GradientErrorArgs& args, const std::string& png) {
  const auto& o = args.options;
  std::string script = "set datafile separator ','\nset terminal pngcairo size 1100,480 noenhanced font 'sans,11'\n"
                       "set output " + gnuplot_quoted(png) + "\n";
  for (size_t e = 0; e < 2; ++e) {
    script += fmt::format("$d{} << EOD\n", e);
    for (const SummaryRow& r : summary)
      if (r.estimator == kEstimators[e])
        script += fmt::format("{},{:.17g},{:.17g},{:.17g},{:.17g}\n", r.horizon, r.l1.mean, r.l1.std, r.cosine.mean,
                              r.cosine.std);
    script += "EOD\n";
  }
  script += "set multiplot layout 1,2 title " +
            gnuplot_quoted(fmt::format("DoubleIntegrator, u = Kx + {:g} eps, K = [{:g}, {:g}], gamma {:g}: mean +- sd "
                                       "over {} seeds",
                                       o.noise_std, o.gain[0], o.gain[1], o.gamma, args.seeds.size())) +
            fmt::format("\nset grid\nset xlabel 'H (model steps)'\nset xrange [{}:{}]\nset key top right\n",
                        double(*std::min_element(o.horizons.begin(), o.horizons.end())) - 0.5,
                        double(*std::max_element(o.horizons.begin(), o.horizons.end())) + 0.5);
  script += "set logscale y\nset ylabel 'L1 error of dJ/dK'\n"
            "plot $d0 using 1:2:3 with yerrorlines linewidth 2 pointtype 7 title 'true dynamics + learned Q', "
            "$d1 using 1:2:3 with yerrorlines linewidth 2 pointtype 5 title 'learned model + learned Q'\n";
  script += "unset logscale y\nset ylabel 'cosine(estimate, dJ/dK)'\nset key bottom right\n"
            "plot $d0 using 1:4:5 with yerrorlines linewidth 2 pointtype 7 title 'true dynamics + learned Q', "
            "$d1 using 1:4:5 with yerrorlines linewidth 2 pointtype 5 title 'learned model + learned Q'\n"
            "unset multiplot\n";
  run_gnuplot(script, png);
}

void run_gradient_error(const GradientErrorArgs& args) {
  const auto& o = args.options;
  o.check();
  if (args.seeds.empty()) throw std::invalid_argument("--seeds: none given");
  for (const auto* list : {&args.seeds, &o.horizons}) {
    const std::set<int64_t> unique(list->begin(), list->end());
    if (unique.size() != list->size())
      throw std::invalid_argument(fmt::format("{} has a value twice: {}", list == &args.seeds ? "--seeds" : "--horizons",
                                              fmt::join(*list, ",")));
  }
  for (int64_t s : args.seeds)
    if (s < 0) throw std::invalid_argument(fmt::format("--seeds {}: expected >= 0", s));
  if (args.threads < 1 || args.threads > 256)
    throw std::invalid_argument(fmt::format("--threads {}: expected 1 .. 256", args.threads));
  device::set_cpu_threads(args.threads);

  // Everything is computed before anything is written: a failure leaves no partial output.
  std::vector<rl::GradientErrorRow> rows;
  std::vector<rl::GradientErrorSeed> seeds;
  for (int64_t seed : args.seeds) {
    seeds.push_back(rl::run_gradient_error_seed(o, uint64_t(seed), [](const std::string& line) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    }));
    rows.insert(rows.end(), seeds.back().rows.begin(), seeds.back().rows.end());
  }
  const std::vector<SummaryRow> summary = summarise(rows, o.horizons);
  const std::vector<double>& exact = seeds.front().exact;
  fmt::print("exact dJ/dK = [{:.6g}, {:.6g}] over T = {} steps; the unbounded-episode gradient differs by {:.2g} "
             "(relative L1)\n",
             exact[0], exact[1], o.env.max_episode_steps, seeds.front().truncation_gap);

  std::string per_seed = "estimator,horizon,seed,grad_0,grad_1,exact_0,exact_1,l1,relative,cosine,mc_se_0,mc_se_1,"
                         "transitions,model_transitions,td_loss,model_holdout_mse\n";
  for (const auto& s : seeds)
    for (const auto& r : s.rows)
      per_seed += fmt::format("{},{},{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{},{},{:.17g},"
                              "{:.17g}\n",
                              r.estimator, r.horizon, r.seed, r.gradient[0], r.gradient[1], s.exact[0], s.exact[1],
                              r.error.l1, r.error.relative, r.error.cosine, r.standard_error[0], r.standard_error[1],
                              s.transitions, s.model_transitions, s.td_loss, s.model_holdout_mse);
  std::string table =
      "estimator,horizon,seeds,l1_mean,l1_std,relative_mean,relative_std,cosine_mean,cosine_std,mc_se_l1_mean\n";
  fmt::print("{:<14} {:>3}  {:>22}  {:>22}  {:>22}  {:>8}\n", "estimator", "H", "L1 error (mean +- sd)", "relative",
             "cosine", "MC se");
  for (const SummaryRow& r : summary) {
    table += fmt::format("{},{},{},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g}\n", r.estimator, r.horizon,
                         r.seeds, r.l1.mean, r.l1.std, r.relative.mean, r.relative.std, r.cosine.mean, r.cosine.std,
                         r.mc_se_l1);
    fmt::print("{:<14} {:>3}  {:>22}  {:>22}  {:>22}  {:>8.4f}\n", r.estimator, r.horizon,
               fmt::format("{:.4f} +- {:.4f}", r.l1.mean, r.l1.std),
               fmt::format("{:.3f} +- {:.3f}", r.relative.mean, r.relative.std),
               fmt::format("{:.4f} +- {:.4f}", r.cosine.mean, r.cosine.std), r.mc_se_l1);
  }
  const std::filesystem::path dir(args.out);
  std::filesystem::create_directories(dir);
  write_file(dir / "gradient_error.csv", per_seed);
  write_file(dir / "gradient_error_summary.csv", table);
  fmt::print("wrote {} and {}\n", (dir / "gradient_error.csv").string(), (dir / "gradient_error_summary.csv").string());
  if (!gnuplot_available()) {
    fmt::print(stderr, "maac experiment gradient-error: PNG skipped: gnuplot is not installed (scripts/setup.sh "
                       "installs gnuplot-nox)\n");
    return;
  }
  const std::string png = (dir / "gradient_error.png").string();
  plot(summary, args, png);
  fmt::print("wrote {}\n", png);
}

}  // namespace

void add_experiment_gradient_error(CLI::App& experiment) {
  auto args = std::make_shared<GradientErrorArgs>();
  auto& o = args->options;
  auto* cmd = experiment.add_subcommand(
      "gradient-error", "Gradient error vs horizon on the DoubleIntegrator (paper section 5.2, Fig 3): the MAAC "
                        "objective's dJ/dK through the true dynamics and a learned ensemble, each with a learned Q, "
                        "against the closed form");
  cmd->add_option("--seeds", args->seeds, "Seeds (each: its own data, Q, ensemble and start states)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--horizons", o.horizons, "Horizons H (model steps before the terminal Q)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Directory for gradient_error.csv, gradient_error_summary.csv and "
                                      "gradient_error.png")
      ->capture_default_str();
  cmd->add_option("--gain", o.gain, "The policy's gain K (2 values: position, velocity)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--noise-std", o.noise_std, "The policy's noise sigma")->capture_default_str();
  cmd->add_option("--gamma", o.gamma, "Discount")->capture_default_str();
  cmd->add_option("--episode-steps", o.env.max_episode_steps, "Episode length T")->capture_default_str();
  cmd->add_option("--data-episodes", o.data_episodes, "Episodes of real transitions for Q and the ensemble")
      ->capture_default_str();
  cmd->add_option("--estimate-episodes", o.estimate_episodes, "Episodes whose visited states start the paths")
      ->capture_default_str();
  cmd->add_option("--estimate-groups", o.estimate_groups, "Groups of estimation episodes (Monte Carlo error)")
      ->capture_default_str();
  cmd->add_option("--terminal-samples", o.terminal_samples, "Actions sampled at s_H for the terminal Q")
      ->capture_default_str();
  cmd->add_option("--td-steps", o.td_steps, "TD updates of the learned Q")->capture_default_str();
  cmd->add_option("--td-batch", o.td_batch, "TD batch size")->capture_default_str();
  cmd->add_option("--critic-lr", o.critic_lr, "Adam step size of the learned Q")->capture_default_str();
  cmd->add_option("--members", o.members, "Ensemble members")->capture_default_str();
  cmd->add_option("--model-epochs", o.model_max_epochs, "Most epochs of the ensemble fit (early stopping on "
                                                        "held-out NLL)")
      ->capture_default_str();
  cmd->add_option("--model-transitions", o.model_transitions,
                  "Fit the ensemble on the first N real transitions only (the Q uses all of them); 0: all")
      ->capture_default_str();
  cmd->add_option("--model-hidden", o.model_hidden, "Hidden widths of each ensemble member (e.g. 64,64 or 8)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads of the GEMMs")->capture_default_str();
  cmd->callback([args] { run_gradient_error(*args); });
}

}  // namespace maac::app
