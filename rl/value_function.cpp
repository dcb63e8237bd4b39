#include "rl/value_function.hpp"

#include <stdexcept>
#include <string>

#include "autodiff/optim/adam.hpp"

namespace maac::rl {
namespace {
std::vector<int64_t> v_sizes(int64_t obs, const CriticOptions& o) {
  if (obs < 1) throw std::invalid_argument("ValueFunction: obs " + std::to_string(obs) + ", expected >= 1");
  std::vector<int64_t> s{obs};
  s.insert(s.end(), o.hidden.begin(), o.hidden.end());
  s.push_back(1);
  return s;
}
}  // namespace

template <class T>
ValueFunction<T>::ValueFunction(int64_t obs_dim, CriticOptions options, Rng& rng)
    : obs_(obs_dim),
      online_("v", v_sizes(obs_dim, options), options.activation, rng),
      target_("v_target", v_sizes(obs_dim, options), options.activation, rng) {
  // The target starts equal to the online network.
  copy_parameters(target_parameters(), parameters());
}

template <class T>
Var<T> ValueFunction<T>::value(Tape<T>& tape, Var<T> s, bool target) {
  if (s.shape() != Shape{s.rows(), obs_} || s.rows() < 1)
    throw std::invalid_argument("ValueFunction: s " + s.shape().str() + ", expected [n, " + std::to_string(obs_) + "]");
  return (target ? target_ : online_).forward(tape, s);
}

template <class T>
Var<T> ValueFunction<T>::loss(Tape<T>& tape, Var<T> s, Var<T> y) {
  if (y.shape() != Shape{s.rows(), 1} || y.requires_grad())
    throw std::invalid_argument("ValueFunction::loss: y " + y.shape().str() + ", expected a constant [" +
                                std::to_string(s.rows()) + ", 1]");
  return mean(square(sub(value(tape, s), y)));
}

template <class T>
void ValueFunction<T>::update_targets(double tau) {
  if (!(tau >= 0.0 && tau <= 1.0))
    throw std::invalid_argument("ValueFunction::update_targets: tau " + std::to_string(tau) + ", expected in [0, 1]");
  polyak_update(target_parameters(), parameters(), tau);
}

template class ValueFunction<float>;
template class ValueFunction<double>;

}  // namespace maac::rl
