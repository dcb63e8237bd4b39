// A ring buffer of transitions (s, a, r, s', terminated) in float32. Truncation at a
// time limit is not stored: it is not termination, so such transitions bootstrap
// (DESIGN decision 6). Each transition also carries its role in dynamics-model fits
// (train or held-out), drawn once and kept until its row is overwritten, so a held-out
// transition is never trained on (docs/maac.md, "Split").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "autodiff/safetensors.hpp"

namespace maac::rl {

// A batch of transitions in row-major arrays: obs [n, obs_dim], action [n, act_dim], ...
struct TransitionBatch {
  int64_t size = 0;
  std::vector<float> obs, action, reward, next_obs, terminated;
  void resize(int64_t n, int64_t obs_dim, int64_t act_dim);
};

// A transition's role in model fits. Unassigned: not yet seen by a fit (a new row).
enum class SplitRole : uint8_t { unassigned = 0, train = 1, holdout = 2 };

class ReplayBuffer {
 public:
  ReplayBuffer(int64_t capacity, int64_t obs_dim, int64_t act_dim);

  // Appends one transition; the oldest is overwritten once the buffer is full. The new
  // transition's split role is unassigned (an overwritten row's old role is dropped).
  void add(const float* obs, const float* action, float reward, const float* next_obs, bool terminated);
  void add(const TransitionBatch& batch);

  // n transitions drawn uniformly with replacement, written into out.
  void sample(Rng& rng, int64_t n, TransitionBatch& out) const;
  // The transitions at the given indices (0 = oldest still stored).
  void gather(const std::vector<int64_t>& indices, TransitionBatch& out) const;

  // Every stored transition, oldest first.
  void gather_all(TransitionBatch& out) const;
  // Per-dimension population standard deviation of the stored observations, read in
  // place (no copy of the buffer).
  std::vector<double> obs_std() const;

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  int64_t obs_dim() const { return obs_dim_; }
  int64_t act_dim() const { return act_dim_; }
  int64_t total_added() const { return total_added_; }

  // Draws a role for every unassigned transition and no other: among the k unassigned,
  // a uniformly random subset of floor(f k) plus one more with probability frac(f k)
  // becomes held-out (f = holdout_fraction; the expected share is exactly f, and at least
  // one row is held out once f k >= 1), the rest train. Draws only from rng, and nothing
  // when k = 0. Returns k.
  int64_t assign_split(Rng& rng, double holdout_fraction);
  // Roles, oldest first.
  std::vector<SplitRole> split() const;
  SplitRole role(int64_t i) const;  // of the i-th oldest transition

  // Checkpointing: every stored transition, its split role (`<prefix>.split`, uint8,
  // oldest first; 0 unassigned, 1 train, 2 held-out) and the counters, under a name
  // prefix. load refuses a checkpoint without the split tensor.
  void save(Safetensors& st, const std::string& prefix) const;
  void load(const Safetensors& st, const std::string& prefix);

 private:
  int64_t slot(int64_t i) const;  // storage row of the i-th oldest transition

  int64_t capacity_, obs_dim_, act_dim_;
  int64_t size_ = 0, next_ = 0, total_added_ = 0;
  std::vector<float> obs_, action_, reward_, next_obs_, terminated_;
  std::vector<SplitRole> split_;  // per storage row
};

// One training batch of n rows: round(real_share n) drawn from `real`, the rest from
// `model`, real rows first (all from `real` when model is null or empty, or real_share >= 1).
TransitionBatch sample_mixed(const ReplayBuffer& real, const ReplayBuffer* model, int64_t n, double real_share,
                             Rng& rng);

}  // namespace maac::rl
