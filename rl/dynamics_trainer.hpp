// Fits the dynamics ensemble: Gaussian NLL with Adam on per-member bootstrap samples,
// a held-out split shared by all members, early stopping on held-out NLL, elites.
#pragma once
#include <vector>

#include "autodiff/optim/adam.hpp"
#include "rl/dynamics_model.hpp"

namespace maac::rl {

struct DynamicsTrainingOptions {
  double lr = 1e-3;
  double weight_decay = 0.0;  // L2 on every model parameter (MBPO uses 2.5e-5 .. 1e-4; authors 0)
  int64_t batch = 256;
  double holdout_fraction = 0.2;
  int64_t max_holdout = 5000;  // cap on held-out rows (as MBPO)
  int64_t max_epochs = 200;
  int64_t patience = 5;  // epochs without improvement before stopping
  double min_relative_improvement = 0.01;
  int64_t elites = 0;        // best K members by held-out NLL; 0: all members
  bool bootstrap = true;     // false: every member trains on the whole split
  bool restore_best = true;  // end with each member's best held-out parameters
};

struct DynamicsTrainingReport {
  int64_t epochs = 0;
  bool early_stopped = false;
  std::vector<double> initial_holdout_nll;  // per member, before training
  std::vector<double> holdout_nll;          // per member, after training
  std::vector<double> epoch_mean_holdout_nll;
  std::vector<int32_t> elites;
};

template <class T>
class DynamicsTrainer {
 public:
  DynamicsTrainer(DynamicsModel<T>& model, DynamicsTrainingOptions options);
  // Transitions: s, s_next [n, obs], a [n, act], r [n] (may be null unless the model
  // predicts reward). Refits the normalisers, trains, and sets the model's elites.
  DynamicsTrainingReport fit(const T* s, const T* a, const T* s_next, const T* r, int64_t n, Rng& rng);
  Adam<T>& optimizer() { return adam_; }

 private:
  DynamicsModel<T>& model_;
  DynamicsTrainingOptions options_;
  Adam<T> adam_;
  Tape<T> tape_;
};

extern template class DynamicsTrainer<float>;
extern template class DynamicsTrainer<double>;

}  // namespace maac::rl
