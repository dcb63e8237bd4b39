// atan2 on the autodiff tape, for Pendulum's reward (its observation holds cos and sin
// of the angle, and the reward needs the angle). Lives in envs/ because only the envs
// need it; written with the tape's public record API like autodiff's own ops.
#pragma once
#include "autodiff/tape.hpp"

namespace maac::envs {

// y = atan2(sin_part, cos_part) element-wise, in (-pi, pi]; both [n, d] on one tape.
// dy/dsin = cos / (sin^2 + cos^2), dy/dcos = -sin / (sin^2 + cos^2).
template <class T> Var<T> atan2(Var<T> sin_part, Var<T> cos_part);

}  // namespace maac::envs
