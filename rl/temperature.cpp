#include "rl/temperature.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autodiff/ops.hpp"

namespace maac::rl {

template <class T>
EntropyTemperature<T>::EntropyTemperature(int64_t act_dim, double initial_alpha, double lr, double target_entropy)
    : log_alpha_("log_alpha", Shape{1, 1}),
      target_entropy_(std::isnan(target_entropy) ? -double(act_dim) : target_entropy),
      adam_({&log_alpha_}, AdamOptions{lr}) {
  if (act_dim < 1 || !(initial_alpha > 0.0))
    throw std::invalid_argument("EntropyTemperature: act_dim " + std::to_string(act_dim) + ", alpha " +
                                std::to_string(initial_alpha) + ": expected act_dim >= 1 and alpha > 0");
  log_alpha_.value().fill(T(std::log(initial_alpha)));
}

template <class T>
double EntropyTemperature<T>::alpha() const {
  return std::exp(double(log_alpha_.value().data()[0]));
}

template <class T>
void EntropyTemperature<T>::update(const T* log_pi, int64_t n) {
  if (n < 1) throw std::invalid_argument("EntropyTemperature::update: n = " + std::to_string(n) + ", expected >= 1");
  Tape<T> tape(size_t(1) << 16);
  Var<T> lp = add_scalar(tape.constant(Shape{n, 1}, log_pi), target_entropy_);
  Var<T> loss = scale(mean(mul(lp, tape.param(log_alpha_))), -1.0);
  adam_.zero_grad();
  tape.backward(loss);
  adam_.step();
}

template class EntropyTemperature<float>;
template class EntropyTemperature<double>;

}  // namespace maac::rl
