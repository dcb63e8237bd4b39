#include "rl/agent.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rl/model_error.hpp"

namespace maac::rl {
namespace {

// Parameters and Adam state stored under "<prefix>.<index>.<name>", so a checkpoint
// names every tensor and a mismatched architecture fails with that name.
void put_params(Safetensors& st, const std::string& prefix, const ParameterList<float>& ps) {
  for (size_t i = 0; i < ps.size(); ++i) {
    const Shape& s = ps[i]->shape();
    std::vector<int64_t> dims;
    for (int d = 0; d < s.rank(); ++d) dims.push_back(s[d]);
    st.put(prefix + "." + std::to_string(i) + "." + ps[i]->name(), dims, ps[i]->value());
  }
}
void get_params(const Safetensors& st, const std::string& prefix, const ParameterList<float>& ps) {
  for (size_t i = 0; i < ps.size(); ++i)
    st.get_into(prefix + "." + std::to_string(i) + "." + ps[i]->name(), ps[i]->value());
}
void put_adam(Safetensors& st, const std::string& prefix, Adam<float>& adam) {
  auto& m = adam.first_moments();
  auto& v = adam.second_moments();
  for (size_t i = 0; i < m.size(); ++i) {
    st.put(prefix + ".m." + std::to_string(i), {m[i].numel()}, m[i]);
    st.put(prefix + ".v." + std::to_string(i), {v[i].numel()}, v[i]);
  }
  st.put<int64_t>(prefix + ".steps", {adam.steps()});
}
void get_adam(const Safetensors& st, const std::string& prefix, Adam<float>& adam) {
  auto& m = adam.first_moments();
  auto& v = adam.second_moments();
  for (size_t i = 0; i < m.size(); ++i) {
    st.get_into(prefix + ".m." + std::to_string(i), m[i]);
    st.get_into(prefix + ".v." + std::to_string(i), v[i]);
  }
  adam.set_steps(st.get<int64_t>(prefix + ".steps", 1)[0]);
}
template <class V> std::vector<int64_t> as_i64(const V& v) { return std::vector<int64_t>(v.begin(), v.end()); }

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

bool all_finite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

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
  to_device(critic_.target_parameters(), options.device);
  if (uses_model()) {
    model_ = std::make_unique<DynamicsModel<float>>(obs_dim, act_dim, options.model, init_rng_);
    to_device(model_->parameters(), options.device);
    model_trainer_ = std::make_unique<DynamicsTrainer<float>>(*model_, options.model_training);
  }
  if (options.device == Device::cuda && options.cuda_graphs) build_graphs(seed);
}

Agent::~Agent() = default;

void Agent::build_graphs(uint64_t seed) {
  std::string actor = "actor op by op (", critic = "critic op by op (";
  // The actor: MAAC's pathwise update. The graph evaluates all members then selects (the
  // same values as routed, which needs host routing); SAC and MBPO actors stay op by op.
  // Both graphs clip on the device when grad_clip > 0 (anything else is off, as op by op).
  const double clip = clip_setting(options_.grad_clip);
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
  const bool steve = options_.algorithm == Algorithm::maac && options_.critic_target == CriticTarget::steve;
  if (steve && !reward_->capturable()) {
    critic += "the reward model reads values on the host: RewardModel::capturable() is false)";
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

ModelFitStats Agent::fit_model(ReplayBuffer& real, Rng& rng) {
  if (!model_) throw std::logic_error("Agent::fit_model: this algorithm has no model");
  const DynamicsTrainingOptions& fit_options = model_trainer_->options();
  real.assign_split(rng, fit_options.holdout_fraction);
  const DynamicsSplit split = capped_split(real.split(), fit_options.max_holdout);
  std::vector<int64_t> all(static_cast<size_t>(real.size()));
  for (int64_t i = 0; i < real.size(); ++i) all[i] = i;
  TransitionBatch b;
  real.gather(all, b);
  DynamicsTrainingReport report =
      model_trainer_->fit(b.obs.data(), b.action.data(), b.next_obs.data(), b.reward.data(), b.size, split, rng);
  ModelFitStats stats;
  stats.epochs = report.epochs;
  stats.early_stopped = report.early_stopped;
  stats.train_rows = report.train_rows;
  stats.holdout_rows = report.holdout_rows;
  stats.epochs_kept = report.epochs_kept;
  stats.member_holdout_nll = report.holdout_nll;
  stats.member_holdout_mse = report.holdout_mse;
  double nll = 0, mse = 0;
  for (int32_t m : model_->sampling_members()) {
    nll += report.holdout_nll[m];
    mse += report.holdout_mse[m];
  }
  const double k = static_cast<double>(model_->sampling_members().size());
  stats.holdout_nll = nll / k;
  stats.holdout_mse = mse / k;
  for (size_t m = 0; m < report.holdout_nll.size(); ++m)
    if (report.holdout_nll[m] < report.initial_holdout_nll[m]) ++stats.members_improved;
  return stats;
}

std::vector<double> Agent::model_error_by_horizon(const ReplayBuffer& real, int64_t horizon) {
  if (!model_) throw std::logic_error("Agent::model_error_by_horizon: this algorithm has no model");
  return open_loop_error(*model_, tape_, real, newest_episode(real, horizon, 1000), horizon);
}

void Agent::rollout(const ReplayBuffer& real, ReplayBuffer& model_buffer, int64_t starts, int64_t length, Rng& rng) {
  if (!model_) throw std::logic_error("Agent::rollout: this algorithm has no model");
  TransitionBatch start;
  real.sample(rng, starts, start);
  std::vector<float> s = start.obs, s_next, r, alive;
  int64_t n = starts;
  const std::vector<int32_t>& pool = model_->sampling_members();
  for (int64_t t = 0; t < length && n > 0; ++t) {
    tape_.reset();
    NoGrad<float> off(tape_);
    std::vector<float> a_eps = rng.normal_vector<float>(n * act_);
    std::vector<float> m_eps = rng.normal_vector<float>(n * model_->out_dim());
    std::vector<int32_t> members(static_cast<size_t>(n));
    for (int32_t& m : members) m = pool[static_cast<size_t>(rng.below(static_cast<int64_t>(pool.size())))];
    Var<float> sv = tape_.constant(Shape{n, obs_}, s.data());
    Var<float> av = policy_.sample(tape_, sv, tape_.constant(Shape{n, act_}, a_eps.data())).action;
    // Imagined data uses the correct std-scaled noise (the authors' non-differentiable path).
    Var<float> nv = model_->next_state_rows(tape_, sv, av, members, tape_.constant(Shape{n, model_->out_dim()}, m_eps.data()),
                                           EnsembleEvaluation::routed, ModelNoiseScale::std_dev);
    Var<float> rv = reward_->reward(tape_, sv, av, nv);
    Var<float> alive_v = checked_alive(*reward_, tape_, nv);
    // Keep finite rows; chain the ones still alive.
    const std::vector<float> ns_all = nv.to_host(), a_all = av.to_host(), r_all = rv.to_host(),
                             alive_all = alive_v.to_host();
    std::vector<float> next_s;
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float* ns = ns_all.data() + i * obs_;
      if (!all_finite(ns, obs_) || !std::isfinite(r_all[i])) continue;
      bool done = alive_all[i] < 0.5f;
      model_buffer.add(s.data() + i * obs_, a_all.data() + i * act_, r_all[i], ns, done);
      if (!done) {
        next_s.insert(next_s.end(), ns, ns + obs_);
        ++kept;
      }
    }
    s.swap(next_s);
    n = kept;
  }
}

double Agent::critic_step(const TransitionBatch& b, Rng& rng, bool* ok, bool* targets_updated) {
  const int64_t n = b.size;
  *targets_updated = false;
  if (critic_graph_ && n == critic_graph_->options().batch) {
    // Targets, loss, the guarded step and Polyak in one replayed graph.
    const CriticUpdateResult r = critic_graph_->run(b, alpha());
    *ok = r.applied;
    *targets_updated = true;
    return r.loss;
  }
  // The same work as the critic graph's, op by op with host-drawn noise.
  std::vector<float> alive(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) alive[i] = 1.f - b.terminated[i];
  tape_.reset();
  Var<float> r = tape_.constant(Shape{n, 1}, b.reward.data()), alive_v = tape_.constant(Shape{n, 1}, alive.data());
  Var<float> s_next = tape_.constant(Shape{n, obs_}, b.next_obs.data());
  Var<float> alpha_v = tape_.filled(Shape{1, 1}, static_cast<float>(alpha()));
  Var<float> y;
  const bool steve = options_.algorithm == Algorithm::maac && options_.critic_target == CriticTarget::steve;
  if (steve) {
    const SteveNoise<float> noise = SteveNoise<float>::draw(options_.steve, n, *model_, act_, rng);
    y = steve_targets_var(policy_, *model_, critic_, *reward_, r, alive_v, s_next, alpha_v,
                          SteveNoiseVars<float>::on_tape(tape_, noise, n, act_, *model_), options_.steve)
            .target;
  } else {
    const std::vector<float> eps = rng.normal_vector<float>(n * act_);
    y = td_target_var(policy_, critic_, r, alive_v, s_next, tape_.constant(Shape{n, act_}, eps.data()), alpha_v,
                      options_.gamma);
  }
  Var<float> loss = critic_.loss(tape_, tape_.constant(Shape{n, obs_}, b.obs.data()),
                                 tape_.constant(Shape{n, act_}, b.action.data()), y);
  critic_guarded_step_.run(tape_, loss);
  *ok = critic_guarded_step_.stepped();
  return loss.item();
}

double Agent::actor_step(const TransitionBatch& b, Rng& rng, bool* ok, UpdateStats& stats) {
  const int64_t n = b.size;
  if (actor_graph_ && n == actor_graph_->batch()) {
    const CapturedActorStep r = actor_graph_->run(b.obs.data(), alpha());
    *ok = r.stepped;
    return r.loss;
  }
  tape_.reset();
  Var<float> s0 = tape_.constant(Shape{n, obs_}, b.obs.data());
  Var<float> loss;
  if (options_.algorithm == Algorithm::maac) {
    MaacNoise<float> noise = MaacNoise<float>::draw(options_.objective, n, *model_, act_, rng);
    MaacObjective<float> objective =
        maac_policy_objective(tape_, s0, policy_, *model_, critic_, *reward_, alpha(), noise, options_.objective);
    loss = objective.loss;
    stats.terminal_share = terminal_share(objective);
  } else {
    std::vector<float> eps = rng.normal_vector<float>(n * act_);
    loss = sac_actor_loss(tape_, s0, policy_, critic_, alpha(), tape_.constant(Shape{n, act_}, eps.data()));
  }
  policy_guarded_step_.run(tape_, loss);
  *ok = policy_guarded_step_.stepped();
  stats.actor_grad_norm = policy_guarded_step_.grad_norm();
  return loss.item();
}

UpdateStats Agent::update(const TransitionBatch& b, Rng& rng) {
  if (b.size < 1 || static_cast<int64_t>(b.obs.size()) != b.size * obs_)
    throw std::invalid_argument("Agent::update: batch of " + std::to_string(b.size) + " rows with " +
                                std::to_string(b.obs.size()) + " observation values, expected obs_dim " +
                                std::to_string(obs_) + " per row");
  UpdateStats stats;
  bool critic_ok = false, actor_ok = false, targets_updated = false;
  stats.critic_loss = critic_step(b, rng, &critic_ok, &targets_updated);
  if (!critic_ok) {
    // A skipped update changes nothing: no actor, temperature or target step either (the
    // critic graph guards its own Polyak step with the same flag).
    stats.critic_skipped = true;
    stats.alpha = alpha();
    return stats;
  }
  stats.actor_loss = actor_step(b, rng, &actor_ok, stats);
  stats.actor_skipped = !actor_ok;
  if (options_.entropy && options_.learn_alpha && actor_ok) {
    // Temperature: log-probabilities of fresh samples at the batch's states.
    tape_.reset();
    NoGrad<float> off(tape_);
    std::vector<float> eps = rng.normal_vector<float>(b.size * act_);
    Var<float> lp = policy_.sample(tape_, tape_.constant(Shape{b.size, obs_}, b.obs.data()),
                                   tape_.constant(Shape{b.size, act_}, eps.data()))
                        .log_prob;
    const std::vector<float> lp_host = lp.to_host();
    if (all_finite(lp_host.data(), b.size)) temperature_.update(lp_host.data(), b.size);
  }
  if (!targets_updated) critic_.update_targets(options_.tau);  // the critic graph does its own
  stats.alpha = alpha();
  return stats;
}

void Agent::save(Safetensors& st) const {
  auto& self = const_cast<Agent&>(*this);  // parameter lists are non-const views
  put_params(st, "policy", self.policy_.parameters());
  put_adam(st, "policy_adam", self.policy_adam_);
  put_params(st, "critic", self.critic_.parameters());
  put_params(st, "critic_target", self.critic_.target_parameters());
  put_adam(st, "critic_adam", self.critic_adam_);
  put_params(st, "alpha", {&self.temperature_.log_alpha()});
  put_adam(st, "alpha_adam", self.temperature_.optimizer());
  if (model_) {
    put_params(st, "model", self.model_->parameters());
    put_adam(st, "model_adam", self.model_trainer_->optimizer());
    auto& in = self.model_->input_normalizer();
    auto& out = self.model_->target_normalizer();
    st.put("model_norm.in_mean", {static_cast<int64_t>(in.mean.size())}, in.mean.data());
    st.put("model_norm.in_std", {static_cast<int64_t>(in.std.size())}, in.std.data());
    st.put("model_norm.out_mean", {static_cast<int64_t>(out.mean.size())}, out.mean.data());
    st.put("model_norm.out_std", {static_cast<int64_t>(out.std.size())}, out.std.data());
    st.put<int64_t>("model.elites", as_i64(model_->sampling_members()));
  }
  // Positions of the captured updates' device noise generators (exact resume on cuda).
  if (actor_graph_)
    st.put<int64_t>("graphs.actor_noise", {int64_t(self.actor_graph_->noise().normal_counter()),
                                           int64_t(self.actor_graph_->noise().member_counter())});
  if (critic_graph_)
    st.put<int64_t>("graphs.critic_noise", {int64_t(self.critic_graph_->noise().normal_counter()),
                                            int64_t(self.critic_graph_->noise().member_counter())});
}

void Agent::load(const Safetensors& st) {
  get_params(st, "policy", policy_.parameters());
  get_adam(st, "policy_adam", policy_adam_);
  get_params(st, "critic", critic_.parameters());
  get_params(st, "critic_target", critic_.target_parameters());
  get_adam(st, "critic_adam", critic_adam_);
  get_params(st, "alpha", {&temperature_.log_alpha()});
  get_adam(st, "alpha_adam", temperature_.optimizer());
  if (model_) {
    get_params(st, "model", model_->parameters());
    get_adam(st, "model_adam", model_trainer_->optimizer());
    auto& in = model_->input_normalizer();
    auto& out = model_->target_normalizer();
    in.mean = st.get<float>("model_norm.in_mean", static_cast<int64_t>(in.mean.size()));
    in.std = st.get<float>("model_norm.in_std", static_cast<int64_t>(in.std.size()));
    out.mean = st.get<float>("model_norm.out_mean", static_cast<int64_t>(out.mean.size()));
    out.std = st.get<float>("model_norm.out_std", static_cast<int64_t>(out.std.size()));
    std::vector<int64_t> elites = st.get<int64_t>("model.elites");
    model_->set_elites(std::vector<int32_t>(elites.begin(), elites.end()));
  }
  // A checkpoint from a cpu run (or one without graphs) has no generator positions: the
  // graphs then start their noise afresh.
  if (actor_graph_ && st.has("graphs.actor_noise")) {
    const std::vector<int64_t> c = st.get<int64_t>("graphs.actor_noise", 2);
    actor_graph_->noise().set_counters(uint64_t(c[0]), uint64_t(c[1]));
  }
  if (critic_graph_ && st.has("graphs.critic_noise")) {
    const std::vector<int64_t> c = st.get<int64_t>("graphs.critic_noise", 2);
    critic_graph_->noise().set_counters(uint64_t(c[0]), uint64_t(c[1]));
  }
}

}  // namespace maac::rl
