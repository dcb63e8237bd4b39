// GEMM libraries on the real GEMMs of training (issue #17): OpenBLAS, Eigen and the
// engine's automatic choice against the small-matrix libraries Debian ships (libxsmm,
// oneDNN matmul, BLIS), each where it was found at configure time.
//
// The GEMM lists are recorded, not written down: one rl::Agent::update at the
// HalfCheetah preset (configs/half_cheetah.toml) under cpu::GemmRecorder, and one step of
// the dynamics-model fit (DynamicsModel::training_loss forward + backward on [M, 256,
// obs + act]). Every library replays each list with its own operand buffers per GEMM (as
// the engine's), beta 0. Correctness first: every output of every library and thread
// count is compared with a double-precision triple loop before anything is timed.
// Then: the whole list per library (interleaved repetitions, medians), the top shape
// classes by FLOPs, the warm-up cost (JIT / primitive creation), two threads each
// running the list at once on one library (thread safety and throughput), and oneDNN's
// fused bias + activation against a separate pass on the forward hidden layers.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include "autodiff/device.hpp"
#include "autodiff/random.hpp"
#include "bench/gemm_libraries.hpp"
#include "config/config.hpp"
#include "envs/registry.hpp"
#include "kernels/cpu/activations.hpp"
#include "kernels/cpu/rows.hpp"
#include "rl/agent.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/env_reward.hpp"
#include "rl/trainer_config.hpp"

using namespace maac;
using namespace maac::bench::gemmlib;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? NAN : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string shell_line(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "?";
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---------------------------------------------------------------------------------------
// The GEMM lists.

struct Preset {
  rl::AgentOptions agent;
  int64_t obs = 0, act = 0, batch = 0;
};

Preset half_cheetah_preset() {
  config::Config c(rl::trainer_schema());
  c.merge_toml_file(std::string(MAAC_SOURCE_DIR) + "/configs/half_cheetah.toml");
  Preset p;
  p.agent = rl::agent_options(c);
  p.agent.device = Device::cpu;
  const rl::TrainerOptions t = rl::trainer_options(c);
  p.batch = t.batch;
  auto env = envs::make_env(t.env, t.env_options());
  p.obs = env->obs_dim();
  p.act = env->act_dim();
  return p;
}

// The GEMMs of one Agent::update (critic with STEVE targets, MAAC actor, temperature,
// targets) on a random batch; the second update is recorded (the first may set things up).
std::vector<GemmCall> record_update(const Preset& p, bool* skipped) {
  auto env = envs::make_env("HalfCheetah");
  rl::Agent agent(p.obs, p.act, p.agent, std::make_unique<rl::EnvRewardModel>(*env), 1);
  Rng rng(7);
  rl::TransitionBatch b;
  b.resize(p.batch, p.obs, p.act);
  rng.fill_normal(b.obs.data(), int64_t(b.obs.size()));
  rng.fill_normal(b.next_obs.data(), int64_t(b.next_obs.size()));
  rng.fill_normal(b.reward.data(), int64_t(b.reward.size()));
  for (float& a : b.action) a = float(rng.uniform(-0.9, 0.9));
  std::fill(b.terminated.begin(), b.terminated.end(), 0.f);
  agent.update(b, rng);
  cpu::GemmRecorder rec;
  const rl::UpdateStats s = agent.update(b, rng);
  *skipped = s.skipped();
  return rec.calls();
}

// One step of the model fit: the ensemble's NLL on [M, batch, obs + act] rows, forward
// and backward (DynamicsTrainer::fit runs this once per batch; the Adam step has no GEMM).
std::vector<GemmCall> record_fit_step(const Preset& p) {
  Rng rng(3);
  rl::DynamicsModel<float> model(p.obs, p.act, p.agent.model, rng);
  const int64_t M = model.members(), B = p.agent.model_training.batch;
  Tape<float> tape(size_t(1) << 27);
  std::vector<float> x = rng.normal_vector<float>(M * B * model.in_dim()),
                     y = rng.normal_vector<float>(M * B * model.out_dim());
  auto step = [&] {
    tape.reset();
    Var<float> loss = model.training_loss(tape, tape.constant(Shape{M, B, model.in_dim()}, x.data()),
                                          tape.constant(Shape{M, B, model.out_dim()}, y.data()));
    tape.backward(loss);
  };
  step();
  cpu::GemmRecorder rec;
  step();
  return rec.calls();
}

// ---------------------------------------------------------------------------------------
// Shape classes and the replay.

using ClassKey = std::tuple<bool, bool, int64_t, int64_t, int64_t>;  // ta, tb, m, n, k
ClassKey class_of(const GemmCall& c) { return {c.ta == Trans::yes, c.tb == Trans::yes, c.m, c.n, c.k}; }
std::string class_name(const ClassKey& k) {
  auto [ta, tb, m, n, k_] = k;
  return fmt::format("{}{} {}x{}x{}", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k_);
}

// The expected output of one class (every GEMM of a class reads the same operand values).
struct Reference {
  std::vector<float> a, b;         // one matrix each, as stored
  std::vector<double> c, mag;      // op(A) op(B) and sum_k |a b| per element
};

Reference make_reference(const ClassKey& key) {
  auto [ta, tb, m, n, k] = key;
  Rng rng(uint64_t(m * 1000003 + n * 1009 + k * 7 + ta * 2 + tb));
  Reference r;
  r.a = rng.uniform_vector<float>(m * k, -1, 1);
  r.b = rng.uniform_vector<float>(k * n, -1, 1);
  r.c.assign(size_t(m * n), 0.0);
  r.mag.assign(size_t(m * n), 0.0);
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      const double a = ta ? r.a[p * lda + i] : r.a[i * lda + p];
      for (int64_t j = 0; j < n; ++j) {
        const double b = tb ? r.b[j * ldb + p] : r.b[p * ldb + j];
        r.c[i * n + j] += a * b;
        r.mag[i * n + j] += std::fabs(a * b);
      }
    }
  return r;
}

struct Replay {
  std::string name;
  std::vector<GemmCall> calls;
  std::vector<std::vector<float>> A, B, C;  // per call: `batch` matrices each
  std::map<ClassKey, std::shared_ptr<const Reference>> refs;

  Replay(std::string list_name, std::vector<GemmCall> list) : name(std::move(list_name)), calls(std::move(list)) {
    for (const GemmCall& c : calls) {
      auto& ref = refs[class_of(c)];
      if (!ref) ref = std::make_shared<Reference>(make_reference(class_of(c)));
      A.emplace_back();
      B.emplace_back();
      for (int64_t i = 0; i < c.batch; ++i) {
        A.back().insert(A.back().end(), ref->a.begin(), ref->a.end());
        B.back().insert(B.back().end(), ref->b.begin(), ref->b.end());
      }
      C.emplace_back(size_t(c.batch * c.m * c.n), 0.f);
    }
  }
  double flops() const {
    double f = 0;
    for (const GemmCall& c : calls) f += c.flops();
    return f;
  }
  double flops(const std::vector<size_t>& which) const {
    double f = 0;
    for (size_t i : which) f += calls[i].flops();
    return f;
  }
  std::vector<size_t> all() const {
    std::vector<size_t> v(calls.size());
    std::iota(v.begin(), v.end(), size_t(0));
    return v;
  }
  // Distinct shapes (batch included: oneDNN makes one primitive per batched shape).
  std::vector<GemmCall> shapes() const {
    std::vector<GemmCall> out;
    for (const GemmCall& c : calls)
      if (std::none_of(out.begin(), out.end(), [&](const GemmCall& o) {
            return class_of(o) == class_of(c) && o.batch == c.batch;
          }))
        out.push_back(c);
    return out;
  }
  void run(Library& lib, const std::vector<size_t>& which) {
    for (size_t i : which) lib.run(calls[i], A[i].data(), B[i].data(), C[i].data());
  }
  void poison() {
    for (auto& c : C) std::fill(c.begin(), c.end(), NAN);
  }
  // Largest error of any output element as a fraction of its bound, and whether all are
  // within it.
  struct Check {
    double worst = 0;
    bool ok = true;
    std::string first_bad;
  };
  Check check(const std::vector<size_t>& which) const {
    Check out;
    for (size_t i : which) {
      const GemmCall& c = calls[i];
      const Reference& r = *refs.at(class_of(c));
      // A float dot product of length k errs by at most about k * 2^-24 * sum |a b|
      // (Higham's gamma_k); twice that allows any summation order and FMA use.
      const double bound = 2.0 * double(c.k) * std::ldexp(1.0, -24);
      for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t e = 0; e < c.m * c.n; ++e) {
          const double got = C[i][size_t(b * c.m * c.n + e)];
          const double rel = std::fabs(got - r.c[e]) / std::max(r.mag[e], 1e-30) / bound;
          if (!(rel <= 1.0)) {  // NaN fails too
            if (out.ok)
              out.first_bad = fmt::format("{} batch {} element {}: {} vs {}", class_name(class_of(c)), b, e, got, r.c[e]);
            out.ok = false;
          }
          if (std::isfinite(rel)) out.worst = std::max(out.worst, rel);
          else out.worst = INFINITY;
        }
    }
    return out;
  }
};

// Every class of a list with its FLOPs, biggest first.
std::vector<std::pair<ClassKey, double>> classes_by_flops(const Replay& r) {
  std::map<ClassKey, double> f;
  for (const GemmCall& c : r.calls) f[class_of(c)] += c.flops();
  std::vector<std::pair<ClassKey, double>> v(f.begin(), f.end());
  std::stable_sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.second > y.second; });
  return v;
}

void print_list(const Replay& r) {
  fmt::print("\n{}: {} GEMM calls ({} counting batch entries), {:.3f} GFLOP, {} classes\n", r.name, r.calls.size(),
             std::accumulate(r.calls.begin(), r.calls.end(), int64_t(0),
                             [](int64_t s, const GemmCall& c) { return s + c.batch; }),
             r.flops() * 1e-9, classes_by_flops(r).size());
  fmt::print("  {:<22} {:>6} {:>8} {:>9} {:>7}\n", "class (ta tb m x n x k)", "calls", "batches", "MFLOP", "share");
  std::map<ClassKey, std::pair<int64_t, std::set<int64_t>>> n;
  for (const GemmCall& c : r.calls) {
    ++n[class_of(c)].first;
    n[class_of(c)].second.insert(c.batch);
  }
  for (auto& [k, f] : classes_by_flops(r)) {
    std::string batches;
    for (int64_t b : n[k].second) batches += fmt::format("{}{}", batches.empty() ? "" : ",", b);
    fmt::print("  {:<22} {:>6} {:>8} {:>9.2f} {:>6.1f}%\n", class_name(k), n[k].first, batches, f * 1e-6,
               100 * f / r.flops());
  }
}

// ---------------------------------------------------------------------------------------
// Running the libraries.

struct Candidate {
  NamedFactory factory;
  std::unique_ptr<Library> lib;
  bool failed = false;
};

void use_threads(Library& lib, int threads) {
  omp_set_num_threads(threads);  // per-thread setting: the calling thread's OpenMP teams
  lib.set_threads(threads);
}

// Calls of `which` run `inner` times per sample, samples interleaved across libraries;
// returns per library the median seconds of one pass over `which`.
std::vector<double> time_interleaved(std::vector<Candidate>& libs, Replay& r, const std::vector<size_t>& which,
                                     int threads, int reps, double min_seconds, std::vector<double>* spread,
                                     std::vector<double>* best = nullptr) {
  // Inner count from the first library's rate, so that a sample takes min_seconds.
  std::vector<int> inner(libs.size(), 1);
  for (size_t l = 0; l < libs.size(); ++l) {
    if (libs[l].failed || !libs[l].lib->threads_supported(threads)) continue;
    use_threads(*libs[l].lib, threads);
    r.run(*libs[l].lib, which);  // warm
    auto t0 = Clock::now();
    r.run(*libs[l].lib, which);
    inner[l] = std::max(1, int(std::ceil(min_seconds / std::max(seconds_since(t0), 1e-7))));
  }
  std::vector<std::vector<double>> samples(libs.size());
  for (int rep = 0; rep < reps; ++rep)
    for (size_t j = 0; j < libs.size(); ++j) {
      const size_t l = (j + size_t(rep)) % libs.size();
      if (libs[l].failed || !libs[l].lib->threads_supported(threads)) continue;
      use_threads(*libs[l].lib, threads);
      auto t0 = Clock::now();
      for (int i = 0; i < inner[l]; ++i) r.run(*libs[l].lib, which);
      samples[l].push_back(seconds_since(t0) / inner[l]);
    }
  std::vector<double> out(libs.size(), NAN);
  if (spread) spread->assign(libs.size(), NAN);
  if (best) best->assign(libs.size(), NAN);
  for (size_t l = 0; l < libs.size(); ++l) {
    if (samples[l].empty()) continue;
    out[l] = median(samples[l]);
    if (best) (*best)[l] = *std::min_element(samples[l].begin(), samples[l].end());
    if (spread) {
      auto [lo, hi] = std::minmax_element(samples[l].begin(), samples[l].end());
      (*spread)[l] = (*hi - *lo) / out[l];
    }
  }
  return out;
}

// Correctness of every library at each thread count, on every GEMM of the list.
bool check_all(std::vector<Candidate>& libs, Replay& r, const std::vector<int>& thread_counts) {
  bool all_ok = true;
  fmt::print("\ncorrectness on {} (every output element: |C - C_double| <= 2 k 2^-24 sum_k |a b|):\n", r.name);
  for (Candidate& c : libs)
    for (int threads : thread_counts) {
      if (!c.lib->threads_supported(threads)) continue;
      use_threads(*c.lib, threads);
      r.poison();  // beta 0 must not read C
      std::string error;
      Replay::Check chk;
      try {
        r.run(*c.lib, r.all());
        chk = r.check(r.all());
      } catch (const std::exception& e) {
        chk.ok = false;
        chk.first_bad = e.what();
      }
      fmt::print("  {:<17} {} thread{}: {}  worst error / bound = {:.3f}{}\n", c.factory.name, threads,
                 threads > 1 ? "s" : " ", chk.ok ? "ok  " : "FAIL", chk.worst,
                 chk.ok ? "" : "  (" + chk.first_bad + ")");
      if (!chk.ok) c.failed = true;
      all_ok = all_ok && chk.ok;
    }
  return all_ok;
}

void report_whole_list(std::vector<Candidate>& libs, Replay& r, const std::vector<int>& thread_counts, int reps,
                       double min_seconds) {
  fmt::print("\n{}: whole list, {:.3f} GFLOP, median of {} interleaved samples (spread = (max - min) / median; "
             "best = fastest sample; / openblas = OpenBLAS time / this time)\n",
             r.name, r.flops() * 1e-9, reps);
  fmt::print("  {:<17} {:>7} {:>10} {:>9} {:>11} {:>7} {:>10} {:>11}\n", "library", "threads", "ms / list",
             "GFLOP/s", "/ openblas", "spread", "best ms", "best / ob.");
  for (int threads : thread_counts) {
    std::vector<double> spread, best;
    const std::vector<double> t = time_interleaved(libs, r, r.all(), threads, reps, min_seconds, &spread, &best);
    double base = NAN, base_best = NAN;
    for (size_t l = 0; l < libs.size(); ++l)
      if (libs[l].factory.name == "openblas") base = t[l], base_best = best[l];
    for (size_t l = 0; l < libs.size(); ++l) {
      if (std::isnan(t[l])) {
        fmt::print("  {:<17} {:>7} {:>10}\n", libs[l].factory.name, threads,
                   libs[l].failed ? "failed the check" : "no threaded variant");
        continue;
      }
      fmt::print("  {:<17} {:>7} {:>10.3f} {:>9.1f} {:>10.2f}x {:>6.0f}% {:>10.3f} {:>10.2f}x\n", libs[l].factory.name,
                 threads, t[l] * 1e3, r.flops() / t[l] * 1e-9, base / t[l], 100 * spread[l], best[l] * 1e3,
                 base_best / best[l]);
    }
  }
}

void report_classes(std::vector<Candidate>& libs, Replay& r, int threads, int top, int reps, double min_seconds) {
  const auto classes = classes_by_flops(r);
  fmt::print("\n{}: top {} classes by FLOPs, {} thread{}, GFLOP/s (all calls of the class in list order)\n", r.name,
             std::min<size_t>(size_t(top), classes.size()), threads, threads > 1 ? "s" : "");
  fmt::print("  {:<20} {:>6}", "class", "share");
  for (const Candidate& c : libs) fmt::print(" {:>10}", c.factory.name.substr(0, 10));
  fmt::print("\n");
  for (size_t i = 0; i < classes.size() && int(i) < top; ++i) {
    std::vector<size_t> which;
    for (size_t j = 0; j < r.calls.size(); ++j)
      if (class_of(r.calls[j]) == classes[i].first) which.push_back(j);
    const std::vector<double> t = time_interleaved(libs, r, which, threads, reps, min_seconds, nullptr);
    fmt::print("  {:<20} {:>5.1f}%", class_name(classes[i].first), 100 * classes[i].second / r.flops());
    for (size_t l = 0; l < libs.size(); ++l) {
      if (std::isnan(t[l])) fmt::print(" {:>10}", "-");
      else fmt::print(" {:>10.1f}", r.flops(which) / t[l] * 1e-9);
    }
    fmt::print("\n");
  }
}

// Warm-up: a fresh instance's prepare() (JIT, primitive creation) over every distinct
// shape of the list, then its first pass, against the steady state. Run first in the
// process: libxsmm's kernel registry and oneDNN's primitive cache are process-wide.
void report_warmup(std::vector<Candidate>& libs, Replay& r, const std::vector<int>& thread_counts) {
  const std::vector<GemmCall> shapes = r.shapes();
  fmt::print("\nwarm-up on {} ({} distinct shapes): first prepare (JIT / primitive creation), first pass, "
             "steady pass\n",
             r.name, shapes.size());
  for (int threads : thread_counts)
    for (Candidate& c : libs) {
      if (!c.lib->threads_supported(threads)) continue;
      std::unique_ptr<Library> fresh = c.factory.make();
      use_threads(*fresh, threads);
      auto t0 = Clock::now();
      fresh->prepare(shapes);
      const double prep = seconds_since(t0);
      t0 = Clock::now();
      r.run(*fresh, r.all());
      const double first = seconds_since(t0);
      double steady = 1e30;
      for (int i = 0; i < 3; ++i) {
        t0 = Clock::now();
        r.run(*fresh, r.all());
        steady = std::min(steady, seconds_since(t0));
      }
      fmt::print("  {:<17} {} thread{}: prepare {:>8.2f} ms, first pass {:>8.2f} ms, steady {:>8.2f} ms\n",
                 c.factory.name, threads, threads > 1 ? "s" : " ", prep * 1e3, first * 1e3, steady * 1e3);
    }
}

// Two threads, each with its own library instance (1 thread inside) and its own copy of
// the buffers, run the list at once: does the library give right answers when called
// concurrently, and how much throughput do two independent streams of GEMMs get?
void report_concurrent(std::vector<NamedFactory>& factories, const Replay& base, int reps, double min_seconds,
                       const std::map<std::string, double>& single) {
  fmt::print("\n{}: two threads at once, each running the whole list on its own instance (1 thread inside)\n",
             base.name);
  fmt::print("  {:<17} {:>8} {:>13} {:>16} {:>10}\n", "library", "correct", "ms / 2 lists", "1-thread ms / 1",
             "throughput");
  for (NamedFactory& f : factories) {
    Replay r0 = base, r1 = base;
    std::unique_ptr<Library> l0 = f.make(), l1 = f.make();
    auto single_it = single.find(f.name);
    const double t1 = single_it == single.end() ? NAN : single_it->second;
    int inner = std::max(1, int(std::ceil(min_seconds / (std::isnan(t1) ? 0.01 : t1))));
    std::atomic<bool> ok{true};
    std::vector<double> walls;
    std::mutex error_mutex;
    std::string error;
    for (int rep = 0; rep < reps && ok; ++rep) {
      std::barrier sync(3);
      auto worker = [&](Library& lib, Replay& r) {
        try {
          use_threads(lib, 1);
          lib.prepare(r.shapes());
          r.poison();
          sync.arrive_and_wait();
          for (int i = 0; i < inner; ++i) r.run(lib, r.all());
          sync.arrive_and_wait();
          if (!r.check(r.all()).ok) ok = false;
        } catch (const std::exception& e) {
          ok = false;
          std::lock_guard lock(error_mutex);
          error = e.what();
          sync.arrive_and_drop();
        }
      };
      std::thread a(worker, std::ref(*l0), std::ref(r0)), b(worker, std::ref(*l1), std::ref(r1));
      sync.arrive_and_wait();
      auto t0 = Clock::now();
      sync.arrive_and_wait();
      walls.push_back(seconds_since(t0) / inner);
      a.join();
      b.join();
    }
    const double wall = median(walls);
    fmt::print("  {:<17} {:>8} {:>13.3f} {:>16.3f} {:>9.2f}x{}\n", f.name, ok ? "ok" : "FAIL", wall * 1e3, t1 * 1e3,
               2 * t1 / wall, error.empty() ? "" : "  (" + error + ")");
  }
}

#ifdef MAAC_BENCH_HAVE_DNNL
// The forward hidden layers of the update, y = f(x W + b): the engine's CPU way (bias
// rows, GEMM accumulating onto them, activation pass keeping pre for the backward)
// against oneDNN with the bias fused and the activation as a pass, and with both fused
// (no pre: enough for ReLU's backward, not for SiLU's, which reads pre).
void report_fusion(const Replay& r, const Preset& p, int top, int reps, double min_seconds) {
  // Hidden widths say which activation a forward layer has (this preset: 200 SiLU model, 256 ReLU nets).
  std::map<int64_t, math::Unary> act_of_width;
  for (int64_t w : p.agent.policy.hidden) act_of_width[w] = p.agent.policy.activation;
  for (int64_t w : p.agent.critic.hidden) act_of_width[w] = p.agent.critic.activation;
  for (int64_t w : p.agent.model.hidden) act_of_width[w] = p.agent.model.activation;
  struct Layer {
    int64_t rows, in, out, count;
    math::Unary f;
  };
  std::vector<Layer> list;
  for (const GemmCall& c : r.calls) {
    if (c.ta == Trans::yes || c.tb == Trans::yes || !act_of_width.count(c.n)) continue;
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Layer& l) { return l.rows == c.m && l.in == c.k && l.out == c.n; });
    if (it == list.end()) list.push_back({c.m, c.k, c.n, c.batch, act_of_width[c.n]});
    else it->count += c.batch;
  }
  std::sort(list.begin(), list.end(), [](const Layer& a, const Layer& b) {
    return a.rows * a.in * a.out * a.count > b.rows * b.in * b.out * b.count;
  });
  fmt::print("\n{}: forward hidden layers y = f(x W + b), 1 thread, us per layer call (median of {}); the {} "
             "biggest of {} shapes shown, the total covers all\n",
             r.name, reps, std::min<size_t>(size_t(top), list.size()), list.size());
  fmt::print("  {:<24} {:>5} {:>5} {:>12} {:>13} {:>13} {:>13} {:>9}\n", "rows x in -> out", "f", "calls",
             "engine sep.", "onednn+bias", "openblas sep", "onednn fused", "fused err");
  double tot[4] = {0, 0, 0, 0};
  omp_set_num_threads(1);
  cpu::set_threads(1);
  for (const Layer& l : list) {
    Rng rng(uint64_t(l.rows * 31 + l.in * 7 + l.out));
    const std::vector<float> x = rng.uniform_vector<float>(l.rows * l.in, -1, 1),
                             W = rng.uniform_vector<float>(l.in * l.out, -0.2, 0.2),
                             b = rng.uniform_vector<float>(l.out, -0.5, 0.5);
    std::vector<float> pre(size_t(l.rows * l.out)), y(pre.size());
    DnnlLayer bias_only(l.rows, l.in, l.out, l.f, DnnlLayer::Fuse::bias);
    DnnlLayer fused(l.rows, l.in, l.out, l.f, DnnlLayer::Fuse::bias_and_activation);
    auto separate = [&](cpu::GemmBackend backend) {
      cpu::set_gemm_backend(backend);
      cpu::bias_rows(b.data(), pre.data(), 1, l.rows, l.out);
      cpu::gemm<float>(Trans::no, Trans::no, l.rows, l.out, l.in, 1.f, x.data(), l.in, W.data(), l.out, 1.f,
                       pre.data(), l.out);
      cpu::activation_forward(l.f, pre.data(), y.data(), l.rows * l.out);
    };
    std::vector<std::function<void()>> variants = {
        [&] { separate(cpu::GemmBackend::automatic); },
        [&] {
          bias_only.run(x.data(), W.data(), b.data(), pre.data());
          cpu::activation_forward(l.f, pre.data(), y.data(), l.rows * l.out);
        },
        [&] { separate(cpu::GemmBackend::openblas); },
        [&] { fused.run(x.data(), W.data(), b.data(), y.data()); }};
    // The fused output against f(x W + b) in double.
    std::fill(y.begin(), y.end(), NAN);
    variants[3]();
    double worst = 0;
    for (int64_t i = 0; i < l.rows; ++i)
      for (int64_t j = 0; j < l.out; ++j) {
        double z = b[j], mag = std::fabs(b[j]);
        for (int64_t k = 0; k < l.in; ++k) {
          z += double(x[i * l.in + k]) * W[k * l.out + j];
          mag += std::fabs(double(x[i * l.in + k]) * W[k * l.out + j]);
        }
        const double want = l.f == math::Unary::relu ? std::max(z, 0.0) : z / (1 + std::exp(-z));
        worst = std::max(worst, std::isnan(y[i * l.out + j]) ? INFINITY : std::fabs(y[i * l.out + j] - want) / (mag + 1));
      }
    std::vector<std::vector<double>> samples(variants.size());
    std::vector<int> inner(variants.size());
    for (size_t v = 0; v < variants.size(); ++v) {
      variants[v]();
      auto t0 = Clock::now();
      variants[v]();
      inner[v] = std::max(1, int(std::ceil(min_seconds / 4 / std::max(seconds_since(t0), 1e-7))));
    }
    for (int rep = 0; rep < reps; ++rep)
      for (size_t v = 0; v < variants.size(); ++v) {
        auto t0 = Clock::now();
        for (int i = 0; i < inner[v]; ++i) variants[v]();
        samples[v].push_back(seconds_since(t0) / inner[v]);
      }
    double med[4];
    for (size_t v = 0; v < 4; ++v) {
      med[v] = median(samples[v]);
      tot[v] += med[v] * double(l.count);
    }
    if (&l - list.data() < top)
      fmt::print("  {:<24} {:>5} {:>5} {:>12.1f} {:>13.1f} {:>13.1f} {:>13.1f} {:>9.1e}\n",
               fmt::format("{} x {} -> {}", l.rows, l.in, l.out), l.f == math::Unary::relu ? "relu" : "silu", l.count,
               med[0] * 1e6, med[1] * 1e6, med[2] * 1e6, med[3] * 1e6, worst);
  }
  cpu::set_gemm_backend(cpu::GemmBackend::automatic);
  fmt::print("  {:<24} {:>5} {:>5} {:>12.2f} {:>13.2f} {:>13.2f} {:>13.2f}   (ms per update, all calls)\n", "total",
             "", "", tot[0] * 1e3, tot[1] * 1e3, tot[2] * 1e3, tot[3] * 1e3);
  fmt::print("  engine sep.: bias rows, cpu::gemm (automatic) with beta 1, cpu::activation_forward (pre and y kept);\n"
             "  onednn+bias: matmul with the bias fused, then the same activation pass; openblas sep: the engine's\n"
             "  way with OpenBLAS forced; onednn fused: bias + eltwise post-op (relu, swish alpha 1), y only.\n"
             "  One buffer set per shape, reused (cache-warm): compare the columns, not with the lists above.\n"
             "  fused err: max |y - f(x W + b)_double| / (sum |x W| + |b| + 1).\n");
}
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GEMM libraries on the GEMMs of one MAAC update and one model-fit step (HalfCheetah preset)"};
  int reps = 5, top = 10;
  double min_ms = 100;
  std::vector<int> thread_counts{1, 2};
  std::vector<std::string> only;
  bool shapes_only = false, no_concurrent = false, no_classes = false, no_fusion = false;
  app.add_option("--reps", reps, "interleaved samples per case (medians)");
  app.add_option("--min-ms", min_ms, "milliseconds per sample (the list is repeated to fill it)");
  app.add_option("--threads", thread_counts, "thread counts")->delimiter(',');
  app.add_option("--libs", only, "libraries to run (default: all found)")->delimiter(',');
  app.add_option("--top", top, "shape classes in the breakdown");
  app.add_flag("--shapes", shapes_only, "print the recorded GEMM lists and exit");
  app.add_flag("--no-concurrent", no_concurrent, "skip the two-threads-at-once run");
  app.add_flag("--no-classes", no_classes, "skip the per-class breakdown");
  app.add_flag("--no-fusion", no_fusion, "skip oneDNN's fused bias + activation comparison");
  CLI11_PARSE(app, argc, argv);
  const double min_seconds = min_ms * 1e-3;

  fmt::print("bench_gemm_libraries: {} ({} CPUs online), commit {}{}, load average {}\n", cpu_model(),
             sysconf(_SC_NPROCESSORS_ONLN),
             shell_line(fmt::format("git -C {} rev-parse --short HEAD 2>/dev/null", MAAC_SOURCE_DIR)),
             shell_line(fmt::format("git -C {} status --porcelain --untracked-files=no 2>/dev/null", MAAC_SOURCE_DIR))
                     .empty()
                 ? ""
                 : " (modified)",
             load_average());

  device::set_cpu_threads(1);
  const Preset preset = half_cheetah_preset();
  bool skipped = false;
  std::vector<Replay> lists;
  lists.emplace_back("update", record_update(preset, &skipped));
  lists.emplace_back("model fit step", record_fit_step(preset));
  fmt::print("preset configs/half_cheetah.toml: obs {}, act {}, batch {}, {} members x {} hidden ({}), actor H {} K {} "
             "({}), critic {} H_c {}{}\n",
             preset.obs, preset.act, preset.batch, preset.agent.model.members, preset.agent.model.hidden.size(),
             preset.agent.model.hidden.empty() ? 0 : preset.agent.model.hidden[0], preset.agent.objective.horizon,
             preset.agent.objective.terminal_samples,
             preset.agent.objective.evaluation == rl::EnsembleEvaluation::routed ? "routed" : "all members",
             preset.agent.critic_target == rl::CriticTarget::steve ? "STEVE" : "TD", preset.agent.steve.horizon,
             skipped ? "; NOTE: the recorded update skipped a step (non-finite)" : "");
  for (const Replay& r : lists) print_list(r);
  for (const Replay& r : lists)
    for (const GemmCall& c : r.calls)
      if (c.is_double) fmt::print("NOTE: {} holds a double GEMM; it is replayed in float\n", r.name);
  if (shapes_only) return 0;

  std::vector<NamedFactory> factories;
  add_builtin_libraries(factories);
#ifdef MAAC_BENCH_HAVE_LIBXSMM
  add_libxsmm(factories);
#endif
#ifdef MAAC_BENCH_HAVE_DNNL
  add_dnnl(factories);
#endif
#ifdef MAAC_BENCH_HAVE_BLIS
  add_blis(factories);
  fmt::print("BLIS: {}\n", blis_origin());
#endif
  if (!only.empty())
    std::erase_if(factories, [&](const NamedFactory& f) {
      return f.name != "openblas" && std::find(only.begin(), only.end(), f.name) == only.end();
    });
  std::vector<Candidate> libs;
  fmt::print("\nlibraries:\n");
  for (NamedFactory& f : factories) {
    libs.push_back({f, f.make()});
    fmt::print("  {:<17} {}\n", f.name, libs.back().lib->how());
  }

  for (Replay& r : lists) report_warmup(libs, r, thread_counts);
  bool ok = true;
  for (Replay& r : lists) ok = check_all(libs, r, thread_counts) && ok;
  for (Candidate& c : libs)
    if (!c.failed) c.lib->prepare(lists[0].shapes()), c.lib->prepare(lists[1].shapes());

  std::map<std::string, double> single_update;
  for (Replay& r : lists) {
    report_whole_list(libs, r, thread_counts, reps, min_seconds);
    if (!no_classes)
      for (int threads : thread_counts) report_classes(libs, r, threads, top, reps, min_seconds);
  }
  if (!no_concurrent) {
    // The single-thread time per list for the throughput column, measured again here.
    std::vector<double> t = time_interleaved(libs, lists[0], lists[0].all(), 1, reps, min_seconds, nullptr);
    for (size_t l = 0; l < libs.size(); ++l) single_update[libs[l].factory.name] = t[l];
    std::vector<NamedFactory> good;
    for (Candidate& c : libs)
      if (!c.failed) good.push_back(c.factory);
    report_concurrent(good, lists[0], reps, min_seconds, single_update);
  }
#ifdef MAAC_BENCH_HAVE_DNNL
  if (!no_fusion) {
    report_fusion(lists[0], preset, top, reps, min_seconds);
    report_fusion(lists[1], preset, top, reps, min_seconds);
  }
#endif
  for (Candidate& c : libs)
    if (!c.lib->notes().empty()) fmt::print("\nnotes, {}: {}", c.factory.name, c.lib->notes());
  fmt::print("\nload average at the end: {}\n", load_average());
  if (!ok) fmt::print("\nFAILED: a library gave wrong results (see correctness above); its timings are omitted\n");
  return ok ? 0 : 1;
}
