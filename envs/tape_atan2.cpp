#include "envs/tape_atan2.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace maac::envs {

template <class T> static void atan2_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& s = t.node(r.in[0]);
  auto& c = t.node(r.in[1]);
  for (int64_t i = 0; i < y.shape.numel(); ++i) {
    const T r2 = s.value[i] * s.value[i] + c.value[i] * c.value[i];
    if (s.grad) s.grad[i] += y.grad[i] * c.value[i] / r2;
    if (c.grad) c.grad[i] -= y.grad[i] * s.value[i] / r2;
  }
}

template <class T> Var<T> atan2(Var<T> sin_part, Var<T> cos_part) {
  if (!sin_part.valid() || !cos_part.valid()) throw std::invalid_argument("atan2: an input is an empty Var");
  if (sin_part.tape != cos_part.tape) throw std::invalid_argument("atan2: inputs live on different tapes");
  if (sin_part.device() != Device::cpu || cos_part.device() != Device::cpu)
    throw std::invalid_argument("atan2: inputs must be on the cpu");
  if (sin_part.shape() != cos_part.shape())
    throw std::invalid_argument("atan2: shapes " + sin_part.shape().str() + " and " + cos_part.shape().str() +
                                ", expected equal shapes");
  Tape<T>& tape = *sin_part.tape;
  Var<T> y = tape.result(sin_part.shape(), sin_part.requires_grad() || cos_part.requires_grad());
  for (int64_t i = 0; i < y.numel(); ++i) y.value()[i] = std::atan2(sin_part.value()[i], cos_part.value()[i]);
  if (y.requires_grad()) tape.record({&atan2_backward<T>, y.id, {sin_part.id, cos_part.id, -1, -1}});
  return y;
}

template Var<float> atan2(Var<float>, Var<float>);
template Var<double> atan2(Var<double>, Var<double>);

}  // namespace maac::envs
