#include "rl/replay_buffer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace maac::rl {

void TransitionBatch::resize(int64_t n, int64_t obs_dim, int64_t act_dim) {
  size = n;
  obs.resize(static_cast<size_t>(n * obs_dim));
  action.resize(static_cast<size_t>(n * act_dim));
  reward.resize(static_cast<size_t>(n));
  next_obs.resize(static_cast<size_t>(n * obs_dim));
  terminated.resize(static_cast<size_t>(n));
}

ReplayBuffer::ReplayBuffer(int64_t capacity, int64_t obs_dim, int64_t act_dim)
    : capacity_(capacity), obs_dim_(obs_dim), act_dim_(act_dim) {
  if (capacity < 1 || obs_dim < 1 || act_dim < 1)
    throw std::invalid_argument("ReplayBuffer: capacity " + std::to_string(capacity) + ", obs_dim " +
                                std::to_string(obs_dim) + ", act_dim " + std::to_string(act_dim) +
                                ": expected all >= 1");
  obs_.resize(static_cast<size_t>(capacity * obs_dim));
  action_.resize(static_cast<size_t>(capacity * act_dim));
  reward_.resize(static_cast<size_t>(capacity));
  next_obs_.resize(static_cast<size_t>(capacity * obs_dim));
  terminated_.resize(static_cast<size_t>(capacity));
  split_.assign(static_cast<size_t>(capacity), SplitRole::unassigned);
}

int64_t ReplayBuffer::slot(int64_t i) const { return (next_ - size_ + i + capacity_) % capacity_; }

void ReplayBuffer::add(const float* obs, const float* action, float reward, const float* next_obs, bool terminated) {
  int64_t r = next_;
  std::copy_n(obs, obs_dim_, obs_.data() + r * obs_dim_);
  std::copy_n(action, act_dim_, action_.data() + r * act_dim_);
  reward_[r] = reward;
  std::copy_n(next_obs, obs_dim_, next_obs_.data() + r * obs_dim_);
  terminated_[r] = terminated ? 1.f : 0.f;
  split_[r] = SplitRole::unassigned;
  next_ = (next_ + 1) % capacity_;
  size_ = std::min(size_ + 1, capacity_);
  ++total_added_;
}

void ReplayBuffer::add(const TransitionBatch& b) {
  if (static_cast<int64_t>(b.obs.size()) != b.size * obs_dim_ || static_cast<int64_t>(b.action.size()) != b.size * act_dim_)
    throw std::invalid_argument("ReplayBuffer::add: batch of " + std::to_string(b.size) + " with " +
                                std::to_string(b.obs.size()) + " obs and " + std::to_string(b.action.size()) +
                                " action values, expected obs_dim " + std::to_string(obs_dim_) + " and act_dim " +
                                std::to_string(act_dim_) + " per row");
  for (int64_t i = 0; i < b.size; ++i)
    add(&b.obs[i * obs_dim_], &b.action[i * act_dim_], b.reward[i], &b.next_obs[i * obs_dim_], b.terminated[i] > 0.5f);
}

void ReplayBuffer::gather(const std::vector<int64_t>& indices, TransitionBatch& out) const {
  int64_t n = static_cast<int64_t>(indices.size());
  out.resize(n, obs_dim_, act_dim_);
  for (int64_t k = 0; k < n; ++k) {
    if (indices[k] < 0 || indices[k] >= size_)
      throw std::invalid_argument("ReplayBuffer::gather: index " + std::to_string(indices[k]) + ", expected 0 <= index < " +
                                  std::to_string(size_));
    int64_t r = slot(indices[k]);
    std::copy_n(obs_.data() + r * obs_dim_, obs_dim_, out.obs.data() + k * obs_dim_);
    std::copy_n(action_.data() + r * act_dim_, act_dim_, out.action.data() + k * act_dim_);
    out.reward[k] = reward_[r];
    std::copy_n(next_obs_.data() + r * obs_dim_, obs_dim_, out.next_obs.data() + k * obs_dim_);
    out.terminated[k] = terminated_[r];
  }
}

void ReplayBuffer::gather_all(TransitionBatch& out) const {
  std::vector<int64_t> all(static_cast<size_t>(size_));
  for (int64_t i = 0; i < size_; ++i) all[static_cast<size_t>(i)] = i;
  gather(all, out);
}

std::vector<double> ReplayBuffer::obs_std() const {
  // Statistics do not depend on row order: the storage rows 0..size-1 are read directly.
  const size_t d = static_cast<size_t>(obs_dim_);
  std::vector<double> mean(d, 0.0), var(d, 0.0);
  const double n = static_cast<double>(size_);
  for (int64_t r = 0; r < size_; ++r)
    for (size_t j = 0; j < d; ++j) mean[j] += obs_[static_cast<size_t>(r) * d + j] / n;
  for (int64_t r = 0; r < size_; ++r)
    for (size_t j = 0; j < d; ++j) {
      const double x = obs_[static_cast<size_t>(r) * d + j] - mean[j];
      var[j] += x * x / n;
    }
  for (double& v : var) v = std::sqrt(v);
  return var;
}

void ReplayBuffer::sample(Rng& rng, int64_t n, TransitionBatch& out) const {
  if (size_ == 0) throw std::invalid_argument("ReplayBuffer::sample: the buffer is empty");
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t& i : idx) i = rng.below(size_);
  gather(idx, out);
}

int64_t ReplayBuffer::assign_split(Rng& rng, double holdout_fraction) {
  if (!(holdout_fraction >= 0.0) || !(holdout_fraction < 1.0))
    throw std::invalid_argument("ReplayBuffer::assign_split: holdout_fraction " + std::to_string(holdout_fraction) +
                                ", expected 0 <= fraction < 1");
  std::vector<int64_t> fresh;  // storage rows, oldest first
  for (int64_t i = 0; i < size_; ++i)
    if (split_[slot(i)] == SplitRole::unassigned) fresh.push_back(slot(i));
  const int64_t k = static_cast<int64_t>(fresh.size());
  if (k == 0) return 0;
  // Stochastic rounding keeps the expected held-out share at exactly f for any k.
  const double want = holdout_fraction * double(k);
  int64_t n_hold = static_cast<int64_t>(std::floor(want));
  if (rng.uniform() < want - double(n_hold)) ++n_hold;
  n_hold = std::min(n_hold, k);
  // A uniformly random n_hold-subset: the first n_hold places of a partial shuffle.
  for (int64_t j = 0; j < n_hold; ++j) std::swap(fresh[j], fresh[j + rng.below(k - j)]);
  for (int64_t j = 0; j < k; ++j) split_[fresh[j]] = j < n_hold ? SplitRole::holdout : SplitRole::train;
  return k;
}

SplitRole ReplayBuffer::role(int64_t i) const {
  if (i < 0 || i >= size_)
    throw std::invalid_argument("ReplayBuffer::role: index " + std::to_string(i) + ", expected 0 <= index < " +
                                std::to_string(size_));
  return split_[static_cast<size_t>(slot(i))];
}

std::vector<SplitRole> ReplayBuffer::split() const {
  std::vector<SplitRole> roles(static_cast<size_t>(size_));
  for (int64_t i = 0; i < size_; ++i) roles[i] = split_[slot(i)];
  return roles;
}

void ReplayBuffer::save(Safetensors& st, const std::string& prefix) const {
  // Stored oldest first, so a loaded buffer needs no write position of its own.
  TransitionBatch b;
  gather_all(b);
  st.put(prefix + ".obs", {size_, obs_dim_}, b.obs.data());
  st.put(prefix + ".action", {size_, act_dim_}, b.action.data());
  st.put(prefix + ".reward", {size_}, b.reward.data());
  st.put(prefix + ".next_obs", {size_, obs_dim_}, b.next_obs.data());
  st.put(prefix + ".terminated", {size_}, b.terminated.data());
  std::vector<uint8_t> roles(static_cast<size_t>(size_));
  for (int64_t i = 0; i < size_; ++i) roles[i] = static_cast<uint8_t>(split_[slot(i)]);
  st.put(prefix + ".split", {size_}, roles.data());
  st.put<int64_t>(prefix + ".info", {capacity_, obs_dim_, act_dim_, total_added_});
}

void ReplayBuffer::load(const Safetensors& st, const std::string& prefix) {
  std::vector<int64_t> info = st.get<int64_t>(prefix + ".info", 4);
  if (info[0] != capacity_ || info[1] != obs_dim_ || info[2] != act_dim_)
    throw std::runtime_error("replay buffer '" + prefix + "' in the checkpoint has capacity " + std::to_string(info[0]) +
                             ", obs_dim " + std::to_string(info[1]) + ", act_dim " + std::to_string(info[2]) +
                             "; this run expects " + std::to_string(capacity_) + ", " + std::to_string(obs_dim_) + ", " +
                             std::to_string(act_dim_));
  if (!st.has(prefix + ".split"))
    throw std::runtime_error("replay buffer '" + prefix + "' in the checkpoint has no '" + prefix +
                             ".split' tensor (the transitions' model-fit roles, added with maac-checkpoint-2); "
                             "a checkpoint written before it cannot be resumed");
  int64_t n = static_cast<int64_t>(st.get<float>(prefix + ".reward").size());
  if (n > capacity_)
    throw std::runtime_error("replay buffer '" + prefix + "' in the checkpoint holds " + std::to_string(n) +
                             " transitions, more than its capacity " + std::to_string(capacity_));
  const std::vector<uint8_t> roles = st.get<uint8_t>(prefix + ".split", n);
  for (uint8_t v : roles)
    if (v > static_cast<uint8_t>(SplitRole::holdout))
      throw std::runtime_error("replay buffer '" + prefix + "': split role " + std::to_string(int(v)) +
                               " in the checkpoint, expected 0 (unassigned), 1 (train) or 2 (held-out)");
  TransitionBatch b;
  b.size = n;
  b.obs = st.get<float>(prefix + ".obs", n * obs_dim_);
  b.action = st.get<float>(prefix + ".action", n * act_dim_);
  b.reward = st.get<float>(prefix + ".reward", n);
  b.next_obs = st.get<float>(prefix + ".next_obs", n * obs_dim_);
  b.terminated = st.get<float>(prefix + ".terminated", n);
  size_ = next_ = 0;
  add(b);
  total_added_ = info[3];
  for (int64_t i = 0; i < n; ++i) split_[slot(i)] = static_cast<SplitRole>(roles[i]);
}

TransitionBatch sample_mixed(const ReplayBuffer& real, const ReplayBuffer* model, int64_t n, double real_share,
                             Rng& rng) {
  const bool use_model = model && model->size() > 0 && real_share < 1.0;
  const int64_t n_real = use_model ? static_cast<int64_t>(std::llround(real_share * double(n))) : n;
  TransitionBatch real_part, model_part;
  real.sample(rng, n_real, real_part);
  if (n_real == n) return real_part;
  model->sample(rng, n - n_real, model_part);
  // Real rows first, then model rows: one batch for critic and actor.
  auto append = [](std::vector<float>& a, const std::vector<float>& b) { a.insert(a.end(), b.begin(), b.end()); };
  append(real_part.obs, model_part.obs);
  append(real_part.action, model_part.action);
  append(real_part.reward, model_part.reward);
  append(real_part.next_obs, model_part.next_obs);
  append(real_part.terminated, model_part.terminated);
  real_part.size = n;
  return real_part;
}

}  // namespace maac::rl
