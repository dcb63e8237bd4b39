// How far the ensemble's open-loop predictions drift from a real trajectory, step by
// step: the diagnostic a researcher reads to spot model exploitation (a pathwise actor
// follows the model exactly where it is wrong).
#pragma once
#include <vector>

#include "rl/dynamics_model.hpp"
#include "rl/replay_buffer.hpp"

namespace maac::rl {

// The newest stretch of one real episode in `real` with at least horizon + 1 transitions
// and at most max_length, oldest first (contiguous: each transition's next_obs is the
// next one's obs, and none but the last terminated). Empty when there is none.
TransitionBatch newest_episode(const ReplayBuffer& real, int64_t horizon, int64_t max_length);

// Open-loop k-step prediction error for k = 1..horizon on that trajectory: from every
// start t, each member predicts its mean next state (no noise) from its own previous
// prediction, fed the real actions a_t .. a_{t+k-1}; the error of ŝ_{t+k} is the root
// mean square over state dimensions of (ŝ - s) / scale, with scale the per-dimension
// standard deviation of the states of `real` (1 where a dimension is constant). Averaged
// over members and starts. Entry k-1 is NaN when the trajectory is too short for k.
std::vector<double> open_loop_error(DynamicsModel<float>& model, Tape<float>& tape, const ReplayBuffer& real,
                                    const TransitionBatch& trajectory, int64_t horizon);

}  // namespace maac::rl
