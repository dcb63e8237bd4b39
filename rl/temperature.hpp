// Automatic entropy temperature (SAC): alpha = exp(log_alpha), trained so the policy's
// entropy tracks a target (-|A| by default) with Adam on
//   L(log_alpha) = -mean(log_alpha * (log pi + target_entropy)).
#pragma once
#include <cmath>

#include "autodiff/optim/adam.hpp"
#include "autodiff/tape.hpp"

namespace maac::rl {

template <class T>
class EntropyTemperature {
 public:
  // target_entropy defaults to -act_dim when NaN is passed.
  EntropyTemperature(int64_t act_dim, double initial_alpha = 1.0, double lr = 3e-4, double target_entropy = NAN);
  double alpha() const;
  double target_entropy() const { return target_entropy_; }
  Parameter<T>& log_alpha() { return log_alpha_; }
  Adam<T>& optimizer() { return adam_; }
  // One Adam step from the log-probabilities of fresh policy samples (values, no gradient). log_pi: [n]
  void update(const T* log_pi, int64_t n);

 private:
  Parameter<T> log_alpha_;  // [1, 1]
  double target_entropy_;
  Adam<T> adam_;
};

extern template class EntropyTemperature<float>;
extern template class EntropyTemperature<double>;

}  // namespace maac::rl
