#include "autodiff/optim/guarded_step.hpp"

#include <cfloat>
#include <cmath>

namespace maac {

template <class T>
GuardedStep<T>::GuardedStep(Adam<T>& adam, double grad_clip, Decide decide, const std::string& who)
    : adam_(adam), grad_clip_(checked_grad_clip(who, grad_clip)), decide_(decide) {
  if (decide_ == Decide::on_device) {
    device::require(Device::cuda, who);
    flag_ = std::make_unique<DeviceFlag>();
    if (grad_clip_ > 0) clip_ = std::make_unique<DeviceGradClip>(grad_clip_);
  }
}

template <class T> GuardedStep<T>::~GuardedStep() = default;

template <class T> void GuardedStep<T>::run(Tape<T>& tape, Var<T> loss) {
  stream_ = tape.stream();
  const ParameterList<T>& params = adam_.parameters();
  adam_.zero_grad(stream_);
  tape.backward(loss);
  if (decide_ == Decide::on_host) {
    // Without a limit the norm is still computed: it is the finite check of the gradients
    // (no finite norm exceeds DBL_MAX, so nothing is scaled).
    const double norm = clip_grad_norm(params, grad_clip_ > 0 ? grad_clip_ : DBL_MAX, stream_);
    grad_norm_ = norm;
    stepped_ = std::isfinite(static_cast<double>(loss.item())) && std::isfinite(norm);
    if (stepped_) {
      adam_.step(stream_);
      // Done when run() returns, as the host decided: work on other streams (a captured
      // update's) may read these parameters next, ordered by nothing but the host.
      if (tape.device() == Device::cuda) device::synchronize(stream_);
    }
    return;
  }
  // The same three steps queued on the stream; the flag carries the decision to the step.
  if (clip_) clip_->clip(params, stream_);
  flag_->check_finite(loss.value(), params, stream_);
  if (clip_) flag_->clear_unless_finite(clip_->squared_norm(), stream_);
  adam_.step_guarded(flag_->get(), stream_);
}

template <class T> bool GuardedStep<T>::stepped() const {
  return decide_ == Decide::on_host ? stepped_ : flag_->read(stream_);
}

template <class T> const int32_t* GuardedStep<T>::device_flag() const { return flag_ ? flag_->get() : nullptr; }

template class GuardedStep<float>;
template class GuardedStep<double>;

}  // namespace maac
