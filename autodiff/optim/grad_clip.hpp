// Global L2-norm gradient clipping, in two forms that share math::clip_factor
// (kernels/math.cuh): clip_grad_norm returns the norm to the host (the op-by-op updates
// and their logs use it); DeviceGradClip keeps everything on the device, so an update
// captured as a CUDA graph can clip (docs/cuda.md, "CUDA graphs of the updates").
#pragma once
#include <string>

#include "autodiff/optim/adam.hpp"
#include "autodiff/parameter.hpp"

namespace maac {

// Scales all gradients by math::clip_factor so that their global L2 norm is at most
// max_norm (> 0); returns the norm before clipping, non-finite when some gradient is (the
// gradients are then left as they were). Parameters may live on any mix of devices. On
// cuda the squares are summed and the gradients scaled on the device; only the norm is
// read back: one wait for `stream` (see the stream rule in autodiff/device.hpp).
template <class T>
double clip_grad_norm(const ParameterList<T>& params, double max_norm, cuda::Stream stream = cuda::default_stream);

// Clipping for captured updates: one double in device memory holds the squared norm, and
// the scaling kernels read it there, so clip() reads nothing on the host and allocates
// nothing (legal inside stream capture). Same factor and same non-finite rule as
// clip_grad_norm. A non-finite norm is not reported by clip(): GuardedStep
// (autodiff/optim/guarded_step.hpp) pairs it with a DeviceFlag before a guarded step.
class DeviceGradClip {
 public:
  // Throws std::invalid_argument unless max_norm > 0, std::runtime_error without a GPU.
  explicit DeviceGradClip(double max_norm);
  ~DeviceGradClip();
  DeviceGradClip(const DeviceGradClip&) = delete;
  DeviceGradClip& operator=(const DeviceGradClip&) = delete;

  // Every parameter on cuda (throws naming the first that is not). On `stream`: the
  // squared norm is zeroed, every gradient's squares are added, then every gradient is
  // scaled by the factor computed on the device from that sum.
  template <class T> void clip(const ParameterList<T>& params, cuda::Stream stream);
  // The squared global norm the last clip() summed, before scaling (device memory).
  const double* squared_norm() const { return squared_norm_; }
  // ... read back as a norm (waits for `stream`).
  double norm(cuda::Stream stream) const;
  double max_norm() const { return max_norm_; }

 private:
  double max_norm_;
  double* squared_norm_ = nullptr;
};

// A grad_clip option: returned when finite and >= 0 (0: no clipping); otherwise throws
// std::invalid_argument naming `who` and the value.
double checked_grad_clip(const std::string& who, double grad_clip);

}  // namespace maac
