#include "autodiff/optim/adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/optim.hpp"

namespace maac {

template <class T>
Adam<T>::Adam(ParameterList<T> params, AdamOptions options) : params_(std::move(params)), options_(options) {
  if (!(options.lr > 0) || !(options.beta1 >= 0 && options.beta1 < 1) || !(options.beta2 >= 0 && options.beta2 < 1) ||
      !(options.eps > 0) || !(options.weight_decay >= 0))
    throw std::invalid_argument("Adam: lr " + std::to_string(options.lr) + ", beta1 " + std::to_string(options.beta1) +
                                ", beta2 " + std::to_string(options.beta2) + ", eps " + std::to_string(options.eps) +
                                ", weight_decay " + std::to_string(options.weight_decay) +
                                ": expected lr > 0, betas in [0, 1), eps > 0, weight_decay >= 0");
  for (Parameter<T>* p : params_) {
    m_.emplace_back(p->shape(), p->device());
    v_.emplace_back(p->shape(), p->device());
  }
}

template <class T> void Adam<T>::step(cuda::Stream stream) {
  for (size_t i = 0; i < params_.size(); ++i)
    if (m_[i].device() != params_[i]->device())
      throw std::invalid_argument("Adam::step: parameter '" + params_[i]->name() + "' is on " +
                                  device_name(params_[i]->device()) + ", its moment estimates on " +
                                  device_name(m_[i].device()) + ": expected one device (create the optimiser after "
                                  "moving the parameters)");
  // After step_guarded the count lives on the device: read it, step, write it back.
  if (device_steps_) steps();
  ++steps_;
  if (device_steps_) set_steps(steps_);
  T bc1 = T(1 - std::pow(options_.beta1, static_cast<double>(steps_)));
  T bc2 = T(1 - std::pow(options_.beta2, static_cast<double>(steps_)));
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter<T>& p = *params_[i];
    // fence: the default stream means "synchronous" (autodiff/device.hpp); a no-op on cpu.
    device::fence(p.device(), stream);
    kernels::adam_update({p.device(), stream}, p.value().data(), p.grad().data(), m_[i].data(), v_[i].data(), p.numel(),
                         T(options_.lr), T(options_.beta1), T(options_.beta2), T(options_.eps), bc1, bc2,
                         T(options_.weight_decay));
    device::fence(p.device(), stream);
  }
}

template <class T> Adam<T>::~Adam() {
  if (device_steps_) device::release(device_steps_, Device::cuda);
}

template <class T> int64_t Adam<T>::steps() const {
  if (device_steps_) device::copy(&steps_, Device::cpu, device_steps_, Device::cuda, sizeof(int64_t), cuda::default_stream);
  return steps_;
}

template <class T> void Adam<T>::set_steps(int64_t s) {
  steps_ = s;
  if (device_steps_) device::copy(device_steps_, Device::cuda, &steps_, Device::cpu, sizeof(int64_t), cuda::default_stream);
}

template <class T> void Adam<T>::step_guarded(const int32_t* ok, cuda::Stream stream) {
  for (const Parameter<T>* p : params_)
    if (p->device() != Device::cuda)
      throw std::invalid_argument("Adam::step_guarded: parameter '" + p->name() + "' is on " +
                                  device_name(p->device()) + ", expected cuda (graph-captured updates only)");
  if (!device_steps_) {
    // The device count starts from the host's, once, before any capture.
    device_steps_ = static_cast<int64_t*>(device::allocate(sizeof(int64_t), Device::cuda));
    device::copy(device_steps_, Device::cuda, &steps_, Device::cpu, sizeof(int64_t), cuda::default_stream);
  }
  const kernels::Where gpu{Device::cuda, stream};
  kernels::count_step(gpu, device_steps_, ok);
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter<T>& p = *params_[i];
    kernels::adam_update_guarded(gpu, p.value().data(), p.grad().data(), m_[i].data(), v_[i].data(), p.numel(),
                                 T(options_.lr), T(options_.beta1), T(options_.beta2), T(options_.eps),
                                 T(options_.weight_decay), device_steps_, ok);
  }
}

DeviceFlag::DeviceFlag() {
  device::require(Device::cuda, "DeviceFlag");
  flag_ = static_cast<int32_t*>(device::allocate(sizeof(int32_t), Device::cuda));
}
DeviceFlag::~DeviceFlag() { device::release(flag_, Device::cuda); }

template <class T> void DeviceFlag::check_finite(const T* loss, const ParameterList<T>& params, cuda::Stream stream) {
  const kernels::Where gpu{Device::cuda, stream};  // the flag, the loss and the gradients are on the GPU
  kernels::flag_set(gpu, flag_);
  kernels::flag_all_finite(gpu, loss, 1, flag_);
  for (const Parameter<T>* p : params) kernels::flag_all_finite(gpu, p->grad().data(), p->numel(), flag_);
}

void DeviceFlag::clear_unless_finite(const double* x, cuda::Stream stream) {
  kernels::flag_all_finite(kernels::Where{Device::cuda, stream}, x, 1, flag_);
}

bool DeviceFlag::read(cuda::Stream stream) const {
  int32_t v = 0;
  device::copy(&v, Device::cpu, flag_, Device::cuda, sizeof(int32_t), stream);
  return v != 0;
}

namespace {
template <class T> void check_pairs(const char* op, const ParameterList<T>& target, const ParameterList<T>& source) {
  if (target.size() != source.size())
    throw std::invalid_argument(std::string(op) + ": " + std::to_string(target.size()) + " target and " +
                                std::to_string(source.size()) + " source parameters, expected the same number");
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i]->shape() != source[i]->shape())
      throw std::invalid_argument(std::string(op) + ": " + target[i]->name() + " " + target[i]->shape().str() +
                                  " vs " + source[i]->name() + " " + source[i]->shape().str() + ", expected equal shapes");
}
}  // namespace

template <class T>
void polyak_update(const ParameterList<T>& target, const ParameterList<T>& source, double tau, cuda::Stream stream) {
  check_pairs("polyak_update", target, source);
  if (!(tau >= 0 && tau <= 1)) throw std::invalid_argument("polyak_update: tau " + std::to_string(tau) + ", expected [0, 1]");
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i]->device() != source[i]->device())
      throw std::invalid_argument("polyak_update: " + target[i]->name() + " on " + device_name(target[i]->device()) +
                                  " vs " + source[i]->name() + " on " + device_name(source[i]->device()) +
                                  ", expected one device");
    const Device d = target[i]->device();
    device::fence(d, stream);
    kernels::polyak_update({d, stream}, target[i]->value().data(), source[i]->value().data(), target[i]->numel(), T(tau));
    device::fence(d, stream);
  }
}

template <class T>
void polyak_update_guarded(const ParameterList<T>& target, const ParameterList<T>& source, double tau,
                           const int32_t* ok, cuda::Stream stream) {
  check_pairs("polyak_update_guarded", target, source);
  if (!(tau >= 0 && tau <= 1))
    throw std::invalid_argument("polyak_update_guarded: tau " + std::to_string(tau) + ", expected [0, 1]");
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i]->device() != Device::cuda || source[i]->device() != Device::cuda)
      throw std::invalid_argument("polyak_update_guarded: " + target[i]->name() + " on " +
                                  device_name(target[i]->device()) + ", expected cuda (graph-captured updates only)");
    kernels::polyak_update_guarded({Device::cuda, stream}, target[i]->value().data(), source[i]->value().data(),
                                   target[i]->numel(), T(tau), ok);
  }
}

template <class T>
void copy_parameters(const ParameterList<T>& target, const ParameterList<T>& source, cuda::Stream stream) {
  check_pairs("copy_parameters", target, source);
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i]->device() == Device::cpu && source[i]->device() == Device::cpu)
      target[i]->value().host() = source[i]->value().host();
    else target[i]->value().copy_from(source[i]->value(), stream);
  }
}

template class Adam<float>;
template class Adam<double>;
#define MAAC_INSTANTIATE(T)                                                                                \
  template void polyak_update<T>(const ParameterList<T>&, const ParameterList<T>&, double, cuda::Stream); \
  template void copy_parameters<T>(const ParameterList<T>&, const ParameterList<T>&, cuda::Stream);       \
  template void polyak_update_guarded<T>(const ParameterList<T>&, const ParameterList<T>&, double, const int32_t*, \
                                         cuda::Stream);                                                            \
  template void DeviceFlag::check_finite<T>(const T*, const ParameterList<T>&, cuda::Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
