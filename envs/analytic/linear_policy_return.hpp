// Closed-form expected return of a linear policy on a linear-quadratic system, and its
// exact gradient: the ground truth for the gradient-error experiment (MAAC section 5.2).
//
//   x_{t+1} = A x_t + B u_t,  u_t = K x_t + sigma eps_t,  eps_t ~ N(0, I),
//   r_t = -(x_t' Q x_t + u_t' R u_t),  x_0 ~ N(mu0, S0),
//   J(K) = E[ sum_{t<H} gamma^t r_t ].
//
// With M = A + B K and the second moment Sigma_t = E[x_t x_t']:
//   Sigma_0 = S0 + mu0 mu0',  Sigma_{t+1} = M Sigma_t M' + sigma^2 B B',
//   E[r_t] = -(tr((Q + K'RK) Sigma_t) + sigma^2 tr R).
// The gradient comes from the adjoint (backward Lyapunov) recursion
//   V_H = 0,  V_t = gamma^t (Q + K'RK) + M' V_{t+1} M,
//   dJ/dK = -2 sum_{t<H} (gamma^t R K Sigma_t + B' V_{t+1} M Sigma_t).
#pragma once
#include <Eigen/Dense>

namespace maac::envs {

struct LinearQuadraticSystem {
  Eigen::MatrixXd A;          // [n, n]
  Eigen::MatrixXd B;          // [n, m]
  Eigen::MatrixXd Q;          // [n, n], symmetric
  Eigen::MatrixXd R;          // [m, m], symmetric
  Eigen::VectorXd init_mean;  // [n]
  Eigen::MatrixXd init_cov;   // [n, n], symmetric positive semi-definite

  int state_dim() const { return static_cast<int>(A.rows()); }
  int action_dim() const { return static_cast<int>(B.cols()); }
  // Throws std::invalid_argument naming the first matrix of the wrong shape.
  void check() const;
};

struct PolicyReturn {
  double value = 0.0;        // J(K)
  Eigen::MatrixXd gradient;  // dJ/dK, the shape of K [m, n]
};

// J(K) and dJ/dK for horizon H >= 0 steps and discount gamma.
PolicyReturn linear_policy_return(const LinearQuadraticSystem& sys, const Eigen::MatrixXd& K, int horizon, double gamma,
                                  double noise_std = 0.0);

}  // namespace maac::envs
