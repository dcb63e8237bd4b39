// The agent's construction (networks built on the cpu by the seeded Rng, then moved to
// their device; which updates run as CUDA graphs) and acting. The other ideas live beside
// it: agent_model.cpp (model fits, rollouts, model error), agent_update.cpp (the update
// steps), agent_state.cpp (checkpoint state).
#include "rl/agent.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace maac::rl {
namespace {

// Moves a module's parameters to `device` and returns them, so that optimisers built from
// the list in a constructor's initialiser keep their state on the same device.
ParameterList<float> moved(ParameterList<float> params, Device device) {
  to_device(params, device);
  return params;
}
// The device an agent asks for, checked before anything is allocated on it.
Device checked(Device device) {
  device::require(device, "Agent (run.device / --device)");
  return device;
}

// AgentOptions::grad_clip: 0 or less disables clipping.
double clip_setting(double grad_clip) { return grad_clip > 0 ? grad_clip : 0.0; }

}  // namespace

Agent::Agent(int64_t obs_dim, int64_t act_dim, AgentOptions options, std::unique_ptr<RewardModel<float>> reward,
             uint64_t seed)
    : obs_(obs_dim),
      act_(act_dim),
      options_(options),
      reward_(std::move(reward)),
      init_rng_(seed),
      policy_(obs_dim, act_dim, options.policy, init_rng_),
      critic_(obs_dim, act_dim, options.critic, init_rng_),
      temperature_(act_dim, options.entropy ? options.initial_alpha : 1.0, options.alpha_lr,
                   -options.target_entropy_scale * static_cast<double>(act_dim)),
      // Networks are initialised on the cpu by the seeded RNG, then moved: the same seed
      // gives the same initial weights on every device.
      policy_adam_(moved(policy_.parameters(), checked(options.device)), AdamOptions{options.policy_lr}),
      critic_adam_(moved(critic_.parameters(), options.device), AdamOptions{options.critic_lr}),
      policy_guarded_step_(policy_adam_, clip_setting(options.grad_clip), GuardedStep<float>::Decide::on_host,
                           "Agent (actor)"),
      critic_guarded_step_(critic_adam_, clip_setting(options.grad_clip), GuardedStep<float>::Decide::on_host,
                           "Agent (critic)"),
      tape_(options.device, size_t(1) << 22) {
  if (!reward_) throw std::invalid_argument("Agent: a reward model is required");
  if (options.steve.members < 0 || options.steve.members > options.model.members)
    throw std::invalid_argument("Agent: critic.steve_members " + std::to_string(options.steve.members) +
                                ", expected 0 (all) to model.members " + std::to_string(options.model.members));
  to_device(critic_.target_parameters(), options.device);
  if (uses_model()) {
    model_ = std::make_unique<DynamicsModel<float>>(obs_dim, act_dim, options.model, init_rng_);
    to_device(model_->parameters(), options.device);
    model_trainer_ = std::make_unique<DynamicsTrainer<float>>(*model_, options.model_training);
  }
  if (options.algorithm == Algorithm::steve && options.critic_target != CriticTarget::steve)
    throw std::invalid_argument("Agent: algo = steve with critic.target = td, expected critic.target = steve (the "
                                "STEVE baseline's critic is its STEVE target)");
  if (options.algorithm == Algorithm::svg1) {
    // V has the critic's sizes and learning rate and the same Polyak rate.
    value_ = std::make_unique<ValueFunction<float>>(obs_dim, options.critic, init_rng_);
    value_adam_ = std::make_unique<Adam<float>>(moved(value_->parameters(), options.device), AdamOptions{options.critic_lr});
    to_device(value_->target_parameters(), options.device);
    value_guarded_step_ = std::make_unique<GuardedStep<float>>(*value_adam_, clip_setting(options.grad_clip),
                                                               GuardedStep<float>::Decide::on_host, "Agent (value)");
  }
  if (options.device == Device::cuda && options.cuda_graphs) build_graphs(seed);
}

Agent::~Agent() = default;

void Agent::build_graphs(uint64_t seed) {
  std::string actor = "actor op by op (", critic = "critic op by op (";
  // The actor: MAAC's pathwise update. The graph evaluates all members then selects (the
  // same values as routed, which needs host routing); SAC, MBPO, STEVE and SVG(1) actors
  // stay op by op. The STEVE baseline's critic is captured as MAAC's is.
  // Both graphs clip on the device when grad_clip > 0 (anything else is off, as op by op).
  const double clip = clip_setting(options_.grad_clip);
  if (options_.algorithm == Algorithm::svg1) {
    // SVG(1) trains V, not the twin critic: its actor and value steps both run op by op.
    graph_summary_ = actor + "only the MAAC actor is captured); value op by op (the SVG(1) value step is not captured)";
    return;
  }
  if (options_.algorithm != Algorithm::maac) {
    actor += "only the MAAC actor is captured)";
  } else {
    MaacObjectiveOptions g = options_.objective;
    g.evaluation = EnsembleEvaluation::all_then_select;
    const std::string why = CapturedActorUpdate::not_capturable(g, *reward_);
    if (why.empty()) {
      actor_graph_ = std::make_unique<CapturedActorUpdate>(policy_, policy_adam_, *model_, critic_, *reward_, g,
                                                           options_.batch, seed ^ 0x6163746f72ull, clip);
      actor = "actor as a CUDA graph";
    } else {
      actor += why + ")";
    }
  }
  const bool steve = steve_critic();
  if (steve && !reward_->capturable()) {
    critic += "the reward model reads values on the host: RewardModel::capturable() is false)";
  } else if (steve && options_.steve.members > 0 && options_.steve.members < model_->members()) {
    critic += "critic.steve_members draws a subset of members on the host)";
  } else {
    CapturedCriticOptions o;
    o.batch = options_.batch;
    o.gamma = options_.gamma;
    o.steve = steve;
    o.steve_options = options_.steve;
    o.polyak_in_graph = true;
    o.tau = options_.tau;
    o.grad_clip = clip;
    o.noise_seed = seed ^ 0x637269746963ull;
    critic_graph_ = std::make_unique<CapturedCriticUpdate>(policy_, critic_, critic_adam_, steve ? model_.get() : nullptr,
                                                           steve ? reward_.get() : nullptr, o);
    critic = "critic as a CUDA graph";
  }
  graph_summary_ = actor + "; " + critic;
}

double Agent::alpha() const { return options_.entropy ? temperature_.alpha() : 0.0; }

void Agent::act(const float* obs, int64_t n, bool deterministic, Rng& rng, float* actions) {
  tape_.reset();
  NoGrad<float> off(tape_);
  Var<float> s = tape_.constant(Shape{n, obs_}, obs);
  Var<float> a;
  if (deterministic) {
    a = policy_.deterministic(tape_, s);
  } else {
    std::vector<float> eps = rng.normal_vector<float>(n * act_);
    a = policy_.sample(tape_, s, tape_.constant(Shape{n, act_}, eps.data())).action;
  }
  std::vector<float> a_host = a.to_host();
  std::copy_n(a_host.data(), n * act_, actions);
}

}  // namespace maac::rl
