// Fits the dynamics ensemble: Gaussian NLL with Adam on per-member bootstrap samples,
// a held-out set shared by all members, early stopping on held-out NLL, elites.
//
// Successive fits on a growing buffer use a persistent split (ReplayBuffer's roles and
// capped_split): a held-out row is never trained on in any fit. Each fit starts its best
// at +inf and ends every member on its best epoch of this fit, never on weights from
// before it (docs/maac.md, "Split, bootstrap, early stopping").
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "autodiff/optim/adam.hpp"
#include "rl/dynamics_model.hpp"
#include "rl/replay_buffer.hpp"

namespace maac::rl {

struct DynamicsTrainingOptions {
  double lr = 1e-3;
  double weight_decay = 0.0;  // L2 on every model parameter (MBPO uses 2.5e-5 .. 1e-4; authors 0)
  int64_t batch = 256;
  double holdout_fraction = 0.2;  // share of transitions drawn held-out (once each)
  int64_t max_holdout = 5000;  // cap on held-out rows (as MBPO): the newest held-out rows count
  int64_t max_epochs = 200;
  int64_t patience = 5;  // epochs without improvement before stopping
  double min_relative_improvement = 0.01;
  int64_t elites = 0;        // best K members by held-out NLL; 0: all members
  bool bootstrap = true;     // false: every member trains on the whole split
  bool restore_best = true;  // end with each member's best epoch of this fit; false: its last
};

struct DynamicsTrainingReport {
  int64_t epochs = 0;           // epochs run
  bool early_stopped = false;   // stopped by patience before max_epochs
  int64_t train_rows = 0, holdout_rows = 0;
  std::vector<double> initial_holdout_nll;  // per member: the weights before this fit, on this fit's normalisers
  std::vector<int64_t> epochs_kept;         // per member: the epoch (1-based) whose weights it ends with
  std::vector<double> holdout_nll;          // per member, the weights it ends with
  std::vector<double> holdout_mse;          // per member, the same: raw target units (DynamicsModel::member_errors)
  std::vector<double> epoch_mean_holdout_nll;
  std::vector<int32_t> elites;
};

// Which rows of a fit's data train and which are held out (indices into the data).
struct DynamicsSplit {
  std::vector<int32_t> train, holdout;
};

// The persistent split of a buffer's transitions (roles oldest first, none unassigned):
// the held-out set is the newest `max_holdout` transitions whose role is held-out; older
// held-out transitions train. A transition leaves the held-out set only for good (newer
// held-out rows only accumulate, eviction takes the oldest first), so every held-out row
// has been held out in every fit since it arrived: it has never been trained on.
DynamicsSplit capped_split(const std::vector<SplitRole>& roles, int64_t max_holdout);

template <class T>
class DynamicsTrainer {
 public:
  DynamicsTrainer(DynamicsModel<T>& model, DynamicsTrainingOptions options);
  // Transitions: s, s_next [n, obs], a [n, act], r [n] (may be null unless the model
  // predicts reward); split: disjoint row indices, both non-empty. Refits the normalisers
  // on the training rows, trains, and sets the model's elites. Draws only from rng.
  DynamicsTrainingReport fit(const T* s, const T* a, const T* s_next, const T* r, int64_t n,
                             const DynamicsSplit& split, Rng& rng);
  // A one-off fit on a fresh random split (min(max_holdout, floor(holdout_fraction n))
  // held-out rows, as MBPO). Not for repeated fits on a growing buffer: the next fresh
  // split would hold out rows this fit trained on.
  DynamicsTrainingReport fit(const T* s, const T* a, const T* s_next, const T* r, int64_t n, Rng& rng);
  Adam<T>& optimizer() { return adam_; }
  const DynamicsTrainingOptions& options() const { return options_; }

  // Test hook: called with every training batch, per member, with the data rows it holds.
  using BatchObserver = std::function<void(int64_t member, const int32_t* rows, int64_t count)>;
  void set_batch_observer(BatchObserver observer) { batch_observer_ = std::move(observer); }

 private:
  DynamicsModel<T>& model_;
  DynamicsTrainingOptions options_;
  BatchObserver batch_observer_;
  Adam<T> adam_;
  Tape<T> tape_;
};

extern template class DynamicsTrainer<float>;
extern template class DynamicsTrainer<double>;

}  // namespace maac::rl
