#include "rl/linear_dynamics.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace maac::rl {
namespace {
// m' as row-major values, the layout a [rows, cols] constant reads.
template <class T> std::vector<T> transposed(const Eigen::MatrixXd& m) {
  std::vector<T> v;
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) v.push_back(T(m(i, j)));
  return v;
}
}  // namespace

template <class T>
LinearDynamics<T>::LinearDynamics(const envs::LinearQuadraticSystem& system)
    : obs_((system.check(), system.state_dim())), act_(system.action_dim()),
      a_t_(Shape{obs_, obs_}, transposed<T>(system.A)), b_t_(Shape{act_, obs_}, transposed<T>(system.B)) {}

template <class T>
Var<T> LinearDynamics<T>::next_state(Tape<T>& tape, Var<T> s, Var<T> a) const {
  if (s.shape() != Shape{s.rows(), obs_} || a.shape() != Shape{s.rows(), act_})
    throw std::invalid_argument(fmt::format("LinearDynamics::next_state: s {}, a {}: expected [n, {}] and [n, {}]",
                                            s.shape().str(), a.shape().str(), obs_, act_));
  return add(matmul(s, a_t_.on(tape)), matmul(a, b_t_.on(tape)));
}

template class LinearDynamics<float>;
template class LinearDynamics<double>;

}  // namespace maac::rl
