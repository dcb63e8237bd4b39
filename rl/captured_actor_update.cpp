#include "rl/captured_actor_update.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "rl/module_device.hpp"
#ifdef MAAC_HAVE_CUDA
#include "kernels/cuda/graph.hpp"
#endif

namespace maac::rl {

#ifdef MAAC_HAVE_CUDA
struct CapturedActorUpdate::Replay {
  cuda::Graph graph;
};
#else
struct CapturedActorUpdate::Replay {};
#endif
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
      grad_clip_(checked_grad_clip("CapturedActorUpdate", grad_clip)),
      tape_(Device::cuda, size_t(1) << 24),
      noise_(seed),
      replay_(std::make_unique<Replay>()) {
  if (batch < 1) throw std::invalid_argument("CapturedActorUpdate: batch " + std::to_string(batch) + ", expected >= 1");
  require_cuda(policy, "policy");
  require_cuda(model, "dynamics model");
  require_cuda(critic, "critic");
  if (adam_.parameters() != policy_.parameters())
    throw std::invalid_argument("CapturedActorUpdate: the optimiser is not over the policy's parameters");
  s0_ = Buffer<float>(Shape{batch, policy.obs_dim()}, Device::cuda);
  alpha_ = Buffer<float>(Shape{1, 1}, Device::cuda);
  pool_ = static_cast<int32_t*>(device::allocate(sizeof(int32_t) * size_t(model.members()), Device::cuda));
  if (grad_clip_ > 0) clip_ = std::make_unique<DeviceGradClip>(grad_clip_);
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
    if (pool.size() != pool_host_.size()) replay_ = std::make_unique<Replay>();
    device::copy(pool_, Device::cuda, pool.data(), Device::cpu, sizeof(int32_t) * pool.size(), stream);
    pool_host_ = pool;
  }
  const float a = static_cast<float>(alpha);
  s0_.copy_from_host(s0_host, s0_.numel(), stream);
  alpha_.copy_from_host(&a, 1, stream);
}

void CapturedActorUpdate::record() {
  const cuda::Stream stream = tape_.stream();
  tape_.reset();
  zero_grad(policy_.parameters(), stream);
  // Device-to-device copies of the staged inputs: nodes of the graph.
  Var<float> s0 = tape_.constant(s0_.view());
  Var<float> alpha = tape_.constant(alpha_.view());
  MaacNoiseVars<float> z = MaacNoiseVars<float>::draw(tape_, noise_, options_, batch_, policy_.act_dim(),
                                                      model_.out_dim(), pool_, int64_t(pool_host_.size()));
  Var<float> loss = maac_policy_objective(tape_, s0, policy_, model_, critic_, reward_, alpha, z, options_).loss;
  tape_.backward(loss);
  clip_and_step_guarded(adam_, flag_, clip_.get(), loss.value(), policy_.parameters(), stream);
  loss_ = loss.value();
}

CapturedActorStep CapturedActorUpdate::finish(bool replayed) {
  ++calls_;
  CapturedActorStep r;
  float loss = NAN;
  device::copy(&loss, Device::cpu, loss_, Device::cuda, sizeof loss, tape_.stream());  // waits for the stream
  r.loss = loss;
  r.stepped = flag_.read(tape_.stream());
  r.replayed = replayed;
  return r;
}

CapturedActorStep CapturedActorUpdate::run(const float* s0_host, double alpha) {
  prepare(s0_host, alpha);
#ifdef MAAC_HAVE_CUDA
  cuda::Graph& graph = replay_->graph;
  if (!graph.captured()) {
    if (calls_ < kWarmup) {
      record();
      return finish(false);
    }
    // Capture once (nothing runs during the capture), then launch it below.
    try {
      graph.capture(tape_.stream(), [this] { record(); });
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("CapturedActorUpdate: capturing the update failed (") + e.what() +
                               "): something in it reads or uploads host data; use the op-by-op update");
    }
  }
  graph.launch(tape_.stream());
  return finish(true);
#else
  throw std::logic_error("CapturedActorUpdate::run: this build has no CUDA backend");
#endif
}

bool CapturedActorUpdate::captured() const {
#ifdef MAAC_HAVE_CUDA
  return replay_->graph.captured();
#else
  return false;
#endif
}

size_t CapturedActorUpdate::graph_nodes() const {
#ifdef MAAC_HAVE_CUDA
  return replay_->graph.node_count();
#else
  return 0;
#endif
}

CapturedActorStep CapturedActorUpdate::run_op_by_op(const float* s0_host, double alpha) {
  prepare(s0_host, alpha);
  record();
  return finish(false);
}

}  // namespace maac::rl
