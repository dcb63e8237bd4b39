#include "rl/model_error.hpp"

#include <cmath>
#include <stdexcept>

namespace maac::rl {
namespace {

bool same_state(const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

TransitionBatch newest_episode(const ReplayBuffer& real, int64_t horizon, int64_t max_length) {
  const int64_t obs = real.obs_dim(), n = real.size();
  TransitionBatch out;
  out.resize(0, obs, real.act_dim());
  if (n == 0 || horizon < 1) return out;
  // Walk back from the newest transition; a break in contiguity or a termination before
  // the end starts an older stretch.
  TransitionBatch one, prev;
  int64_t end = n - 1;
  while (end >= 0) {
    int64_t begin = end;
    real.gather({end}, one);
    while (begin > 0 && end - begin + 1 < max_length) {
      real.gather({begin - 1}, prev);
      if (prev.terminated[0] != 0.f || !same_state(prev.next_obs.data(), one.obs.data(), obs)) break;
      --begin;
      one = prev;
    }
    if (end - begin + 1 >= horizon + 1) {
      std::vector<int64_t> rows;
      for (int64_t i = begin; i <= end; ++i) rows.push_back(i);
      real.gather(rows, out);
      return out;
    }
    end = begin - 1;
  }
  return out;
}

std::vector<double> open_loop_error(DynamicsModel<float>& model, Tape<float>& tape, const ReplayBuffer& real,
                                    const TransitionBatch& traj, int64_t horizon) {
  if (horizon < 1) throw std::invalid_argument("open_loop_error: horizon " + std::to_string(horizon) + ", expected >= 1");
  std::vector<double> error(static_cast<size_t>(horizon), NAN);
  const int64_t M = model.members(), obs = model.obs_dim(), act = model.act_dim(), out = model.out_dim();
  const int64_t len = traj.size;
  const int64_t starts = len - horizon + 1;  // every start has all `horizon` steps
  if (starts < 1) return error;
  // Per-dimension scale: the real states' standard deviation (1 where a dimension is constant).
  std::vector<double> scale = real.obs_std();
  for (double& x : scale) x = x > 1e-6 ? x : 1.0;
  // s: every member's current prediction for every start, [M, starts, obs]; step 0 is real.
  std::vector<float> s(static_cast<size_t>(M * starts * obs)), a(static_cast<size_t>(M * starts * act));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t t = 0; t < starts; ++t)
      std::copy_n(traj.obs.data() + t * obs, obs, s.data() + (m * starts + t) * obs);
  const std::vector<float> zeros(static_cast<size_t>(M * starts * out), 0.f);
  for (int64_t k = 1; k <= horizon; ++k) {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t t = 0; t < starts; ++t)
        std::copy_n(traj.action.data() + (t + k - 1) * act, act, a.data() + (m * starts + t) * act);
    tape.reset();
    NoGrad<float> off(tape);
    // Noise zero: each member's mean next state.
    Var<float> next = model.next_state_all(tape, tape.constant(Shape{M, starts, obs}, s.data()),
                                           tape.constant(Shape{M, starts, act}, a.data()),
                                           tape.constant(Shape{M, starts, out}, zeros.data()));
    s = next.to_host();
    double sum = 0.0;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t t = 0; t < starts; ++t) {
        // The real state k steps after start t is next_obs of transition t + k - 1.
        const float* truth = traj.next_obs.data() + (t + k - 1) * obs;
        const float* pred = s.data() + (m * starts + t) * obs;
        double sq = 0.0;
        for (int64_t d = 0; d < obs; ++d) sq += std::pow((pred[d] - truth[d]) / scale[d], 2);
        sum += std::sqrt(sq / static_cast<double>(obs));
      }
    error[static_cast<size_t>(k - 1)] = sum / static_cast<double>(M * starts);
  }
  return error;
}

}  // namespace maac::rl
