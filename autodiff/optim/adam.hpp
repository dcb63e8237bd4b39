// Adam with bias correction (Kingma & Ba), optional L2 weight decay added to the
// gradient (as torch.optim.Adam's weight_decay, which MBPO's models use).
#pragma once
#include <vector>

#include "autodiff/parameter.hpp"

namespace maac {

struct AdamOptions {
  double lr = 3e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <class T>
class Adam {
 public:
  // Moment estimates are created on each parameter's device: move parameters first.
  Adam(ParameterList<T> params, AdamOptions options);
  // One update from the parameters' current gradients. On cuda pass the tape's stream
  // (see the stream rule in autodiff/device.hpp; the default synchronises the device).
  void step(cuda::Stream stream = cuda::default_stream);
  void zero_grad(cuda::Stream stream = cuda::default_stream) { maac::zero_grad(params_, stream); }
  int64_t steps() const;
  const AdamOptions& options() const { return options_; }
  void set_lr(double lr) { options_.lr = lr; }
  const ParameterList<T>& parameters() const { return params_; }
  // Moment estimates, one pair per parameter (for checkpoints).
  std::vector<Buffer<T>>& first_moments() { return m_; }
  std::vector<Buffer<T>>& second_moments() { return v_; }
  void set_steps(int64_t s);

  // The step for updates captured as CUDA graphs (cuda parameters only): the step count
  // lives in device memory and every kernel reads `*ok` (a DeviceFlag), so a replay takes
  // no host scalars and skips itself when the flag says a value was not finite. steps()
  // reads the device count back (a synchronisation) once this has been used.
  void step_guarded(const int32_t* ok, cuda::Stream stream);

  Adam(const Adam&) = delete;
  Adam& operator=(const Adam&) = delete;
  ~Adam();

 private:
  ParameterList<T> params_;
  AdamOptions options_;
  std::vector<Buffer<T>> m_, v_;
  mutable int64_t steps_ = 0;
  int64_t* device_steps_ = nullptr;  // cuda memory, once step_guarded has run
};

// One int32 in device memory: 1 while every value checked is finite (see
// Adam::step_guarded). check_finite() sets it, then clears it if `loss` (one element on
// the device) or any gradient of `params` is NaN or infinite: all on `stream`, no sync.
class DeviceFlag {
 public:
  DeviceFlag();
  ~DeviceFlag();
  DeviceFlag(const DeviceFlag&) = delete;
  DeviceFlag& operator=(const DeviceFlag&) = delete;
  template <class T> void check_finite(const T* loss, const ParameterList<T>& params, cuda::Stream stream);
  // After check_finite: also clears the flag when the double at `x` (device memory) is
  // not finite, e.g. DeviceGradClip::squared_norm(), so a captured update skips exactly
  // the steps whose norm check fails op by op (double gradients can be finite while the
  // sum of their squares overflows; float ones cannot).
  void clear_unless_finite(const double* x, cuda::Stream stream);
  const int32_t* get() const { return flag_; }
  // Reads the flag on the host (waits for `stream`).
  bool read(cuda::Stream stream) const;

 private:
  int32_t* flag_ = nullptr;
};

extern template class Adam<float>;
extern template class Adam<double>;

// The functions below run where the parameters live; each pair (or list) may mix
// devices only where said. `stream` as for Adam::step.

// target <- (1 - tau) target + tau source, parameter by parameter (same shapes, same device).
template <class T>
void polyak_update(const ParameterList<T>& target, const ParameterList<T>& source, double tau,
                   cuda::Stream stream = cuda::default_stream);

// The same on cuda parameters inside a captured update, skipped on the device when *ok is
// 0 (GuardedStep::device_flag() of the step it follows): a skipped step leaves the targets alone.
template <class T>
void polyak_update_guarded(const ParameterList<T>& target, const ParameterList<T>& source, double tau,
                           const int32_t* ok, cuda::Stream stream);

// Copies source values into target (same shapes, any devices): hard target-network update.
template <class T>
void copy_parameters(const ParameterList<T>& target, const ParameterList<T>& source,
                     cuda::Stream stream = cuda::default_stream);

}  // namespace maac
