// The MAAC policy update captured once as a CUDA graph and replayed (issue #7 item 3).
//
// One update = tape.reset, the graph-mode objective (noise and member ids drawn on the
// device by DeviceNoise, alpha and the start states read from staged device buffers, all
// members evaluated then selected per row), then the policy's GuardedStep decided on the
// device (zero gradients, backward, optional global-norm clip, finite check of the loss
// and the gradients, Adam::step_guarded). Model and critic parameters are read frozen.
//
// run() stages its inputs at fixed device addresses (outside the graph) and hands the
// update to a CapturedGraph (autodiff/captured_graph.hpp): op by op for its warm-up runs,
// then captured once and replayed. See docs/cuda.md, "CUDA graphs of the updates", for
// what is staged, what is drawn on the device and what cannot be captured.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/captured_graph.hpp"
#include "autodiff/device_noise.hpp"
#include "autodiff/optim/guarded_step.hpp"
#include "rl/maac_objective.hpp"

namespace maac::rl {

struct CapturedActorStep {
  double loss = NAN;      // the objective's loss (read back after the update)
  bool stepped = false;   // the loss and every policy gradient were finite: Adam stepped
  bool replayed = false;  // this call launched the captured graph (false while warming up)
};

class CapturedActorUpdate {
 public:
  // Op-by-op calls before the capture (CapturedGraph's warm-up rule says why).
  static constexpr int kWarmup = int(CapturedGraph::kWarmupRuns);

  // The networks must live on cuda, the policy optimiser must be built over
  // policy.parameters(), and batch is the number of start states of every call. Throws
  // std::invalid_argument naming the option when the update cannot be captured (see
  // not_capturable) or a network is not on cuda, std::runtime_error without a GPU.
  // The references must outlive this object. Once it has run, step the policy only
  // through it (Adam::step_guarded keeps its step count on the device). grad_clip > 0
  // clips the policy gradients' global L2 norm to it between backward and the finite
  // check (GuardedStep, as Agent::update op by op); 0 does not clip (negative:
  // invalid_argument).
  CapturedActorUpdate(SquashedGaussianPolicy<float>& policy, Adam<float>& policy_adam, DynamicsModel<float>& model,
                      TwinCritic<float>& critic, const RewardModel<float>& reward, const MaacObjectiveOptions& options,
                      int64_t batch, uint64_t seed, double grad_clip = 0.0);
  ~CapturedActorUpdate();
  CapturedActorUpdate(const CapturedActorUpdate&) = delete;
  CapturedActorUpdate& operator=(const CapturedActorUpdate&) = delete;

  // Why an update with these settings cannot be captured, naming the option; empty when
  // it can. Callers use it to choose between this class and the op-by-op update.
  static std::string not_capturable(const MaacObjectiveOptions& options, const RewardModel<float>& reward);

  // One update from start states s0_host [batch, obs] (host memory) at temperature alpha
  // (finite, >= 0). Waits for the update to finish (it reads the loss and the flag back).
  CapturedActorStep run(const float* s0_host, double alpha);
  // The same update run op by op even after the capture (benchmarks, tests): it records
  // the same kernels at the same addresses, so the graph stays valid.
  CapturedActorStep run_op_by_op(const float* s0_host, double alpha);

  bool captured() const { return graph_.captured(); }
  size_t graph_nodes() const { return graph_.graph_nodes(); }  // 0 until captured
  int64_t calls() const { return graph_.runs(); }
  int64_t batch() const { return batch_; }
  double grad_clip() const { return step_.grad_clip(); }
  // The device generator (its counters go into checkpoints; set_counters rewinds it).
  DeviceNoise& noise() { return noise_; }
  Tape<float>& tape() { return tape_; }

 private:
  void record();  // the update itself: what the graph captures
  void prepare(const float* s0_host, double alpha);
  CapturedActorStep finish(bool replayed);

  SquashedGaussianPolicy<float>& policy_;
  Adam<float>& adam_;
  DynamicsModel<float>& model_;
  TwinCritic<float>& critic_;
  const RewardModel<float>& reward_;
  MaacObjectiveOptions options_;
  int64_t batch_;
  GuardedStep<float> step_;  // clip, finite check and step of the policy, decided on the device
  Tape<float> tape_;
  DeviceNoise noise_;
  Buffer<float> s0_, alpha_;       // staged inputs: [batch, obs], [1, 1] on cuda
  int32_t* pool_ = nullptr;        // the model's sampling members on cuda (capacity M)
  std::vector<int32_t> pool_host_;  // ... as last uploaded
  CapturedGraph graph_;            // warm-up, capture, replay
  const float* loss_ = nullptr;    // the loss node's device address (fixed once warmed up)
};

}  // namespace maac::rl
