#include "rl/trainer_config.hpp"

#include <cmath>
#include <stdexcept>

namespace maac::rl {
namespace {

Unary activation(const std::string& name) {
  if (name == "relu") return Unary::relu;
  if (name == "tanh") return Unary::tanh;
  if (name == "silu") return Unary::silu;
  throw std::invalid_argument("activation '" + name + "': expected relu, tanh or silu");
}
const std::vector<std::string> kActivations{"relu", "tanh", "silu"};
std::vector<int64_t> layers(int64_t count, int64_t width) { return std::vector<int64_t>(static_cast<size_t>(count), width); }

ConfigSchema make_schema() {
  ConfigSchema s;
  s.choice("algo", "maac", {"maac", "sac", "mbpo"}, "maac: pathwise H-step actor; sac: model-free; mbpo: model data + SAC actor")
      .choice("ablation", "none", {"none", "h0", "no_steve", "single_sample", "real_only", "no_entropy"},
              "the paper's ablations, applied on top of the other keys")
      .integer("seed", 0, 0, 1ll << 62, "seeds networks, data and noise")
      .text("env.name", "InvertedPendulum", "environment (maac envs lists them)")
      .integer("env.max_episode_steps", 0, 0, 1000000, "time limit, truncation not termination (0: the env's own)")
      .integer("run.total_steps", 100000, 1, 1ll << 40, "real environment steps")
      .integer("run.initial_random_steps", 5000, 0, 1ll << 40, "uniformly random steps before iteration 0")
      .integer("run.steps_per_iteration", 1000, 1, 1ll << 30, "real steps collected per iteration")
      .integer("run.eval_every", 5000, 1, 1ll << 40, "env steps between evaluations (deterministic policy)")
      .integer("run.eval_episodes", 5, 1, 1000, "episodes per evaluation, on separate env instances")
      .integer("run.checkpoint_every", 10000, 0, 1ll << 40, "env steps between checkpoints (0: only at the end)")
      .real("run.stop_at_return", 1e30, -1e30, 1e30, "stop at the first evaluation whose mean return reaches this")
      .integer("run.max_nonfinite_updates", 100, 1, 1ll << 30, "consecutive skipped updates that stop the run")
      .integer("run.threads", 0, 0, 1024, "CPU threads (0: all cores)")
      .choice("run.device", "cpu", {"cpu", "cuda"}, "where networks and updates run (cuda: one GPU, an error without one)")
      .boolean("run.cuda_graphs", true, "on cuda: run the actor and critic updates as captured CUDA graphs where possible")
      .integer("train.updates_per_iteration", 8000, 0, 1ll << 30, "actor+critic updates per iteration (authors: 8000)")
      .integer("train.update_blocks", 4, 1, 1000, "blocks of rollouts + updates per iteration (authors: 4)")
      .integer("train.batch", 256, 1, 1 << 20, "transitions per update")
      .real("train.real_share", 0.05, 0.0, 1.0, "share of each batch from real data, the rest model data")
      .real("train.gamma", 0.99, 0.0, 1.0, "discount")
      .real("train.grad_clip", 0.0, 0.0, 1e12, "global gradient-norm clip (0: off)")
      .integer("replay.capacity", 1000000, 1, 1ll << 34, "real transitions kept")
      .integer("model.members", 7, 1, 64, "ensemble size (authors: 8)")
      .integer("model.layers", 4, 1, 16, "hidden layers")
      .integer("model.width", 200, 1, 4096, "hidden width")
      .choice("model.activation", "silu", kActivations, "hidden activation")
      .integer("model.elites", 0, 0, 64, "members used for sampling, best by held-out NLL (0: all)")
      .real("model.lr", 1e-3, 1e-8, 1.0, "Adam learning rate")
      .integer("model.batch", 256, 1, 1 << 20, "training batch per member")
      .real("model.holdout", 0.2, 0.0, 0.9, "held-out share for early stopping")
      .integer("model.max_epochs", 200, 1, 100000, "epochs per fit")
      .integer("model.patience", 5, 1, 1000, "epochs without 1% held-out improvement before stopping")
      .choice("model.noise", "std", {"std", "variance"},
              "differentiable model noise scale: std (paper) or variance (authors' code)")
      .integer("rollout.starts", 100000, 1, 1ll << 30, "start states per block")
      .reals("rollout.schedule", {20, 100, 1, 1}, 4, "[from_iter, to_iter, from_len, to_len]")
      .integer("rollout.buffer", 2000000, 1, 1ll << 34, "model transitions kept")
      .integer("actor.horizon", 4, 0, 100, "H: model steps in the pathwise objective")
      .integer("actor.terminal_samples", 5, 1, 1000, "K: actions sampled at s_H")
      .integer("actor.samples_per_state", 1, 1, 1000, "paths per start state")
      .choice("actor.entropy", "path", {"path", "first"}, "entropy along the path, or at the first action (authors)")
      .choice("actor.member_choice", "step", {"step", "trajectory"}, "model member per step or per path")
      .choice("actor.evaluation", "routed", {"routed", "all"}, "routed ensemble or all-members-then-select")
      .real("actor.lr", 3e-4, 1e-8, 1.0, "policy learning rate")
      .integer("actor.layers", 2, 1, 16, "hidden layers")
      .integer("actor.width", 256, 1, 4096, "hidden width")
      .choice("actor.activation", "relu", kActivations, "hidden activation")
      .choice("critic.target", "steve", {"steve", "td"}, "STEVE over horizons 0..steve_horizon, or one-step TD")
      .integer("critic.steve_horizon", 2, 0, 100, "H_c")
      .choice("critic.steve_variance", "members_and_twins", {"members_and_twins", "authors_zero_h0"},
              "how STEVE measures spread (authors: h = 0 has zero variance)")
      .real("critic.lr", 3e-4, 1e-8, 1.0, "critic learning rate")
      .integer("critic.layers", 2, 1, 16, "hidden layers")
      .integer("critic.width", 256, 1, 4096, "hidden width")
      .choice("critic.activation", "relu", kActivations, "hidden activation")
      .real("critic.tau", 5e-3, 0.0, 1.0, "Polyak rate of the target critics")
      .boolean("alpha.entropy", true, "entropy regularisation (false: alpha = 0)")
      .boolean("alpha.learn", true, "tune alpha towards the target entropy")
      .real("alpha.initial", 1.0, 1e-8, 1e8, "initial temperature")
      .real("alpha.lr", 3e-4, 1e-8, 1.0, "temperature learning rate")
      .real("alpha.target_scale", 1.0, 0.0, 100.0, "target entropy = -scale * |A|");
  return s;
}

}  // namespace

const ConfigSchema& trainer_schema() {
  static const ConfigSchema schema = make_schema();
  return schema;
}

std::string apply_ablation(Config& c) {
  const std::string& a = c.text("ablation");
  if (a == "h0") { c.set("actor.horizon=0"); return "actor.horizon=0"; }
  if (a == "no_steve") { c.set("critic.target=td"); return "critic.target=td"; }
  if (a == "single_sample") {
    c.set("actor.terminal_samples=1");
    c.set("actor.samples_per_state=1");
    return "actor.terminal_samples=1, actor.samples_per_state=1";
  }
  if (a == "real_only") { c.set("train.real_share=1.0"); return "train.real_share=1"; }
  if (a == "no_entropy") { c.set("alpha.entropy=false"); return "alpha.entropy=false"; }
  return "";
}

AgentOptions agent_options(const Config& c) {
  AgentOptions o;
  const std::string& algo = c.text("algo");
  o.algorithm = algo == "sac" ? Algorithm::sac : algo == "mbpo" ? Algorithm::mbpo : Algorithm::maac;
  o.gamma = c.real("train.gamma");
  o.device = c.text("run.device") == "cuda" ? Device::cuda : Device::cpu;
  o.cuda_graphs = c.boolean("run.cuda_graphs");
  o.batch = c.integer("train.batch");
  o.policy.hidden = layers(c.integer("actor.layers"), c.integer("actor.width"));
  o.policy.activation = activation(c.text("actor.activation"));
  o.critic.hidden = layers(c.integer("critic.layers"), c.integer("critic.width"));
  o.critic.activation = activation(c.text("critic.activation"));
  o.model.members = c.integer("model.members");
  o.model.hidden = layers(c.integer("model.layers"), c.integer("model.width"));
  o.model.activation = activation(c.text("model.activation"));
  if (c.integer("model.elites") > c.integer("model.members"))
    throw std::invalid_argument("config key 'model.elites' = " + std::to_string(c.integer("model.elites")) +
                                ": expected at most model.members = " + std::to_string(c.integer("model.members")));
  o.model_training.lr = c.real("model.lr");
  o.model_training.batch = c.integer("model.batch");
  o.model_training.holdout_fraction = c.real("model.holdout");
  o.model_training.max_epochs = c.integer("model.max_epochs");
  o.model_training.patience = c.integer("model.patience");
  o.model_training.elites = c.integer("model.elites");
  ModelNoiseScale noise = c.text("model.noise") == "variance" ? ModelNoiseScale::variance : ModelNoiseScale::std_dev;
  o.objective.horizon = c.integer("actor.horizon");
  o.objective.terminal_samples = c.integer("actor.terminal_samples");
  o.objective.samples_per_state = c.integer("actor.samples_per_state");
  o.objective.gamma = o.gamma;
  o.objective.entropy = c.text("actor.entropy") == "first" ? EntropyBonus::first_action : EntropyBonus::along_path;
  o.objective.member_choice = c.text("actor.member_choice") == "trajectory" ? MemberChoice::per_trajectory
                                                                             : MemberChoice::per_step;
  o.objective.evaluation = c.text("actor.evaluation") == "all" ? EnsembleEvaluation::all_then_select
                                                               : EnsembleEvaluation::routed;
  o.objective.model_noise = noise;
  o.critic_target = c.text("critic.target") == "td" ? CriticTarget::td : CriticTarget::steve;
  o.steve.horizon = c.integer("critic.steve_horizon");
  o.steve.gamma = o.gamma;
  o.steve.variance = c.text("critic.steve_variance") == "authors_zero_h0" ? SteveVariance::authors_zero_h0
                                                                          : SteveVariance::members_and_twins;
  o.policy_lr = c.real("actor.lr");
  o.critic_lr = c.real("critic.lr");
  o.alpha_lr = c.real("alpha.lr");
  o.initial_alpha = c.real("alpha.initial");
  o.learn_alpha = c.boolean("alpha.learn");
  o.entropy = c.boolean("alpha.entropy");
  o.target_entropy_scale = c.real("alpha.target_scale");
  o.tau = c.real("critic.tau");
  o.grad_clip = c.real("train.grad_clip");
  return o;
}

TrainerOptions trainer_options(const Config& c) {
  TrainerOptions t;
  t.env = c.text("env.name");
  t.max_episode_steps = c.integer("env.max_episode_steps");
  t.seed = static_cast<uint64_t>(c.integer("seed"));
  t.total_steps = c.integer("run.total_steps");
  t.initial_random_steps = c.integer("run.initial_random_steps");
  t.steps_per_iteration = c.integer("run.steps_per_iteration");
  t.eval_every = c.integer("run.eval_every");
  t.eval_episodes = c.integer("run.eval_episodes");
  t.checkpoint_every = c.integer("run.checkpoint_every");
  t.max_nonfinite_updates = c.integer("run.max_nonfinite_updates");
  t.stop_at_return = c.real("run.stop_at_return");
  t.threads = static_cast<int>(c.integer("run.threads"));
  t.updates_per_iteration = c.integer("train.updates_per_iteration");
  t.update_blocks = c.integer("train.update_blocks");
  t.batch = c.integer("train.batch");
  t.real_share = c.real("train.real_share");
  t.rollout_starts = c.integer("rollout.starts");
  t.rollout_schedule = c.reals("rollout.schedule");
  t.model_buffer = c.integer("rollout.buffer");
  t.real_buffer = c.integer("replay.capacity");
  const auto& sch = t.rollout_schedule;
  // Lengths become integers (rollout_length): bounded, so the conversion is always defined.
  if (sch[0] > sch[1] || sch[2] < 0 || sch[3] < 0 || sch[2] > 1e6 || sch[3] > 1e6)
    throw std::invalid_argument("config key 'rollout.schedule': expected from_iter <= to_iter and lengths in [0, 1e6]");
  return t;
}

envs::EnvOptions TrainerOptions::env_options() const {
  envs::EnvOptions o;
  if (max_episode_steps > 0) o.max_episode_steps = static_cast<int>(max_episode_steps);
  return o;
}

int64_t TrainerOptions::rollout_length(int64_t iteration) const {
  const auto& s = rollout_schedule;
  double it = static_cast<double>(iteration);
  if (it <= s[0]) return static_cast<int64_t>(s[2]);
  if (it >= s[1]) return static_cast<int64_t>(s[3]);
  double frac = (it - s[0]) / (s[1] - s[0]);
  return static_cast<int64_t>(std::floor(s[2] + frac * (s[3] - s[2])));
}

}  // namespace maac::rl
