#include "rl/critic.hpp"

#include <stdexcept>
#include <string>

#include "autodiff/optim/adam.hpp"

namespace maac::rl {
namespace {
std::vector<int64_t> q_sizes(int64_t obs, int64_t act, const CriticOptions& o) {
  if (obs < 1 || act < 1)
    throw std::invalid_argument("TwinCritic: obs " + std::to_string(obs) + ", act " + std::to_string(act) +
                                ", expected both >= 1");
  std::vector<int64_t> s{obs + act};
  s.insert(s.end(), o.hidden.begin(), o.hidden.end());
  s.push_back(1);
  return s;
}
}  // namespace

template <class T>
TwinCritic<T>::TwinCritic(int64_t obs_dim, int64_t act_dim, CriticOptions options, Rng& rng)
    : obs_(obs_dim),
      act_(act_dim),
      online_{MLP<T>("q1", q_sizes(obs_dim, act_dim, options), options.activation, rng),
              MLP<T>("q2", q_sizes(obs_dim, act_dim, options), options.activation, rng)},
      target_{MLP<T>("q1_target", q_sizes(obs_dim, act_dim, options), options.activation, rng),
              MLP<T>("q2_target", q_sizes(obs_dim, act_dim, options), options.activation, rng)} {
  // Targets start equal to the online networks.
  copy_parameters(target_parameters(), parameters());
}

template <class T>
std::array<Var<T>, 2> TwinCritic<T>::q(Tape<T>& tape, Var<T> s, Var<T> a, bool target) {
  const int64_t n = s.rows();
  if (s.shape() != Shape{n, obs_} || a.shape() != Shape{a.rows(), act_} || n < 1 || a.rows() % n != 0)
    throw std::invalid_argument("TwinCritic: s " + s.shape().str() + ", a " + a.shape().str() + ", expected [n, " +
                                std::to_string(obs_) + "] and [k n, " + std::to_string(act_) + "], k >= 1");
  auto& nets = target ? target_ : online_;
  return {nets[0].forward_concat(tape, s, a), nets[1].forward_concat(tape, s, a)};
}

template <class T>
Var<T> TwinCritic<T>::min_q(Tape<T>& tape, Var<T> s, Var<T> a, bool target) {
  auto qs = q(tape, s, a, target);
  return minimum(qs[0], qs[1]);
}

template <class T>
Var<T> TwinCritic<T>::loss(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> y) {
  if (y.shape() != Shape{s.rows(), 1} || a.rows() != s.rows() || y.requires_grad())
    throw std::invalid_argument("TwinCritic::loss: y " + y.shape().str() + ", a " + a.shape().str() +
                                ", expected a constant [" + std::to_string(s.rows()) + ", 1] and one action per state");
  auto qs = q(tape, s, a);
  return add(mean(square(sub(qs[0], y))), mean(square(sub(qs[1], y))));
}

template <class T>
void TwinCritic<T>::update_targets(double tau) {
  if (!(tau >= 0.0 && tau <= 1.0))
    throw std::invalid_argument("TwinCritic::update_targets: tau " + std::to_string(tau) + ", expected in [0, 1]");
  polyak_update(target_parameters(), parameters(), tau);
}

template <class T>
ParameterList<T> TwinCritic<T>::parameters() {
  ParameterList<T> ps = online_[0].parameters();
  for (Parameter<T>* p : online_[1].parameters()) ps.push_back(p);
  return ps;
}
template <class T>
ParameterList<T> TwinCritic<T>::target_parameters() {
  ParameterList<T> ps = target_[0].parameters();
  for (Parameter<T>* p : target_[1].parameters()) ps.push_back(p);
  return ps;
}

template class TwinCritic<float>;
template class TwinCritic<double>;

}  // namespace maac::rl
