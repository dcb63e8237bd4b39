#include "rl/captured_critic_update.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autodiff/device.hpp"
#include "rl/module_device.hpp"

namespace maac::rl {
namespace {

[[noreturn]] void refuse(const std::string& what) {
  throw std::invalid_argument("CapturedCriticUpdate: " + what);
}

// Everything a captured update cannot do is refused here, before any device memory is
// allocated, with the value that is wrong.
CapturedCriticOptions validated(SquashedGaussianPolicy<float>& policy, TwinCritic<float>& critic,
                                Adam<float>& adam, DynamicsModel<float>* model, const RewardModel<float>* reward,
                                const CapturedCriticOptions& o) {
  // Option values first, so that they are checked on machines without a GPU too.
  checked_grad_clip("CapturedCriticUpdate", o.grad_clip);
  device::require(Device::cuda, "CapturedCriticUpdate");
  if (device_of(policy) != Device::cuda || device_of(critic) != Device::cuda)
    refuse(std::string("policy on ") + device_name(device_of(policy)) + ", critic on " +
           device_name(device_of(critic)) + ": expected both on cuda (move them with to_device)");
  for (Parameter<float>* p : critic.target_parameters())
    if (p->device() != Device::cuda)
      refuse("target critic parameter '" + p->name() + "' on " + device_name(p->device()) + ", expected cuda");
  if (adam.parameters() != critic.parameters())
    refuse("the Adam optimiser holds " + std::to_string(adam.parameters().size()) +
           " parameters that are not the critic's " + std::to_string(critic.parameters().size()) +
           ": expected an Adam built on critic.parameters()");
  if (o.batch < 1) refuse("batch " + std::to_string(o.batch) + ", expected >= 1");
  if (!(o.gamma >= 0.0 && o.gamma <= 1.0)) refuse("gamma " + std::to_string(o.gamma) + ", expected in [0, 1]");
  if (o.polyak_in_graph && !(o.tau >= 0.0 && o.tau <= 1.0))
    refuse("tau " + std::to_string(o.tau) + ", expected in [0, 1]");
  if (o.steve) {
    if (!model || !reward) refuse("STEVE targets without a dynamics model or a reward model: expected both");
    if (device_of(*model) != Device::cuda)
      refuse(std::string("dynamics model on ") + device_name(device_of(*model)) + ", expected cuda");
    if (model->obs_dim() != policy.obs_dim() || model->act_dim() != policy.act_dim())
      refuse("dynamics model obs " + std::to_string(model->obs_dim()) + ", act " + std::to_string(model->act_dim()) +
             ", expected the policy's " + std::to_string(policy.obs_dim()) + ", " + std::to_string(policy.act_dim()));
    const SteveOptions& s = o.steve_options;
    if (s.horizon < 0 || !(s.gamma >= 0.0 && s.gamma <= 1.0) || !(s.variance_eps > 0.0))
      refuse("STEVE horizon " + std::to_string(s.horizon) + ", gamma " + std::to_string(s.gamma) + ", variance_eps " +
             std::to_string(s.variance_eps) + ": expected horizon >= 0, gamma in [0, 1], variance_eps > 0");
  }
  return o;
}

// STEVE's noise drawn on the device, in a fixed order (a' at s', then per step the
// actions and the model noise), so that rewinding the counter redraws the same numbers.
SteveNoiseVars<float> draw_steve_noise(Tape<float>& tape, DeviceNoise& noise, const SteveOptions& o, int64_t n,
                                       int64_t act, const DynamicsModel<float>& model) {
  const int64_t M = model.members();
  SteveNoiseVars<float> z;
  z.next_eps = noise.normal(tape, Shape{n, act});
  for (int64_t h = 0; h < o.horizon; ++h) {
    z.action_eps.push_back(noise.normal(tape, Shape{M * n, act}));
    z.model_eps.push_back(noise.normal(tape, Shape{M, n, model.out_dim()}));
  }
  return z;
}

}  // namespace

CapturedCriticUpdate::~CapturedCriticUpdate() = default;

CapturedCriticUpdate::CapturedCriticUpdate(SquashedGaussianPolicy<float>& policy, TwinCritic<float>& critic,
                                           Adam<float>& critic_adam, DynamicsModel<float>* model,
                                           const RewardModel<float>* reward, CapturedCriticOptions options)
    : policy_(policy),
      critic_(critic),
      adam_(critic_adam),
      model_(model),
      reward_(reward),
      options_(validated(policy, critic, critic_adam, model, reward, options)),
      obs_(policy.obs_dim()),
      act_(policy.act_dim()),
      step_(critic_adam, options_.grad_clip, GuardedStep<float>::Decide::on_device, "CapturedCriticUpdate"),
      tape_(Device::cuda, options.arena_bytes),
      noise_(options.noise_seed),
      s_(Shape{options.batch, obs_}, Device::cuda),
      a_(Shape{options.batch, act_}, Device::cuda),
      r_(Shape{options.batch, 1}, Device::cuda),
      alive_(Shape{options.batch, 1}, Device::cuda),
      s_next_(Shape{options.batch, obs_}, Device::cuda),
      alpha_(Shape{1, 1}, Device::cuda),
      alive_host_(static_cast<size_t>(options.batch)),
      graph_("CapturedCriticUpdate",
             "With STEVE targets, the dynamics model's normaliser tables and RewardModel::alive must stay on the "
             "device; TD targets need neither",
             options.capture) {}

void CapturedCriticUpdate::work() {
  tape_.reset();
  Var<float> s = tape_.constant(s_.view()), a = tape_.constant(a_.view()), r = tape_.constant(r_.view());
  Var<float> alive = tape_.constant(alive_.view()), s_next = tape_.constant(s_next_.view());
  Var<float> alpha = tape_.constant(alpha_.view());
  Var<float> y;
  if (options_.steve) {
    const SteveNoiseVars<float> z =
        draw_steve_noise(tape_, noise_, options_.steve_options, options_.batch, act_, *model_);
    y = steve_targets_var(policy_, *model_, critic_, *reward_, r, alive, s_next, alpha, z, options_.steve_options)
            .target;
  } else {
    Var<float> eps = noise_.normal(tape_, Shape{options_.batch, act_});
    y = td_target_var(policy_, critic_, r, alive, s_next, eps, alpha, options_.gamma);
  }
  Var<float> loss = critic_.loss(tape_, s, a, y);
  step_.run(tape_, loss);
  // The targets move only when the step was applied: a skipped update changes nothing.
  if (options_.polyak_in_graph)
    polyak_update_guarded(critic_.target_parameters(), critic_.parameters(), options_.tau, step_.device_flag(),
                          tape_.stream());
  loss_ = loss.value();
}

CriticUpdateResult CapturedCriticUpdate::run(const float* s, const float* a, const float* r, const float* alive,
                                             const float* s_next, double alpha) {
  if (!s || !a || !r || !alive || !s_next || !std::isfinite(alpha))
    throw std::invalid_argument("CapturedCriticUpdate::run: alpha " + std::to_string(alpha) +
                                ", expected five non-null arrays and a finite alpha");
  // Inputs go to the staged buffers on the tape's stream, ahead of the work that reads them.
  cuda::Stream stream = tape_.stream();
  const int64_t n = options_.batch;
  s_.copy_from_host(s, n * obs_, stream);
  a_.copy_from_host(a, n * act_, stream);
  r_.copy_from_host(r, n, stream);
  alive_.copy_from_host(alive, n, stream);
  s_next_.copy_from_host(s_next, n * obs_, stream);
  const float alpha_f = static_cast<float>(alpha);
  alpha_.copy_from_host(&alpha_f, 1, stream);

  // STEVE reads the model's normaliser tables from their device copies: refresh them
  // (after a model fit) outside the graph.
  if (model_) model_->sync_device();
  graph_.run(stream, [this] { work(); });
  CriticUpdateResult out;
  float loss = NAN;
  device::copy(&loss, Device::cpu, loss_, Device::cuda, sizeof loss, stream);  // waits for the stream
  out.loss = loss;
  out.applied = step_.stepped();
  return out;
}

CriticUpdateResult CapturedCriticUpdate::run(const TransitionBatch& b, double alpha) {
  const int64_t n = options_.batch;
  if (b.size != n || int64_t(b.obs.size()) != n * obs_ || int64_t(b.action.size()) != n * act_ ||
      int64_t(b.reward.size()) != n || int64_t(b.next_obs.size()) != n * obs_ || int64_t(b.terminated.size()) != n)
    throw std::invalid_argument("CapturedCriticUpdate::run: batch of " + std::to_string(b.size) + " rows (" +
                                std::to_string(b.obs.size()) + " observation values), expected " + std::to_string(n) +
                                " rows of obs " + std::to_string(obs_) + ", act " + std::to_string(act_));
  for (int64_t i = 0; i < n; ++i) alive_host_[size_t(i)] = 1.f - b.terminated[size_t(i)];
  return run(b.obs.data(), b.action.data(), b.reward.data(), alive_host_.data(), b.next_obs.data(), alpha);
}

}  // namespace maac::rl
