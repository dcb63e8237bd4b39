#include "rl/trainer_config.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace maac::rl {
namespace {

using config::Name;

// One name table per enum: the schema's choices and the reader's conversion both use it.
constexpr Name<Algorithm> kAlgorithms[] = {{"maac", Algorithm::maac},
                                           {"sac", Algorithm::sac},
                                           {"mbpo", Algorithm::mbpo},
                                           {"steve", Algorithm::steve},
                                           {"svg1", Algorithm::svg1}};
constexpr Name<Device> kDevices[] = {{"cpu", Device::cpu}, {"cuda", Device::cuda}};
constexpr Name<Unary> kActivations[] = {{"relu", Unary::relu}, {"tanh", Unary::tanh}, {"silu", Unary::silu}};
constexpr Name<ModelNoiseScale> kNoiseScales[] = {{"std", ModelNoiseScale::std_dev}, {"variance", ModelNoiseScale::variance}};
constexpr Name<EntropyBonus> kEntropyBonuses[] = {{"path", EntropyBonus::along_path}, {"first", EntropyBonus::first_action}};
constexpr Name<MemberChoice> kMemberChoices[] = {{"step", MemberChoice::per_step},
                                                 {"trajectory", MemberChoice::per_trajectory}};
constexpr Name<EnsembleEvaluation> kEvaluations[] = {{"routed", EnsembleEvaluation::routed},
                                                     {"all", EnsembleEvaluation::all_then_select}};
constexpr Name<Termination> kTerminations[] = {{"hard", Termination::hard}, {"smooth", Termination::smooth}};
constexpr Name<CriticTarget> kCriticTargets[] = {{"steve", CriticTarget::steve}, {"td", CriticTarget::td}};
constexpr Name<SteveVariance> kSteveVariances[] = {{"members_and_twins", SteveVariance::members_and_twins},
                                                   {"authors_zero_h0", SteveVariance::authors_zero_h0}};

// The paper's ablations; each key an ablation rewrites says so where it is declared
// (set_under), and apply_ablation applies those assignments.
enum class Ablation { none, h0, no_steve, single_sample, real_only, no_entropy };
constexpr Name<Ablation> kAblations[] = {{"none", Ablation::none},
                                         {"h0", Ablation::h0},
                                         {"no_steve", Ablation::no_steve},
                                         {"single_sample", Ablation::single_sample},
                                         {"real_only", Ablation::real_only},
                                         {"no_entropy", Ablation::no_entropy}};

// The field a key fills, as the binder takes it: a callable returning a reference to it.
#define FIELD(path) [](TrainingOptions& o) -> auto& { return o.path; }

// `<net>.layers` and `<net>.width` fill one list of hidden widths: its length and its common
// entry (in either order: a new length copies the first entry, a width sets every entry).
template <class Hidden>
auto layer_count(Hidden hidden) {
  return config::computed(
      [hidden](TrainingOptions& o, int64_t n) {
        std::vector<int64_t>& h = hidden(o);
        h.assign(static_cast<size_t>(n), h.empty() ? 0 : h.front());
      },
      [hidden](const TrainingOptions& o) { return static_cast<int64_t>(hidden(const_cast<TrainingOptions&>(o)).size()); });
}
template <class Hidden>
auto layer_width(Hidden hidden) {
  return config::computed(
      [hidden](TrainingOptions& o, int64_t width) {
        std::vector<int64_t>& h = hidden(o);
        std::fill(h.begin(), h.end(), width);
      },
      [hidden](const TrainingOptions& o) {  // -1 where the widths differ: no key says that
        const std::vector<int64_t>& h = hidden(const_cast<TrainingOptions&>(o));
        bool same = !h.empty() && std::count(h.begin(), h.end(), h.front()) == static_cast<std::ptrdiff_t>(h.size());
        return same ? h.front() : int64_t{-1};
      });
}

config::BoundSchema<TrainingOptions> make_bindings() {
  config::BoundSchema<TrainingOptions> s;
  s.choice(key::algo, Algorithm::maac, kAlgorithms, "maac: pathwise H-step actor; sac: model-free; mbpo: model data + SAC actor; steve: SAC actor on real data, "
           "STEVE critic targets; svg1: one model step with inferred noise, a state value V",
           FIELD(agent.algorithm))
      .unbound_choice(key::ablation, Ablation::none, kAblations, "the paper's ablations, applied on top of the other keys")
      .integer(key::seed, 0, 0, 1ll << 62, "seeds networks, data and noise", FIELD(trainer.seed))
      .text(key::env_name, "InvertedPendulum", "environment (maac envs lists them)", FIELD(trainer.env))
      .integer("env.max_episode_steps", 0, 0, 1000000, "time limit, truncation not termination (0: the env's own)",
               FIELD(trainer.max_episode_steps))
      .integer(key::total_steps, 100000, 1, 1ll << 40, "real environment steps", FIELD(trainer.total_steps))
      .integer("run.initial_random_steps", 5000, 0, 1ll << 40, "uniformly random steps before iteration 0",
               FIELD(trainer.initial_random_steps))
      .integer("run.steps_per_iteration", 1000, 1, 1ll << 30, "real steps collected per iteration",
               FIELD(trainer.steps_per_iteration))
      .integer("run.eval_every", 5000, 1, 1ll << 40, "env steps between evaluations (deterministic policy)",
               FIELD(trainer.eval_every))
      .integer("run.eval_episodes", 5, 1, 1000, "episodes per evaluation, on separate env instances",
               FIELD(trainer.eval_episodes))
      .boolean("run.eval_video", false,
               "film episode 0 of every evaluation to videos/eval_<env steps>.mp4 in the run directory (MuJoCo envs)",
               FIELD(trainer.eval_video))
      .integer("run.checkpoint_every", 10000, 0, 1ll << 40, "env steps between checkpoints (0: only at the end)",
               FIELD(trainer.checkpoint_every))
      .real("run.stop_at_return", 1e30, -1e30, 1e30, "stop at the first evaluation whose mean return reaches this",
            FIELD(trainer.stop_at_return))
      .integer("run.max_nonfinite_updates", 100, 1, 1ll << 30, "consecutive skipped updates that stop the run",
               FIELD(trainer.max_nonfinite_updates))
      .integer("run.threads", 0, 0, 1024, "CPU threads (0: all cores)", FIELD(trainer.threads))
      .choice(key::device, Device::cpu, kDevices, "where networks and updates run (cuda: one GPU, an error without one)",
              FIELD(agent.device))
      .boolean("run.cuda_graphs", true, "on cuda: run the actor and critic updates as captured CUDA graphs where possible",
               FIELD(agent.cuda_graphs))
      .integer("train.updates_per_iteration", 8000, 0, 1ll << 30, "actor+critic updates per iteration (authors: 8000)",
               FIELD(trainer.updates_per_iteration))
      .integer("train.update_blocks", 4, 1, 1000, "blocks of rollouts + updates per iteration (authors: 4)",
               FIELD(trainer.update_blocks))
      .integer("train.batch", 256, 1, 1 << 20, "transitions per update",
               config::fields(FIELD(trainer.batch), FIELD(agent.batch)))
      .real("train.real_share", 0.05, 0.0, 1.0, "share of each batch from real data, the rest model data",
            FIELD(trainer.real_share))
      .set_under(Ablation::real_only, "1")
      .real("train.gamma", 0.99, 0.0, 1.0, "discount",
            config::fields(FIELD(agent.gamma), FIELD(agent.objective.gamma), FIELD(agent.steve.gamma)))
      .real("train.grad_clip", 0.0, 0.0, 1e12, "global gradient-norm clip (0: off)", FIELD(agent.grad_clip))
      .integer("replay.capacity", 1000000, 1, 1ll << 34, "real transitions kept", FIELD(trainer.real_buffer))
      .integer("model.members", 7, 1, 64, "ensemble size (authors: 8)", FIELD(agent.model.members))
      .integer("model.layers", 4, 1, 16, "hidden layers", layer_count(FIELD(agent.model.hidden)))
      .integer("model.width", 200, 1, 4096, "hidden width", layer_width(FIELD(agent.model.hidden)))
      .choice("model.activation", Unary::silu, kActivations, "hidden activation", FIELD(agent.model.activation))
      .integer("model.elites", 0, 0, 64, "members used for sampling, best by held-out NLL (0: all)",
               FIELD(agent.model_training.elites))
      .check([](const TrainingOptions& o) -> std::string {
        const int64_t elites = o.agent.model_training.elites, members = o.agent.model.members;
        if (elites <= members) return "";
        return " = " + std::to_string(elites) + ": expected at most model.members = " + std::to_string(members);
      })
      .real("model.lr", 1e-3, 1e-8, 1.0, "Adam learning rate", FIELD(agent.model_training.lr))
      .integer("model.batch", 256, 1, 1 << 20, "training batch per member", FIELD(agent.model_training.batch))
      .real("model.holdout", 0.2, 0.0, 0.9, "held-out share for early stopping", FIELD(agent.model_training.holdout_fraction))
      .integer("model.max_epochs", 200, 1, 100000, "epochs per fit", FIELD(agent.model_training.max_epochs))
      .integer("model.patience", 5, 1, 1000, "epochs without 1% held-out improvement before stopping",
               FIELD(agent.model_training.patience))
      .choice("model.noise", ModelNoiseScale::std_dev, kNoiseScales,
              "model noise scale of the actor objective and the STEVE targets: std (paper) or variance (authors' code)",
              config::fields(FIELD(agent.objective.model_noise), FIELD(agent.steve.model_noise)))
      .integer("rollout.starts", 100000, 1, 1ll << 30, "start states per block", FIELD(trainer.rollout_starts))
      .reals("rollout.schedule", {20, 100, 1, 1}, 4, "[from_iter, to_iter, from_len, to_len]",
             FIELD(trainer.rollout_schedule))
      .check([](const TrainingOptions& o) -> std::string {
        // Lengths become integers (rollout_length): bounded, so the conversion is always defined.
        const std::vector<double>& sch = o.trainer.rollout_schedule;
        if (sch[0] > sch[1] || sch[2] < 0 || sch[3] < 0 || sch[2] > 1e6 || sch[3] > 1e6)
          return ": expected from_iter <= to_iter and lengths in [0, 1e6]";
        return "";
      })
      .integer("rollout.buffer", 2000000, 1, 1ll << 34, "model transitions kept", FIELD(trainer.model_buffer))
      .integer("actor.horizon", 4, 0, 100, "H: model steps in the pathwise objective", FIELD(agent.objective.horizon))
      .set_under(Ablation::h0, "0")
      .integer("actor.terminal_samples", 5, 1, 1000, "K: actions sampled at s_H", FIELD(agent.objective.terminal_samples))
      .set_under(Ablation::single_sample, "1")
      .integer("actor.samples_per_state", 1, 1, 1000, "paths per start state", FIELD(agent.objective.samples_per_state))
      .set_under(Ablation::single_sample, "1")
      .choice("actor.entropy", EntropyBonus::along_path, kEntropyBonuses,
              "entropy along the path, or at the first action (authors)", FIELD(agent.objective.entropy))
      .choice("actor.member_choice", MemberChoice::per_step, kMemberChoices, "model member per step or per path",
              FIELD(agent.objective.member_choice))
      .choice("actor.evaluation", EnsembleEvaluation::routed, kEvaluations, "routed ensemble or all-members-then-select",
              FIELD(agent.objective.evaluation))
      .choice("actor.termination", Termination::smooth, kTerminations,
              "termination on the actor's model path: smooth alive probabilities (gradient reaches the actions) or 0/1 masks (none; the paper)",
              FIELD(agent.objective.termination))
      .real("actor.lr", 3e-4, 1e-8, 1.0, "policy learning rate", FIELD(agent.policy_lr))
      .integer("actor.layers", 2, 1, 16, "hidden layers", layer_count(FIELD(agent.policy.hidden)))
      .integer("actor.width", 256, 1, 4096, "hidden width", layer_width(FIELD(agent.policy.hidden)))
      .choice("actor.activation", Unary::relu, kActivations, "hidden activation", FIELD(agent.policy.activation))
      .choice("critic.target", CriticTarget::steve, kCriticTargets, "STEVE over horizons 0..steve_horizon, or one-step TD",
              FIELD(agent.critic_target))
      .set_under(Ablation::no_steve, "td")
      .integer("critic.steve_horizon", 2, 0, 100, "H_c", FIELD(agent.steve.horizon))
      .integer("critic.steve_members", 0, 0, 1024,
               "members whose paths make the STEVE candidates, drawn anew every update (0: all; the authors: 4 of 8)",
               FIELD(agent.steve.members))
      .choice("critic.steve_variance", SteveVariance::members_and_twins, kSteveVariances,
              "how STEVE measures spread (authors: h = 0 has zero variance)", FIELD(agent.steve.variance))
      .real("critic.lr", 3e-4, 1e-8, 1.0, "critic learning rate", FIELD(agent.critic_lr))
      .integer("critic.layers", 2, 1, 16, "hidden layers", layer_count(FIELD(agent.critic.hidden)))
      .integer("critic.width", 256, 1, 4096, "hidden width", layer_width(FIELD(agent.critic.hidden)))
      .choice("critic.activation", Unary::relu, kActivations, "hidden activation", FIELD(agent.critic.activation))
      .real("critic.tau", 5e-3, 0.0, 1.0, "Polyak rate of the target critics", FIELD(agent.tau))
      .boolean("alpha.entropy", true, "entropy regularisation (false: alpha = 0)", FIELD(agent.entropy))
      .set_under(Ablation::no_entropy, "false")
      .boolean("alpha.learn", true, "tune alpha towards the target entropy", FIELD(agent.learn_alpha))
      .real("alpha.initial", 1.0, 1e-8, 1e8, "initial temperature", FIELD(agent.initial_alpha))
      .real("alpha.lr", 3e-4, 1e-8, 1.0, "temperature learning rate", FIELD(agent.alpha_lr))
      .real("alpha.target_scale", 1.0, 0.0, 100.0, "target entropy = -scale * |A|", FIELD(agent.target_entropy_scale));
  return s;
}
#undef FIELD

}  // namespace

const config::BoundSchema<TrainingOptions>& trainer_bindings() {
  static const config::BoundSchema<TrainingOptions> bindings = make_bindings();
  return bindings;
}

const ConfigSchema& trainer_schema() { return trainer_bindings().schema(); }

std::string apply_ablation(Config& c) {
  std::string changed;
  const Ablation ablation = config::value_of(kAblations, c.text(key::ablation));
  for (const std::string& set : trainer_bindings().assignments_under(ablation)) {
    c.set(set);
    changed += (changed.empty() ? "" : ", ") + set;
  }
  return changed;
}

TrainingOptions training_options(const Config& c) { return trainer_bindings().read(c); }
AgentOptions agent_options(const Config& c) { return training_options(c).agent; }
TrainerOptions trainer_options(const Config& c) { return training_options(c).trainer; }

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
