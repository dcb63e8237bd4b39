// The update sequence of one network, written once: from its loss, zero the gradients,
// backward, clip the gradients' global L2 norm (when grad_clip > 0), check that the loss
// and every gradient are finite, and step Adam only if they are. A skipped step changes
// neither the parameters nor the optimiser (moments, step count).
//
// The decision is taken in one of two places, the only difference between the modes:
//  Decide::on_host   (op-by-op updates, any device): clip_grad_norm computes the norm on
//    the parameters' device, scales the gradients when it is finite, and returns it; the
//    loss and the norm are read on the host (on cuda: two small waits for the stream) and
//    Adam::step runs or not. On cuda the step is waited for too: when run() returns, the
//    parameters are final for work on any stream (the captured updates use their own).
//  Decide::on_device (updates captured as CUDA graphs, cuda parameters only): the clip is
//    DeviceGradClip, the decision a DeviceFlag cleared by a non-finite loss, gradient or
//    squared norm, and the step Adam::step_guarded, which reads the flag on the device.
//    Nothing is read on the host and nothing allocated, so run() can be captured.
// In both, a non-finite norm leaves the gradients unscaled and skips the step, and the
// norm is finite exactly when every gradient is (float squares summed in double cannot
// overflow), so both modes skip the same steps.
#pragma once
#include <cmath>
#include <memory>
#include <string>

#include "autodiff/optim/adam.hpp"
#include "autodiff/optim/grad_clip.hpp"
#include "autodiff/tape.hpp"

namespace maac {

template <class T>
class GuardedStep {
 public:
  enum class Decide { on_host, on_device };

  // adam: the network's optimiser (its parameters are the ones stepped). grad_clip: the
  // global-norm limit, 0 for none (negative or non-finite: std::invalid_argument naming
  // `who`). on_device needs cuda (std::runtime_error without a GPU) and cuda parameters
  // (checked by the first run). `adam` must outlive this object.
  GuardedStep(Adam<T>& adam, double grad_clip, Decide decide, const std::string& who);
  ~GuardedStep();
  GuardedStep(const GuardedStep&) = delete;
  GuardedStep& operator=(const GuardedStep&) = delete;

  // The sequence for `loss` (a scalar on `tape`, the tape that recorded it): zero the
  // gradients, backward, clip, finite check, step; device work on tape.stream().
  void run(Tape<T>& tape, Var<T> loss);
  // Whether the last run stepped. on_host: known when run() returns. on_device: the
  // flag is read back (waits for the stream of the last run; after a graph replay of the
  // run, the flag of that replay).
  bool stepped() const;
  // on_device: the flag the step read (1: stepped), for work that must follow the step's
  // decision inside the same graph (polyak_update_guarded). nullptr on the host.
  const int32_t* device_flag() const;

  // on_host: the global L2 norm of the gradients of the last run, before clipping (NaN
  // when not finite). on_device: NaN (reading it back would cost a wait per step).
  double grad_norm() const { return grad_norm_; }
  Decide decide() const { return decide_; }
  double grad_clip() const { return grad_clip_; }

 private:
  Adam<T>& adam_;
  double grad_clip_;
  Decide decide_;
  std::unique_ptr<DeviceFlag> flag_;      // on_device
  std::unique_ptr<DeviceGradClip> clip_;  // on_device with grad_clip > 0
  cuda::Stream stream_ = cuda::default_stream;
  bool stepped_ = false;  // on_host
  double grad_norm_ = NAN;  // on_host
};

extern template class GuardedStep<float>;
extern template class GuardedStep<double>;

}  // namespace maac
