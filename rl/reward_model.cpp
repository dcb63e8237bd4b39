#include "rl/reward_model.hpp"


#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace maac::rl {

template <class T>
Var<T> RewardModel<T>::alive(Tape<T>& tape, Var<T> s_next) const {
  return tape.filled(Shape{s_next.rows(), 1}, T(1));
}

template <class T>
Var<T> checked_alive(const RewardModel<T>& model, Tape<T>& tape, Var<T> s_next) {
  Var<T> m = model.alive(tape, s_next);
  if (m.shape() != Shape{s_next.rows(), 1} || m.requires_grad())
    throw std::invalid_argument("RewardModel::alive: returned " + m.shape().str() +
                                (m.requires_grad() ? " with a gradient" : "") + ", expected a constant [" +
                                std::to_string(s_next.rows()) + ", 1]");
  if (m.device() != Device::cpu) return m;  // trusted: see the header
  const std::vector<T> mv = m.to_host();
  for (int64_t i = 0; i < m.numel(); ++i)
    if (mv[i] != T(0) && mv[i] != T(1))
      throw std::invalid_argument("RewardModel::alive: value " + std::to_string(double(mv[i])) + " at row " +
                                  std::to_string(i) + ", expected 0 or 1");
  return m;
}

template <class T>
Var<T> checked_alive(const RewardModel<T>& model, Tape<T>& tape, Var<T> s_next, Termination termination) {
  if (termination == Termination::hard) return checked_alive(model, tape, s_next);
  Var<T> p = model.alive_probability(tape, s_next);
  if (p.shape() != Shape{s_next.rows(), 1})
    throw std::invalid_argument("RewardModel::alive_probability: returned " + p.shape().str() + ", expected [" +
                                std::to_string(s_next.rows()) + ", 1]");
  if (p.device() != Device::cpu) return p;  // trusted, as alive()
  const std::vector<T> pv = p.to_host();
  for (int64_t i = 0; i < p.numel(); ++i)
    if (pv[i] < T(0) || pv[i] > T(1))  // NaN passes: a non-finite s' is the update guard's to skip
      throw std::invalid_argument("RewardModel::alive_probability: value " + std::to_string(double(pv[i])) +
                                  " at row " + std::to_string(i) + ", expected a probability in [0, 1]");
  return p;
}

template <class T>
QuadraticReward<T>::QuadraticReward(double state_weight, double action_weight, double progress_weight,
                                    double terminate_above)
    : state_weight_(state_weight),
      action_weight_(action_weight),
      progress_weight_(progress_weight),
      terminate_above_(terminate_above) {}

template <class T>
Var<T> QuadraticReward<T>::reward(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> s_next) const {
  if (s.shape() != s_next.shape() || a.rows() != s.rows())
    throw std::invalid_argument("QuadraticReward: s " + s.shape().str() + ", a " + a.shape().str() + ", s_next " +
                                s_next.shape().str() + ": expected s and s_next equal, the same rows for a");
  Var<T> r = add(scale(sum_cols(square(s_next)), -state_weight_), scale(sum_cols(square(a)), -action_weight_));
  if (progress_weight_ != 0.0) r = add(r, scale(sub(slice_cols(s_next, 0, 1), slice_cols(s, 0, 1)), progress_weight_));
  return r;
}

template <class T>
Var<T> QuadraticReward<T>::alive(Tape<T>& tape, Var<T> s_next) const {
  if (terminate_above_ <= 0.0) return tape.filled(Shape{s_next.rows(), 1}, T(1));
  // A host predicate: reads s' back (not capturable, see capturable()).
  std::vector<T> mask(static_cast<size_t>(s_next.rows()), T(1));
  const std::vector<T> sv = s_next.to_host();
  for (int64_t i = 0; i < s_next.rows(); ++i)
    if (std::fabs(double(sv[i * s_next.cols()])) > terminate_above_) mask[i] = T(0);
  return tape.constant(Shape{s_next.rows(), 1}, mask.data());
}

template <class T>
Var<T> QuadraticReward<T>::alive_probability(Tape<T>& tape, Var<T> s_next) const {
  if (terminate_above_ <= 0.0) return alive(tape, s_next);
  // -log p = softplus((x - c) / tau) + softplus((-c - x) / tau), x = s'_0.
  const double c = terminate_above_, tau = 0.1 * c;
  Var<T> x = slice_cols(s_next, 0, 1);
  Var<T> penalty = add(softplus(add_scalar(scale(x, 1.0 / tau), -c / tau)),
                       softplus(add_scalar(scale(x, -1.0 / tau), -c / tau)));
  return exp(scale(penalty, -1.0));
}

template class RewardModel<float>;
template class RewardModel<double>;
template class QuadraticReward<float>;
template class QuadraticReward<double>;
template Var<float> checked_alive(const RewardModel<float>&, Tape<float>&, Var<float>);
template Var<double> checked_alive(const RewardModel<double>&, Tape<double>&, Var<double>);
template Var<float> checked_alive(const RewardModel<float>&, Tape<float>&, Var<float>, Termination);
template Var<double> checked_alive(const RewardModel<double>&, Tape<double>&, Var<double>, Termination);

}  // namespace maac::rl
