// The trainer: determinism, exact resume, checkpoints and their rejection, bad configs.
#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <csignal>
#include <filesystem>
#include <set>
#include <thread>
#include <fstream>
#include <sstream>

#include "rl/evaluation.hpp"
#include "rl/trainer.hpp"
#include "tests/rl/run_outputs.hpp"

using namespace maac;
using maac::test::deterministic_rows;
using namespace maac::rl;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// A run small enough for a unit test that still passes through every phase: random
// steps, collection, model fit, rollouts, mixed-batch updates, evaluation.
Config tiny_config(const std::string& algo = "maac") {
  Config c(trainer_schema());
  for (const char* s : {"env.name=InvertedPendulum", "env.max_episode_steps=40", "run.total_steps=600",
                        "run.initial_random_steps=200", "run.steps_per_iteration=100", "run.eval_every=100",
                        "run.eval_episodes=2", "run.checkpoint_every=0", "run.threads=1",
                        "train.updates_per_iteration=12", "train.update_blocks=2", "train.batch=32",
                        "train.real_share=0.5", "model.members=3", "model.layers=1", "model.width=16",
                        "model.max_epochs=3", "model.batch=32", "rollout.starts=40", "rollout.schedule=[0, 2, 1, 3]",
                        "actor.horizon=2", "actor.terminal_samples=2", "actor.width=16", "critic.width=16",
                        "critic.steve_horizon=1", "replay.capacity=5000", "rollout.buffer=5000"})
    c.set(s);
  c.set("algo=" + algo);
  return c;
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("maac_trainer_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  return d;
}


TrainResult train(const Config& c, const fs::path& dir, bool resume = false) {
  Trainer t(c, dir.string(), resume, /*quiet=*/true);
  return t.run();
}

}  // namespace

TEST_CASE("the same seed gives the same run") {
  Config c = tiny_config();
  fs::path a = fresh_dir("same_a"), b = fresh_dir("same_b");
  train(c, a);
  train(c, b);
  std::vector<std::string> ra = deterministic_rows(a);
  REQUIRE(ra.size() == 7);  // header + 6 evaluations
  REQUIRE(ra == deterministic_rows(b));
  // Every network, optimiser state and buffer is identical too.
  Safetensors ca = Safetensors::load(Trainer::checkpoint_path(a.string()));
  Safetensors cb = Safetensors::load(Trainer::checkpoint_path(b.string()));
  REQUIRE(ca.tensors().size() == cb.tensors().size());
  for (const auto& [name, t] : ca.tensors())
    if (name != "trainer.elapsed_seconds") REQUIRE(t.bytes == cb.tensor(name).bytes);  // the wall time
  // A different seed gives a different run.
  c.set("seed=1");
  fs::path d = fresh_dir("same_d");
  train(c, d);
  REQUIRE(deterministic_rows(d) != ra);
}

TEST_CASE("a resumed run continues exactly as an uninterrupted one") {
  for (std::string algo : {"maac", "sac", "mbpo", "steve", "svg1"}) {
    INFO("algo " << algo);
    Config full = tiny_config(algo);
    fs::path whole = fresh_dir("whole_" + algo), parts = fresh_dir("parts_" + algo);
    train(full, whole);
    // Stop mid-collection of an iteration, then again just after a model fit, then finish.
    for (int64_t stop : {350, 420}) {
      Config part = tiny_config(algo);
      part.set("run.total_steps=" + std::to_string(stop));
      train(part, parts, /*resume=*/stop != 350);
    }
    TrainResult r = train(full, parts, /*resume=*/true);
    REQUIRE(r.env_steps == 600);
    for (const char* file : {"progress.csv", "iterations.csv", "model_error.csv"}) {
      INFO(file);
      REQUIRE(deterministic_rows(parts, file) == deterministic_rows(whole, file));
    }
    Safetensors a = Safetensors::load(Trainer::checkpoint_path(whole.string()));
    Safetensors b = Safetensors::load(Trainer::checkpoint_path(parts.string()));
    for (const auto& [name, t] : a.tensors())
      if (name != "trainer.elapsed_seconds") REQUIRE(t.bytes == b.tensor(name).bytes);
  }
}

TEST_CASE("steve and svg1 fit the model but keep no model data, so their actors learn from real batches") {
  for (std::string algo : {"steve", "svg1"}) {
    INFO("algo " << algo);
    Config c = tiny_config(algo);
    c.set("run.total_steps=400");
    fs::path dir = fresh_dir("baseline_" + algo);
    Trainer t(c, dir.string(), false, true);
    t.run();
    Safetensors ck = Safetensors::load(Trainer::checkpoint_path(dir.string()));
    bool model = false, model_buffer = false;
    for (const auto& [name, tensor] : ck.tensors()) {
      model |= name.rfind("model.", 0) == 0;
      model_buffer |= name.rfind("model_buffer", 0) == 0;
    }
    REQUIRE(model);
    REQUIRE_FALSE(model_buffer);
    // The model was fitted (epochs logged every iteration); the model buffer column is empty.
    std::vector<std::string> rows = deterministic_rows(dir, "iterations.csv");
    REQUIRE(rows.size() >= 2);
    std::vector<std::string> header, last;
    for (auto [row, cells] : {std::pair{rows.front(), &header}, std::pair{rows.back(), &last}}) {
      std::stringstream in(row);
      for (std::string cell; std::getline(in, cell, ',');) cells->push_back(cell);
    }
    REQUIRE(header.size() == last.size());
    for (size_t k = 0; k < header.size(); ++k) {
      INFO(header[k] << " = " << last[k]);
      if (header[k] == "fit_epochs") REQUIRE(last[k] != "nan");
      if (header[k] == "model_buffer") REQUIRE(last[k] == "nan");
    }
  }
}

TEST_CASE("save then load gives identical actions and values") {
  Config c = tiny_config();
  fs::path dir = fresh_dir("saveload");
  Trainer t(c, dir.string(), false, true);
  t.run();
  LoadedAgent loaded = load_agent(Trainer::checkpoint_path(dir.string()));
  Rng data(3);
  std::vector<float> obs = data.normal_vector<float>(8 * 4), a1(8), a2(8);
  t.agent().act(obs.data(), 8, true, data, a1.data());
  loaded.agent->act(obs.data(), 8, true, data, a2.data());
  REQUIRE(a1 == a2);
  Rng r1(9), r2(9);
  t.agent().act(obs.data(), 8, false, r1, a1.data());
  loaded.agent->act(obs.data(), 8, false, r2, a2.data());
  REQUIRE(a1 == a2);
  REQUIRE(loaded.agent->alpha() == t.agent().alpha());
  envs::EnvOptions short_episodes;
  short_episodes.max_episode_steps = 40;
  REQUIRE(evaluate_policy(t.agent(), "InvertedPendulum", short_episodes, 2, 5) ==
          evaluate_policy(*loaded.agent, "InvertedPendulum", short_episodes, 2, 5));
}

TEST_CASE("existing, mismatched and corrupt checkpoints are rejected without overwriting") {
  Config c = tiny_config("sac");
  c.set("run.total_steps=300");
  fs::path dir = fresh_dir("reject");
  train(c, dir);
  std::string ckpt = Trainer::checkpoint_path(dir.string());
  auto bytes = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string before = bytes(ckpt);
  REQUIRE_THROWS_WITH(Trainer(c, dir.string(), false, true), Contains("already holds a run") && Contains("--resume"));
  Config other = c;
  other.set("critic.lr=0.001");
  REQUIRE_THROWS_WITH(Trainer(other, dir.string(), true, true), Contains("differs from the checkpoint"));
  REQUIRE_THROWS_WITH(Trainer(c, fresh_dir("none").string(), true, true), Contains("no checkpoint"));
  REQUIRE(bytes(ckpt) == before);
  // A truncated checkpoint: rejected with the file named; the file itself is left alone.
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << before.substr(0, before.size() / 2);
  REQUIRE_THROWS_WITH(Trainer(c, dir.string(), true, true), Contains("corrupt") && Contains("checkpoint.safetensors"));
  REQUIRE(bytes(ckpt).size() == before.size() / 2);
  // Another format (here a checksummed file claiming the old name) is refused by resume and
  // by eval, naming both formats.
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << before;
  Safetensors old = Safetensors::load(ckpt);
  old.set_metadata("format", "maac-checkpoint-1");
  old.save(ckpt);
  REQUIRE_THROWS_WITH(Trainer(c, dir.string(), true, true),
                      Contains("'maac-checkpoint-1'") && Contains("'maac-checkpoint-2'") && Contains(ckpt));
  REQUIRE_THROWS_WITH(load_agent(ckpt), Contains("'maac-checkpoint-1'") && Contains("'maac-checkpoint-2'"));
}

TEST_CASE("config errors name the key") {
  Config c(trainer_schema());
  REQUIRE_THROWS_WITH(c.set("actor.horizn=3"), Contains("'actor.horizn'") && Contains("actor.horizon"));
  REQUIRE_THROWS_WITH(c.set("actor.horizon=-1"), Contains("'actor.horizon' = -1"));
  REQUIRE_THROWS_WITH(c.set("train.real_share=1.5"), Contains("'train.real_share' = 1.5"));
  REQUIRE_THROWS_WITH(c.set("algo=ppo"), Contains("'algo'"));
  REQUIRE_THROWS_WITH(c.set("model.width=wide"), Contains("'model.width'") && Contains("integer"));
  c.set("model.elites=9");
  REQUIRE_THROWS_WITH(agent_options(c), Contains("'model.elites' = 9"));
  Config ok(trainer_schema());
  ok.set("env.name=NoSuchEnv");
  REQUIRE_THROWS_WITH(Trainer(ok, fresh_dir("badenv").string(), false, true), Contains("NoSuchEnv"));
}

TEST_CASE("ablations rewrite the keys they stand for") {
  for (auto [ablation, key, check] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"h0", "actor.horizon", "0"}, {"no_steve", "critic.target", "td"}, {"single_sample", "actor.terminal_samples", "1"},
           {"real_only", "train.real_share", "1"}, {"no_entropy", "alpha.entropy", "false"}}) {
    Config c(trainer_schema());
    c.set("ablation=" + ablation);
    std::string changed = apply_ablation(c);
    INFO(ablation);
    REQUIRE(changed.find(key) != std::string::npos);
    REQUIRE(c.to_toml().find(key.substr(key.find('.') + 1) + " = " + (check == "td" ? "\"td\"" : check)) != std::string::npos);
  }
}

TEST_CASE("a non-finite critic step skips the whole update: no tensor of the agent changes") {
  for (const char* algo : {"sac", "maac"}) {
    INFO(algo);
    Config c = tiny_config(algo);
    fs::path dir = fresh_dir(std::string("nonfinite_") + algo);
    Trainer t(c, dir.string(), false, true);
    Agent& agent = t.agent();
    TransitionBatch b;
    b.resize(4, 4, 1);
    std::fill(b.reward.begin(), b.reward.end(), NAN);
    Safetensors before, after;
    agent.save(before);
    Rng rng(1);
    const uint64_t counter = rng.counter();
    UpdateStats s = agent.update(b, rng);
    REQUIRE(s.critic_skipped);
    REQUIRE(s.skipped());
    // The noise was drawn, so the next update does not repeat this one's draws.
    REQUIRE(rng.counter() > counter);
    agent.save(after);
    REQUIRE(before.tensors().size() == after.tensors().size());
    for (const auto& [name, tensor] : before.tensors()) {
      INFO(name);
      REQUIRE(tensor.bytes == after.tensor(name).bytes);
    }
  }
}

namespace {
// A model reward that is NaN everywhere: the MAAC actor's objective is then not finite
// while TD critic targets (which read the batch's rewards) stay finite.
class NanReward : public RewardModel<float> {
 public:
  Var<float> reward(Tape<float>& tape, Var<float> s, Var<float> a, Var<float> s_next) const override {
    return scale(sum_cols(s_next), std::numeric_limits<float>::quiet_NaN());
  }
};
}  // namespace

TEST_CASE("a non-finite actor step leaves the policy and temperature alone, and the critic step stands") {
  Config c = tiny_config("maac");
  c.set("critic.target=td");
  Agent agent(4, 1, agent_options(c), std::make_unique<NanReward>(), 7);
  TransitionBatch b;
  b.resize(4, 4, 1);
  Rng data(3);
  for (float& x : b.obs) x = static_cast<float>(data.uniform(-0.1, 0.1));
  for (float& x : b.next_obs) x = static_cast<float>(data.uniform(-0.1, 0.1));
  for (float& x : b.action) x = static_cast<float>(data.uniform(-0.5, 0.5));
  std::fill(b.reward.begin(), b.reward.end(), 1.f);
  Safetensors before, after;
  agent.save(before);
  Rng rng(1);
  UpdateStats s = agent.update(b, rng);
  REQUIRE_FALSE(s.critic_skipped);
  REQUIRE(s.actor_skipped);
  REQUIRE(s.skipped());
  agent.save(after);
  auto starts = [](const std::string& name, const char* prefix) { return name.rfind(prefix, 0) == 0; };
  for (const auto& [name, tensor] : before.tensors()) {
    INFO(name);
    const bool actor_side = starts(name, "policy") || starts(name, "alpha");
    const bool critic_side = starts(name, "critic.") || starts(name, "critic_target.");
    if (actor_side) REQUIRE(tensor.bytes == after.tensor(name).bytes);
    if (critic_side && tensor.bytes.size() > 8) REQUIRE(tensor.bytes != after.tensor(name).bytes);
  }
}

TEST_CASE("SIGINT stops the run with a checkpoint, and resuming loses nothing") {
  Config c = tiny_config();
  fs::path whole = fresh_dir("sig_whole"), parts = fresh_dir("sig_parts");
  train(c, whole);
  // A real SIGINT through the installed handler sets the flag the loop checks.
  install_stop_signals();
  stop_requested() = false;
  std::raise(SIGINT);
  REQUIRE(stop_requested().load());
  REQUIRE(stop_signal() == SIGINT);  // maac train exits 128 + it (130)
  TrainResult first = train(c, parts);  // stops before its first unit of work
  REQUIRE(first.interrupted);
  REQUIRE(fs::exists(Trainer::checkpoint_path(parts.string())));
  // Interrupt again from another thread, wherever the run happens to be.
  stop_requested() = false;
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    stop_requested() = true;
  });
  TrainResult second = train(c, parts, /*resume=*/true);
  stopper.join();
  stop_requested() = false;
  INFO("the threaded stop came at " << second.env_steps << " env steps");
  TrainResult rest = second.interrupted ? train(c, parts, /*resume=*/true) : second;
  REQUIRE_FALSE(rest.interrupted);
  REQUIRE(rest.env_steps == 600);
  REQUIRE(deterministic_rows(parts) == deterministic_rows(whole));
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

TEST_CASE("episodes keep the environment's own time limit unless the config sets one") {
  Config c(trainer_schema());
  c.set("env.name=Pendulum");
  REQUIRE_FALSE(trainer_options(c).env_options().max_episode_steps.has_value());
  c.set("env.max_episode_steps=50");
  REQUIRE(trainer_options(c).env_options().max_episode_steps == 50);
  // Pendulum's own limit is 200 steps: a 450-step random phase holds two full episodes.
  Config run = tiny_config("sac");
  run.set("env.name=Pendulum");
  run.set("env.max_episode_steps=0");
  run.set("run.total_steps=450");
  run.set("run.initial_random_steps=450");
  fs::path dir = fresh_dir("own_limit");
  train(run, dir);
  Safetensors ck = Safetensors::load(Trainer::checkpoint_path(dir.string()));
  REQUIRE(ck.get<int64_t>("trainer.episodes", 1)[0] == 2);  // episodes completed
}

TEST_CASE("run.device = cuda fails clearly without a GPU and writes nothing, and trains with one") {
  Config c = tiny_config();
  c.set("run.device=cuda");
  fs::path dir = fresh_dir("device");
  if (!device::available(Device::cuda)) {
    REQUIRE_THROWS_WITH(Trainer(c, dir.string(), false, true), Contains("cuda") && Contains("--device"));
    REQUIRE(!fs::exists(dir));
    return;
  }
  // On a GPU machine: the same tiny run completes on the device, and its checkpoint
  // loads on the cpu for evaluation.
  c.set("run.total_steps=300");
  TrainResult r = train(c, dir);
  REQUIRE(r.env_steps == 300);
  LoadedAgent loaded = load_agent(Trainer::checkpoint_path(dir.string()), Device::cpu);
  REQUIRE(loaded.agent->device() == Device::cpu);
}

namespace {

// progress.csv's (env_steps, eval_return cell) pairs, in order.
std::vector<std::pair<int64_t, std::string>> eval_returns(const fs::path& dir) {
  std::ifstream in(dir / "progress.csv");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) header.push_back(c);
  const size_t col = static_cast<size_t>(std::find(header.begin(), header.end(), "eval_return") - header.begin());
  std::vector<std::pair<int64_t, std::string>> out;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
    out.emplace_back(std::stoll(cells[0]), cells.at(col));
  }
  return out;
}

// The first row holding the highest eval_return among rows after `after` env steps, and
// how many times the running best rose.
struct BestRow {
  int64_t env_steps = -1;
  std::string cell;
  int rises = 0;
};
BestRow best_row(const fs::path& dir, int64_t after = 0) {
  BestRow best;
  double value = -std::numeric_limits<double>::infinity();
  for (const auto& [steps, cell] : eval_returns(dir))
    if (steps > after && std::stod(cell) > value) {
      value = std::stod(cell);
      best = {steps, cell, best.rises + 1};
    }
  return best;
}

bool same_agent_tensors(const Safetensors& a, const Safetensors& b) {
  if (a.tensors().size() != b.tensors().size()) return false;
  for (const auto& [name, t] : a.tensors())
    if (!b.has(name) || t.bytes != b.tensor(name).bytes) return false;
  return true;
}

// `maac ...` as a child process; its wait status.
int run_maac(const std::string& args, const std::string& env = "") {
  return std::system(("exec env " + env + " " + MAAC_BINARY + " " + args).c_str());
}

fs::path config_file(const Config& c, const fs::path& dir) {
  fs::create_directories(dir);
  fs::path f = dir / "run.toml";
  std::ofstream(f) << c.to_toml();
  return f;
}

}  // namespace

TEST_CASE("best.safetensors holds the agent at the best evaluation, and maac eval reads it") {
  Config c = tiny_config();
  fs::path dir = fresh_dir("best");
  train(c, dir);
  const BestRow best = best_row(dir);
  REQUIRE(best.rises >= 2);  // the test needs a best that was replaced
  const std::string path = Trainer::best_path(dir.string());
  Safetensors b = Safetensors::load(path);
  REQUIRE(b.metadata_or("env_steps", "") == std::to_string(best.env_steps));  // a tie keeps the earlier agent
  REQUIRE(ProgressLog::cell(std::stod(b.metadata_or("eval_return", ""))) == best.cell);
  // The run checkpoint holds the best score; best.safetensors the agent alone.
  Safetensors ck = Safetensors::load(Trainer::checkpoint_path(dir.string()));
  REQUIRE(ProgressLog::cell(ck.get<double>("trainer.best_eval_return", 1)[0]) == best.cell);
  for (const auto& [name, t] : b.tensors()) {
    INFO(name);
    REQUIRE(ck.has(name));
    REQUIRE(name.rfind("trainer.", 0) != 0);
    REQUIRE(name.find("buffer") == std::string::npos);
  }
  REQUIRE_FALSE(same_agent_tensors(b, ck));  // not the final agent
  // Loaded like a checkpoint, it scores what its evaluation scored.
  LoadedAgent loaded = load_agent(path);
  TrainerOptions t = trainer_options(*loaded.config);
  const int episodes = static_cast<int>(t.eval_episodes);
  std::vector<double> r = evaluate_policy(*loaded.agent, t.env, t.env_options(), episodes, t.seed);
  REQUIRE(ProgressLog::cell((r[0] + r[1]) / 2) == best.cell);
  // `maac eval` accepts it.
  const fs::path out = dir / "eval.txt";
  REQUIRE(run_maac("eval --checkpoint " + path + " --episodes 2 --seed 0 > " + out.string()) == 0);
  std::ifstream in(out);
  std::string printed((std::istreambuf_iterator<char>(in)), {});
  REQUIRE_THAT(printed, Contains(fmt::format("return {:.1f}", std::stod(best.cell))));
}

TEST_CASE("a kill while best.safetensors is written leaves the previous best, and the resume replaces it") {
  Config c = tiny_config();
  c.set("run.checkpoint_every=100");
  fs::path whole = fresh_dir("best_whole"), killed = fresh_dir("best_killed");
  train(c, whole);
  const BestRow best = best_row(whole);
  REQUIRE(best.rises >= 2);
  // The second write of best.safetensors dies halfway (the kill test's hook).
  const int status = run_maac("train --quiet --config " + config_file(c, killed.parent_path() / "best_cfg").string() +
                                  " --out " + killed.string() + " > /dev/null",
                              "MAAC_TEST_KILL_IN_BEST_WRITE=2");
  REQUIRE(((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) || (WIFEXITED(status) && WEXITSTATUS(status) == 137)));
  bool temp_left = false;
  for (const auto& e : fs::directory_iterator(killed))
    temp_left |= e.path().filename().string().rfind("best.safetensors.tmp.", 0) == 0;
  REQUIRE(temp_left);
  // The first best (the first evaluation's) is whole: it loads, its checksum holds.
  Safetensors intact = Safetensors::load(Trainer::best_path(killed.string()));
  REQUIRE(intact.metadata_or("env_steps", "") == std::to_string(eval_returns(whole).front().first));
  // Resumed, the dead temp file goes and the best ends as the uninterrupted run's.
  train(c, killed, /*resume=*/true);
  for (const auto& e : fs::directory_iterator(killed))
    REQUIRE(e.path().filename().string().rfind("best.safetensors.tmp.", 0) != 0);
  Safetensors a = Safetensors::load(Trainer::best_path(whole.string()));
  Safetensors b = Safetensors::load(Trainer::best_path(killed.string()));
  REQUIRE(same_agent_tensors(a, b));
  REQUIRE(b.metadata_or("env_steps", "") == std::to_string(best.env_steps));
}

TEST_CASE("a checkpoint without a best score (written before best.safetensors) resumes, and its best starts there") {
  Config c = tiny_config();
  c.set("run.total_steps=300");
  fs::path dir = fresh_dir("best_old");
  train(c, dir);
  // The checkpoint as an older maac wrote it: no trainer.best_eval_return.
  const std::string ckpt = Trainer::checkpoint_path(dir.string());
  Safetensors with = Safetensors::load(ckpt), without;
  for (const auto& [key, value] : with.metadata())
    if (key != Safetensors::kChecksumKey) without.set_metadata(key, value);
  for (const auto& [name, t] : with.tensors()) {
    if (name == "trainer.best_eval_return") continue;
    if (t.type == StoredType::f32) without.put(name, t.shape, reinterpret_cast<const float*>(t.bytes.data()));
    if (t.type == StoredType::f64) without.put(name, t.shape, reinterpret_cast<const double*>(t.bytes.data()));
    if (t.type == StoredType::i64) without.put(name, t.shape, reinterpret_cast<const int64_t*>(t.bytes.data()));
    if (t.type == StoredType::u8) without.put(name, t.shape, t.bytes.data());
  }
  REQUIRE(without.tensors().size() + 1 == with.tensors().size());
  without.save(ckpt);
  fs::remove(Trainer::best_path(dir.string()));
  c.set("run.total_steps=600");
  train(c, dir, /*resume=*/true);
  const BestRow best = best_row(dir, /*after=*/300);
  Safetensors b = Safetensors::load(Trainer::best_path(dir.string()));
  REQUIRE(b.metadata_or("env_steps", "") == std::to_string(best.env_steps));
  REQUIRE(ProgressLog::cell(Safetensors::load(ckpt).get<double>("trainer.best_eval_return", 1)[0]) == best.cell);
}
