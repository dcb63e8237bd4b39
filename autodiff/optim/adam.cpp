#include "autodiff/optim/adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cpu/elementwise.hpp"

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
    m_.emplace_back(p->shape());
    v_.emplace_back(p->shape());
  }
}

template <class T> void Adam<T>::step() {
  ++steps_;
  T bc1 = T(1 - std::pow(options_.beta1, static_cast<double>(steps_)));
  T bc2 = T(1 - std::pow(options_.beta2, static_cast<double>(steps_)));
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter<T>& p = *params_[i];
    cpu::adam_update(p.value().data(), p.grad().data(), m_[i].data(), v_[i].data(), p.numel(), T(options_.lr),
                     T(options_.beta1), T(options_.beta2), T(options_.eps), bc1, bc2, T(options_.weight_decay));
  }
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

template <class T> void polyak_update(const ParameterList<T>& target, const ParameterList<T>& source, double tau) {
  check_pairs("polyak_update", target, source);
  if (!(tau >= 0 && tau <= 1)) throw std::invalid_argument("polyak_update: tau " + std::to_string(tau) + ", expected [0, 1]");
  for (size_t i = 0; i < target.size(); ++i)
    cpu::polyak_update(target[i]->value().data(), source[i]->value().data(), target[i]->numel(), T(tau));
}

template <class T> void copy_parameters(const ParameterList<T>& target, const ParameterList<T>& source) {
  check_pairs("copy_parameters", target, source);
  for (size_t i = 0; i < target.size(); ++i) target[i]->value().host() = source[i]->value().host();
}

template <class T> double clip_grad_norm(const ParameterList<T>& params, double max_norm) {
  if (!(max_norm > 0)) throw std::invalid_argument("clip_grad_norm: max_norm " + std::to_string(max_norm) + ", expected > 0");
  double sq = 0.0;
  for (const Parameter<T>* p : params)
    for (T g : p->grad().host()) sq += static_cast<double>(g) * g;
  double norm = std::sqrt(sq);
  if (std::isfinite(norm) && norm > max_norm) {
    T factor = static_cast<T>(max_norm / (norm + 1e-6));
    for (Parameter<T>* p : params)
      for (T& g : p->grad().host()) g *= factor;
  }
  return norm;
}

template class Adam<float>;
template class Adam<double>;
#define MAAC_INSTANTIATE(T)                                                                  \
  template void polyak_update<T>(const ParameterList<T>&, const ParameterList<T>&, double); \
  template void copy_parameters<T>(const ParameterList<T>&, const ParameterList<T>&);       \
  template double clip_grad_norm<T>(const ParameterList<T>&, double);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
