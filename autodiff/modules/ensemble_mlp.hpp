// M MLPs evaluated together: W[M, in, out], b[M, 1, out] per layer (DESIGN decision 3).
#pragma once
#include <string>
#include <vector>

#include "autodiff/modules/routing.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

namespace maac {

template <class T>
class EnsembleMLP {
 public:
  // sizes = {in, hidden..., out}
  EnsembleMLP(const std::string& name, int64_t members, const std::vector<int64_t>& sizes, Unary hidden, Rng& rng,
              Unary output = Unary::identity);

  // All members: x [M, n, in] (each member its own rows) or [n, in] (shared) -> [M, n, out].
  Var<T> forward_all(Tape<T>& tape, Var<T> x);
  // Routed: row i of x [n, in] goes through member member_of_row[i] only -> [n, out],
  // rows in their original order.
  Var<T> forward_routed(Tape<T>& tape, Var<T> x, const MemberRouting& routing);

  ParameterList<T> parameters();
  int64_t members() const { return members_; }
  int64_t in() const { return sizes_.front(); }
  int64_t out() const { return sizes_.back(); }
  const std::vector<int64_t>& sizes() const { return sizes_; }
  // Layer l's weight [M, in, out] and bias [M, 1, out].
  Parameter<T>& weight(size_t l) { return weights_[l]; }
  Parameter<T>& bias(size_t l) { return biases_[l]; }

 private:
  Unary activation(size_t layer) const { return layer + 1 == weights_.size() ? output_ : hidden_; }

  int64_t members_;
  std::vector<int64_t> sizes_;
  std::vector<Parameter<T>> weights_;
  std::vector<Parameter<T>> biases_;
  Unary hidden_;
  Unary output_;
};

extern template class EnsembleMLP<float>;
extern template class EnsembleMLP<double>;

}  // namespace maac
