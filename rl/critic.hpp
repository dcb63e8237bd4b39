// Twin Q-functions Q_j(s, a) (MLPs on [s, a]) with Polyak-averaged target copies.
#pragma once
#include <array>
#include <vector>

#include "autodiff/modules/mlp.hpp"

namespace maac::rl {

struct CriticOptions {
  std::vector<int64_t> hidden{256, 256};
  Unary activation = Unary::relu;
};

template <class T>
class TwinCritic {
 public:
  TwinCritic(int64_t obs_dim, int64_t act_dim, CriticOptions options, Rng& rng);

  // s: [n, obs], a: [k n, act] (k >= 1 actions per state: action j of state i at row
  // j n + i) -> {Q_1, Q_2}, each [k n, 1]; target = true uses the target copies. The first
  // layer reads s and a as two column blocks (concat_linear): no [s, a] copy, no tile of s.
  std::array<Var<T>, 2> q(Tape<T>& tape, Var<T> s, Var<T> a, bool target = false);
  // min_j Q_j(s, a): [k n, 1]
  Var<T> min_q(Tape<T>& tape, Var<T> s, Var<T> a, bool target = false);
  // Critic regression loss: mean (Q_1 - y)^2 + mean (Q_2 - y)^2, y a constant [n, 1].
  Var<T> loss(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> y);
  // target <- (1 - tau) target + tau online.
  void update_targets(double tau);

  ParameterList<T> parameters();
  ParameterList<T> target_parameters();
  int64_t obs_dim() const { return obs_; }
  int64_t act_dim() const { return act_; }

 private:
  int64_t obs_, act_;
  std::array<MLP<T>, 2> online_;
  std::array<MLP<T>, 2> target_;
};

extern template class TwinCritic<float>;
extern template class TwinCritic<double>;

}  // namespace maac::rl
