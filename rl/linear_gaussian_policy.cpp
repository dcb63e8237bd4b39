#include "rl/linear_gaussian_policy.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace maac::rl {

template <class T>
LinearGaussianPolicy<T>::LinearGaussianPolicy(int64_t obs_dim, int64_t act_dim, const std::vector<double>& gain,
                                              double noise_std)
    : obs_(obs_dim), act_(act_dim), noise_std_(noise_std), gain_("linear_policy.gain_t", Shape{obs_dim, act_dim}) {
  if (obs_dim < 1 || act_dim < 1 || int64_t(gain.size()) != obs_dim * act_dim || !(noise_std > 0) ||
      !std::isfinite(noise_std))
    throw std::invalid_argument(fmt::format("LinearGaussianPolicy: obs {}, act {}, {} gain values, noise_std {}: "
                                            "expected obs, act >= 1, act*obs gain values, 0 < noise_std < inf",
                                            obs_dim, act_dim, gain.size(), noise_std));
  std::vector<T>& w = gain_.value().host();
  for (int64_t i = 0; i < act_; ++i)
    for (int64_t j = 0; j < obs_; ++j) w[j * act_ + i] = T(gain[i * obs_ + j]);
}

template <class T>
typename LinearGaussianPolicy<T>::Sample LinearGaussianPolicy<T>::sample(Tape<T>& tape, Var<T> s, Var<T> eps) {
  const int64_t n = s.rows();
  if (s.shape() != Shape{n, obs_} || n < 1 || eps.cols() != act_ || eps.rows() % n != 0 || eps.rows() < n)
    throw std::invalid_argument(fmt::format("LinearGaussianPolicy::sample: s {}, eps {}: expected [n, {}] and [k n, {}]",
                                            s.shape().str(), eps.shape().str(), obs_, act_));
  // The mean once per state, tiled for k > 1 samples; the noise is added unscaled by K.
  Var<T> mu = matmul(s, tape.param(gain_));  // [n, act]
  if (eps.rows() > n) mu = tile_rows(mu, eps.rows() / n);
  Var<T> action = add(mu, scale(eps, noise_std_));
  const double log_norm = -double(act_) * (std::log(noise_std_) + 0.5 * std::log(2.0 * M_PI));
  Var<T> log_prob = add_scalar(scale(sum_cols(square(eps)), -0.5), log_norm);
  return {action, log_prob};
}

template <class T>
std::vector<double> LinearGaussianPolicy<T>::gain() const {
  std::vector<double> k(static_cast<size_t>(act_ * obs_));
  const std::vector<T>& w = gain_.value().host();
  for (int64_t i = 0; i < act_; ++i)
    for (int64_t j = 0; j < obs_; ++j) k[i * obs_ + j] = double(w[j * act_ + i]);
  return k;
}

template <class T>
std::vector<double> LinearGaussianPolicy<T>::gain_gradient() const {
  std::vector<double> g(static_cast<size_t>(act_ * obs_));
  const std::vector<T>& w = gain_.grad().host();
  for (int64_t i = 0; i < act_; ++i)
    for (int64_t j = 0; j < obs_; ++j) g[i * obs_ + j] = double(w[j * act_ + i]);
  return g;
}

template class LinearGaussianPolicy<float>;
template class LinearGaussianPolicy<double>;

}  // namespace maac::rl
