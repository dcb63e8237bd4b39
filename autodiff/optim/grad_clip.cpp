#include "autodiff/optim/grad_clip.hpp"

#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/math.cuh"
#include "kernels/optim.hpp"

namespace maac {
namespace {

void check_max_norm(const char* who, double max_norm) {
  if (!(max_norm > 0))
    throw std::invalid_argument(std::string(who) + ": max_norm " + std::to_string(max_norm) + ", expected > 0");
}

// Adds the squares of every cuda gradient to *squared_norm, then scales each of them by
// the factor the kernel derives from that sum: the device half of both clip forms.
template <class T>
void add_squares_then_scale(const ParameterList<T>& params, double max_norm, double* squared_norm,
                            cuda::Stream stream) {
  const kernels::Where gpu{Device::cuda, stream};
  device::fence(Device::cuda, stream);
  for (const Parameter<T>* p : params)
    if (p->device() == Device::cuda) kernels::sum_squares_add(gpu, p->grad().data(), p->numel(), squared_norm);
  // No finite norm exceeds DBL_MAX (the Agent's finite check without clipping): no launches.
  if (max_norm < DBL_MAX)
    for (Parameter<T>* p : params)
      if (p->device() == Device::cuda) kernels::clip_scale(gpu, p->grad().data(), p->numel(), squared_norm, max_norm);
  device::fence(Device::cuda, stream);
}

// One double in device memory per thread for clip_grad_norm's squared norm: allocated
// once, so a steady-state clip allocates nothing.
double* device_norm_accumulator() {
  thread_local Buffer<double> acc(Shape{1}, Device::cuda);
  return acc.data();
}

}  // namespace

template <class T> double clip_grad_norm(const ParameterList<T>& params, double max_norm, cuda::Stream stream) {
  check_max_norm("clip_grad_norm", max_norm);
  double squared = 0.0;  // the cpu gradients' part, summed on the host
  bool any_cuda = false;
  for (const Parameter<T>* p : params) {
    if (p->device() == Device::cuda) {
      any_cuda = true;
      continue;
    }
    kernels::sum_squares_add(kernels::host, p->grad().data(), p->numel(), &squared);
  }
  if (any_cuda) {
    // The device sum starts from the host part, so the kernels' factor sees the whole norm.
    double* acc = device_norm_accumulator();
    if (squared == 0.0) device::zero(acc, Device::cuda, sizeof(double), stream);
    else device::copy(acc, Device::cuda, &squared, Device::cpu, sizeof(double), stream);
    add_squares_then_scale(params, max_norm, acc, stream);
    device::copy(&squared, Device::cpu, acc, Device::cuda, sizeof(double), stream);  // the one wait
  }
  if (math::clip_factor(squared, max_norm) != 1.0)
    for (Parameter<T>* p : params)
      if (p->device() == Device::cpu) kernels::clip_scale(kernels::host, p->grad().data(), p->numel(), &squared, max_norm);
  return std::sqrt(squared);
}

DeviceGradClip::DeviceGradClip(double max_norm) : max_norm_(max_norm) {
  check_max_norm("DeviceGradClip", max_norm);
  device::require(Device::cuda, "DeviceGradClip");
  squared_norm_ = static_cast<double*>(device::allocate(sizeof(double), Device::cuda));
  device::zero(squared_norm_, Device::cuda, sizeof(double), cuda::default_stream);
}

DeviceGradClip::~DeviceGradClip() { device::release(squared_norm_, Device::cuda); }

template <class T> void DeviceGradClip::clip(const ParameterList<T>& params, cuda::Stream stream) {
  for (const Parameter<T>* p : params)
    if (p->device() != Device::cuda)
      throw std::invalid_argument("DeviceGradClip::clip: parameter '" + p->name() + "' is on " +
                                  device_name(p->device()) + ", expected cuda");
  device::zero(squared_norm_, Device::cuda, sizeof(double), stream);
  add_squares_then_scale(params, max_norm_, squared_norm_, stream);
}

double checked_grad_clip(const std::string& who, double grad_clip) {
  if (!(grad_clip >= 0.0) || !std::isfinite(grad_clip))
    throw std::invalid_argument(who + ": grad_clip " + std::to_string(grad_clip) +
                                ", expected a finite value >= 0 (0: no clipping)");
  return grad_clip;
}

double DeviceGradClip::norm(cuda::Stream stream) const {
  double squared = 0.0;
  device::copy(&squared, Device::cpu, squared_norm_, Device::cuda, sizeof(double), stream);
  return std::sqrt(squared);
}

#define MAAC_INSTANTIATE(T)                                                          \
  template double clip_grad_norm<T>(const ParameterList<T>&, double, cuda::Stream); \
  template void DeviceGradClip::clip<T>(const ParameterList<T>&, cuda::Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
