// A dense layer y = f(x W + b) with W [in, out], b [1, out]; f (identity by default) is
// fused with the bias by the linear op.
#pragma once
#include <string>

#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

namespace maac {

template <class T>
class Linear {
 public:
  Linear(const std::string& name, int64_t in, int64_t out, Rng& rng);
  Var<T> forward(Tape<T>& tape, Var<T> x, Unary activation = Unary::identity) {
    return linear(x, tape.param(weight_), tape.param(bias_), activation);
  }
  ParameterList<T> parameters() { return {&weight_, &bias_}; }
  int64_t in() const { return weight_.shape()[0]; }
  int64_t out() const { return weight_.shape()[1]; }
  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }

 private:
  Parameter<T> weight_;
  Parameter<T> bias_;
};

extern template class Linear<float>;
extern template class Linear<double>;

}  // namespace maac
