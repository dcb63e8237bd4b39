#include "rl/captured_actor_update.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "rl/module_device.hpp"

namespace maac::rl {
namespace {

template <class Module> void require_cuda(Module& m, const char* what) {
  if (device_of(m) != Device::cuda)
    throw std::invalid_argument(std::string("CapturedActorUpdate: the ") + what + " is on " +
                                device_name(device_of(m)) + ", expected cuda (move it with to_device first)");
}

const MaacObjectiveOptions& capturable(const MaacObjectiveOptions& o, const RewardModel<float>& reward) {
  const std::string why = CapturedActorUpdate::not_capturable(o, reward);
  if (!why.empty()) throw std::invalid_argument("CapturedActorUpdate: " + why);
  return o;
}

}  // namespace

std::string CapturedActorUpdate::not_capturable(const MaacObjectiveOptions& o, const RewardModel<float>& reward) {
  if (o.evaluation == EnsembleEvaluation::routed)
    return "objective.evaluation is routed, which groups rows by member on the host; a captured update needs "
           "all_then_select";
  if (!reward.capturable())
    return "the reward model is not capturable (its termination mask is computed on the host, or it uploads "
           "constants: RewardModel::capturable() is false)";
  return {};
}

CapturedActorUpdate::CapturedActorUpdate(SquashedGaussianPolicy<float>& policy, Adam<float>& policy_adam,
                                         DynamicsModel<float>& model, TwinCritic<float>& critic,
                                         const RewardModel<float>& reward, const MaacObjectiveOptions& options,
                                         int64_t batch, uint64_t seed, double grad_clip)
    : policy_(policy),
      adam_(policy_adam),
      model_(model),
      critic_(critic),
      reward_(reward),
      options_(capturable(options, reward)),
      batch_(batch),
      // Checks grad_clip before anything claims the GPU.
      step_(policy_adam, grad_clip, GuardedStep<float>::Decide::on_device, "CapturedActorUpdate"),
      tape_(Device::cuda, size_t(1) << 24),
      noise_(seed),
      graph_("CapturedActorUpdate", "Use the op-by-op update") {
  if (batch < 1) throw std::invalid_argument("CapturedActorUpdate: batch " + std::to_string(batch) + ", expected >= 1");
  require_cuda(policy, "policy");
  require_cuda(model, "dynamics model");
  require_cuda(critic, "critic");
  if (adam_.parameters() != policy_.parameters())
    throw std::invalid_argument("CapturedActorUpdate: the optimiser is not over the policy's parameters");
  s0_ = Buffer<float>(Shape{batch, policy.obs_dim()}, Device::cuda);
  alpha_ = Buffer<float>(Shape{1, 1}, Device::cuda);
  pool_ = static_cast<int32_t*>(device::allocate(sizeof(int32_t) * size_t(model.members()), Device::cuda));
}

CapturedActorUpdate::~CapturedActorUpdate() { device::release(pool_, Device::cuda); }

void CapturedActorUpdate::prepare(const float* s0_host, double alpha) {
  if (s0_host == nullptr || !std::isfinite(alpha) || alpha < 0.0)
    throw std::invalid_argument("CapturedActorUpdate::run: alpha " + std::to_string(alpha) +
                                (s0_host ? "" : " and no start states") + ", expected start states and alpha >= 0");
  const cuda::Stream stream = tape_.stream();
  // Host state the graph reads from fixed addresses, refreshed outside it.
  model_.sync_device();
  const std::vector<int32_t>& pool = model_.sampling_members();
  if (pool != pool_host_) {
    // The pool's size is a kernel argument: a different size needs a new capture.
    if (pool.size() != pool_host_.size()) graph_.recapture();
    device::copy(pool_, Device::cuda, pool.data(), Device::cpu, sizeof(int32_t) * pool.size(), stream);
    pool_host_ = pool;
  }
  const float a = static_cast<float>(alpha);
  s0_.copy_from_host(s0_host, s0_.numel(), stream);
  alpha_.copy_from_host(&a, 1, stream);
}

void CapturedActorUpdate::record() {
  tape_.reset();
  // Device-to-device copies of the staged inputs: nodes of the graph.
  Var<float> s0 = tape_.constant(s0_.view());
  Var<float> alpha = tape_.constant(alpha_.view());
  MaacNoiseVars<float> z = MaacNoiseVars<float>::draw(tape_, noise_, options_, batch_, policy_.act_dim(),
                                                      model_.out_dim(), pool_, int64_t(pool_host_.size()));
  Var<float> loss = maac_policy_objective(tape_, s0, policy_, model_, critic_, reward_, alpha, z, options_).loss;
  step_.run(tape_, loss);
  loss_ = loss.value();
}

CapturedActorStep CapturedActorUpdate::finish(bool replayed) {
  CapturedActorStep r;
  float loss = NAN;
  device::copy(&loss, Device::cpu, loss_, Device::cuda, sizeof loss, tape_.stream());  // waits for the stream
  r.loss = loss;
  r.stepped = step_.stepped();
  r.replayed = replayed;
  return r;
}

CapturedActorStep CapturedActorUpdate::run(const float* s0_host, double alpha) {
  prepare(s0_host, alpha);
  const bool replayed = graph_.run(tape_.stream(), [this] { record(); });
  return finish(replayed);
}

CapturedActorStep CapturedActorUpdate::run_op_by_op(const float* s0_host, double alpha) {
  prepare(s0_host, alpha);
  graph_.run_op_by_op([this] { record(); });
  return finish(false);
}

}  // namespace maac::rl
