#include "envs/vector_env.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <omp.h>

namespace maac::envs {

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Env>> envs, int threads) : envs_(std::move(envs)) {
  if (envs_.empty()) throw std::invalid_argument("VectorEnv: no environments, expected at least one");
  obs_dim_ = envs_[0]->obs_dim();
  act_dim_ = envs_[0]->act_dim();
  for (size_t i = 0; i < envs_.size(); ++i) {
    if (!envs_[i]) throw std::invalid_argument(fmt::format("VectorEnv: env {} is null", i));
    if (envs_[i]->obs_dim() != obs_dim_ || envs_[i]->act_dim() != act_dim_)
      throw std::invalid_argument(fmt::format("VectorEnv: env {} ('{}') has obs/act dims {}/{}, expected {}/{}", i,
                                              envs_[i]->spec().name, envs_[i]->obs_dim(), envs_[i]->act_dim(), obs_dim_,
                                              act_dim_));
  }
  results_.resize(envs_.size());
  set_threads(threads);
}

VectorEnv::VectorEnv(int n, const std::function<std::unique_ptr<Env>(int)>& factory, int threads)
    : VectorEnv(
          [&] {
            if (n <= 0) throw std::invalid_argument(fmt::format("VectorEnv: n = {}, expected > 0", n));
            std::vector<std::unique_ptr<Env>> v;
            for (int i = 0; i < n; ++i) v.push_back(factory(i));
            return v;
          }(),
          threads) {}

void VectorEnv::set_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads_ = std::min(threads, size());
}

bool VectorEnv::any_running() const {
  return std::any_of(envs_.begin(), envs_.end(), [](const auto& e) { return e->episode_running(); });
}

std::vector<double> VectorEnv::reset(std::span<const uint64_t> seeds) {
  if (seeds.size() != envs_.size())
    throw std::invalid_argument(fmt::format("VectorEnv::reset: {} seeds, expected {}", seeds.size(), envs_.size()));
  std::vector<double> obs(envs_.size() * static_cast<size_t>(obs_dim_));
  std::vector<std::exception_ptr> errors(envs_.size());
  const int n = size();
#pragma omp parallel for num_threads(threads_) schedule(static)
  for (int i = 0; i < n; ++i) {
    try {
      auto o = envs_[i]->reset(seeds[i]);
      std::copy(o.begin(), o.end(), obs.begin() + static_cast<ptrdiff_t>(i) * obs_dim_);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return obs;
}

const std::vector<StepResult>& VectorEnv::step(std::span<const double> actions) {
  if (actions.size() != envs_.size() * static_cast<size_t>(act_dim_))
    throw std::invalid_argument(fmt::format("VectorEnv::step: {} action values, expected {} envs x {} = {}", actions.size(),
                                            envs_.size(), act_dim_, envs_.size() * static_cast<size_t>(act_dim_)));
  // Exceptions must not leave an OpenMP region: keep them and rethrow the first after.
  std::vector<std::exception_ptr> errors(envs_.size());
  const int n = size();
#pragma omp parallel for num_threads(threads_) schedule(static)
  for (int i = 0; i < n; ++i) {
    if (!envs_[i]->episode_running()) continue;
    try {
      envs_[i]->step(actions.subspan(static_cast<size_t>(i) * act_dim_, act_dim_), results_[i]);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return results_;
}

}  // namespace maac::envs
