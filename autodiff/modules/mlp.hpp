// A multi-layer perceptron: Linear layers with one hidden activation, and an output
// activation (identity by default).
#pragma once
#include <vector>

#include "autodiff/modules/linear.hpp"

namespace maac {

template <class T>
class MLP {
 public:
  // sizes = {in, hidden..., out}
  MLP(const std::string& name, const std::vector<int64_t>& sizes, Unary hidden, Rng& rng,
      Unary output = Unary::identity);
  Var<T> forward(Tape<T>& tape, Var<T> x);
  // forward(concat_cols({tile_rows(x1, k), x2})) without building that input: the first
  // layer reads its two column blocks (concat_linear). x1 [n, d1], x2 [k n, d2] with
  // d1 + d2 = in(): every block of n rows of x2 reads the same n rows of x1.
  Var<T> forward_concat(Tape<T>& tape, Var<T> x1, Var<T> x2);
  ParameterList<T> parameters();
  int64_t in() const { return layers_.front().in(); }
  int64_t out() const { return layers_.back().out(); }
  std::vector<Linear<T>>& layers() { return layers_; }

 private:
  std::vector<Linear<T>> layers_;
  Unary hidden_;
  Unary output_;
};

extern template class MLP<float>;
extern template class MLP<double>;

}  // namespace maac
