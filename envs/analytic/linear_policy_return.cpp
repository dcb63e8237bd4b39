#include "envs/analytic/linear_policy_return.hpp"

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace maac::envs {
namespace {

void expect_shape(const char* name, const Eigen::MatrixXd& m, Eigen::Index rows, Eigen::Index cols) {
  if (m.rows() != rows || m.cols() != cols)
    throw std::invalid_argument(
        fmt::format("LinearQuadraticSystem: {} is {}x{}, expected {}x{}", name, m.rows(), m.cols(), rows, cols));
}

}  // namespace

void LinearQuadraticSystem::check() const {
  const Eigen::Index n = A.rows(), m = B.cols();
  if (n == 0 || m == 0) throw std::invalid_argument("LinearQuadraticSystem: empty A or B");
  expect_shape("A", A, n, n);
  expect_shape("B", B, n, m);
  expect_shape("Q", Q, n, n);
  expect_shape("R", R, m, m);
  expect_shape("init_mean", init_mean, n, 1);
  expect_shape("init_cov", init_cov, n, n);
}

PolicyReturn linear_policy_return(const LinearQuadraticSystem& sys, const Eigen::MatrixXd& K, int horizon, double gamma,
                                  double noise_std) {
  sys.check();
  const int n = sys.state_dim(), m = sys.action_dim();
  if (K.rows() != m || K.cols() != n)
    throw std::invalid_argument(fmt::format("linear_policy_return: K is {}x{}, expected {}x{}", K.rows(), K.cols(), m, n));
  if (horizon < 0) throw std::invalid_argument(fmt::format("linear_policy_return: horizon {}, expected >= 0", horizon));

  const Eigen::MatrixXd M = sys.A + sys.B * K;
  const Eigen::MatrixXd S = sys.Q + K.transpose() * sys.R * K;  // per-step state cost with u = Kx
  const Eigen::MatrixXd noise_cov = noise_std * noise_std * sys.B * sys.B.transpose();
  const double noise_action_cost = noise_std * noise_std * sys.R.trace();

  // Forward: second moments Sigma_0 .. Sigma_{H-1} and the expected return.
  std::vector<Eigen::MatrixXd> sigma(static_cast<size_t>(horizon));
  PolicyReturn out;
  Eigen::MatrixXd current = sys.init_cov + sys.init_mean * sys.init_mean.transpose();
  double discount = 1.0;
  for (int t = 0; t < horizon; ++t) {
    sigma[t] = current;
    out.value -= discount * ((S * current).trace() + noise_action_cost);
    current = M * current * M.transpose() + noise_cov;
    discount *= gamma;
  }

  // Backward: the adjoint V_{t+1} (cost-to-go matrix) gives each step's gradient.
  out.gradient = Eigen::MatrixXd::Zero(m, n);
  Eigen::MatrixXd V_next = Eigen::MatrixXd::Zero(n, n);
  for (int t = horizon - 1; t >= 0; --t) {
    const double g = std::pow(gamma, t);
    out.gradient -= 2.0 * (g * sys.R * K * sigma[t] + sys.B.transpose() * V_next * M * sigma[t]);
    V_next = g * S + M.transpose() * V_next * M;
  }
  return out;
}

}  // namespace maac::envs
