// The critic update captured once as a CUDA graph (DESIGN decision 2, issue #7):
// targets (TD or STEVE, as tape ops under NoGrad with the target critics), the twin-Q
// loss, the critic's GuardedStep decided on the device (zero gradients, backward,
// optional clip, finite check, guarded Adam step), and optionally the Polyak target
// update guarded by the same flag, all queued on one cuda tape's stream.
//
// Each run() writes the batch and alpha into staged device buffers (fixed addresses,
// outside the graph) and hands the work to a CapturedGraph (autodiff/captured_graph.hpp):
// op by op for its warm-up runs, then captured once and only launched. Noise (a' at s',
// STEVE's action and model noise) is drawn inside the work by a DeviceNoise whose
// counter lives on the device, so each replay draws fresh numbers. Every run, warm-up or replay, is a real update. See docs/cuda.md,
// "Critic update graph".
#pragma once
#include <cmath>
#include <memory>
#include <vector>

#include "autodiff/captured_graph.hpp"
#include "autodiff/device_noise.hpp"
#include "autodiff/optim/guarded_step.hpp"
#include "rl/critic_targets.hpp"
#include "rl/replay_buffer.hpp"

namespace maac::rl {

struct CapturedCriticOptions {
  int64_t batch = 256;  // rows of every run: shapes are baked into the graph
  double gamma = 0.99;  // TD discount (STEVE uses steve_options.gamma)
  bool steve = false;   // STEVE targets (needs the model and the reward model) instead of TD
  SteveOptions steve_options;
  // Polyak target update (tau) at the end of the captured work, on the same stream. It
  // runs only when the Adam step was applied (the same flag), as Agent::update does.
  bool polyak_in_graph = false;
  double tau = 5e-3;
  // > 0: the critic gradients' global L2 norm is clipped to this on the device
  // (DeviceGradClip) between backward and the finite check, as Agent::update clips op by
  // op; 0: no clipping.
  double grad_clip = 0.0;
  // false: every run executes op by op (no graph); the same noise and results, for tests
  // and for comparing against the captured path.
  bool capture = true;
  uint64_t noise_seed = 0;
  size_t arena_bytes = size_t(1) << 22;
};

struct CriticUpdateResult {
  double loss = NAN;     // the critic loss of this run's batch (before the step)
  bool applied = false;  // false: the loss or a gradient was not finite, nothing changed
};

class CapturedCriticUpdate {
 public:
  // Every network on cuda; critic_adam built on critic.parameters(). model and reward may
  // be null for TD targets. Throws std::invalid_argument naming the first option or
  // device that cannot be captured. The referenced objects must outlive this one.
  CapturedCriticUpdate(SquashedGaussianPolicy<float>& policy, TwinCritic<float>& critic, Adam<float>& critic_adam,
                       DynamicsModel<float>* model, const RewardModel<float>* reward, CapturedCriticOptions options);
  ~CapturedCriticUpdate();
  CapturedCriticUpdate(const CapturedCriticUpdate&) = delete;
  CapturedCriticUpdate& operator=(const CapturedCriticUpdate&) = delete;

  // One critic update on host arrays: s, s_next [n, obs], a [n, act], r, alive [n]
  // (alive = 1 - terminated), n = options.batch. Waits for the update to finish (one read
  // of the loss and the flag). A failed capture (something in the work reads or uploads
  // host data) throws std::runtime_error saying so; parameters are then unchanged.
  CriticUpdateResult run(const float* s, const float* a, const float* r, const float* alive, const float* s_next,
                         double alpha);
  // A replay-buffer batch (alive = 1 - terminated); batch.size must equal options.batch.
  CriticUpdateResult run(const TransitionBatch& batch, double alpha);

  bool captured() const { return graph_.captured(); }
  size_t graph_nodes() const { return graph_.graph_nodes(); }  // 0 until captured
  int64_t runs() const { return graph_.runs(); }
  const CapturedCriticOptions& options() const { return options_; }
  // The generator of this update's noise (checkpoints save its counters; tests rewind it).
  DeviceNoise& noise() { return noise_; }
  cuda::Stream stream() const { return tape_.stream(); }

 private:
  void work();  // the captured step: everything between the staged inputs and the loss

  SquashedGaussianPolicy<float>& policy_;
  TwinCritic<float>& critic_;
  Adam<float>& adam_;
  DynamicsModel<float>* model_;
  const RewardModel<float>* reward_;
  CapturedCriticOptions options_;
  int64_t obs_, act_;
  GuardedStep<float> step_;  // clip, finite check and step of the critic, decided on the device
  Tape<float> tape_;
  DeviceNoise noise_;
  // Staged inputs at fixed device addresses: s, a, r, alive, s_next, alpha.
  Buffer<float> s_, a_, r_, alive_, s_next_, alpha_;
  std::vector<float> alive_host_;  // 1 - terminated, for run(TransitionBatch)
  const float* loss_ = nullptr;    // the loss node's device address (fixed once captured)
  CapturedGraph graph_;            // warm-up, capture, replay (or always op by op: options.capture)
};

}  // namespace maac::rl
