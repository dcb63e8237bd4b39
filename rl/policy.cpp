#include "rl/policy.hpp"

#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {
std::vector<int64_t> policy_sizes(int64_t obs, int64_t act, const PolicyOptions& o) {
  if (obs < 1 || act < 1 || !(o.log_std_min < o.log_std_max))
    throw std::invalid_argument("SquashedGaussianPolicy: obs " + std::to_string(obs) + ", act " + std::to_string(act) +
                                ", log-std range [" + std::to_string(o.log_std_min) + ", " +
                                std::to_string(o.log_std_max) + "]: expected dims >= 1 and min < max");
  std::vector<int64_t> s{obs};
  s.insert(s.end(), o.hidden.begin(), o.hidden.end());
  s.push_back(2 * act);
  return s;
}
}  // namespace

template <class T>
SquashedGaussianPolicy<T>::SquashedGaussianPolicy(int64_t obs_dim, int64_t act_dim, PolicyOptions options, Rng& rng)
    : obs_(obs_dim),
      act_(act_dim),
      options_(options),
      net_("policy", policy_sizes(obs_dim, act_dim, options), options.activation, rng) {}

template <class T>
typename SquashedGaussianPolicy<T>::Distribution SquashedGaussianPolicy<T>::distribution(Tape<T>& tape, Var<T> s) {
  if (s.shape() != Shape{s.rows(), obs_})
    throw std::invalid_argument("SquashedGaussianPolicy: s " + s.shape().str() + ", expected [n, " +
                                std::to_string(obs_) + "]");
  std::vector<Var<T>> parts = split_cols(net_.forward(tape, s), {act_, act_});
  return {parts[0], clamp(parts[1], options_.log_std_min, options_.log_std_max)};
}

template <class T>
typename SquashedGaussianPolicy<T>::Sample SquashedGaussianPolicy<T>::sample(Tape<T>& tape, Var<T> s, Var<T> eps) {
  const int64_t n = s.rows();
  if (eps.shape() != Shape{eps.rows(), act_} || n < 1 || eps.rows() % n != 0 || eps.requires_grad())
    throw std::invalid_argument("SquashedGaussianPolicy::sample: eps " + eps.shape().str() +
                                ", expected a constant [k " + std::to_string(n) + ", " + std::to_string(act_) +
                                "], k >= 1");
  Distribution d = distribution(tape, s);
  if (const int64_t k = eps.rows() / n; k > 1) d = {tile_rows(d.mu, k), tile_rows(d.log_std, k)};
  return {squashed_gaussian_sample(d.mu, d.log_std, eps), squashed_gaussian_log_prob(d.mu, d.log_std, eps)};
}

template <class T>
Var<T> SquashedGaussianPolicy<T>::deterministic(Tape<T>& tape, Var<T> s) {
  return tanh(distribution(tape, s).mu);
}

template class SquashedGaussianPolicy<float>;
template class SquashedGaussianPolicy<double>;

}  // namespace maac::rl
