// Per-member input/output normalisation of the dynamics ensemble: each member has its
// own mean and std, fitted on the rows it trains on (its bootstrap sample).
#pragma once
#include <cstdint>
#include <vector>

#include "autodiff/tape.hpp"

namespace maac::rl {

template <class T>
struct EnsembleNormalizer {
  int64_t members = 0;
  int64_t dim = 0;
  std::vector<T> mean;  // [M, dim]
  std::vector<T> std;   // [M, dim]; 1 where the data is (nearly) constant

  EnsembleNormalizer() = default;
  EnsembleNormalizer(int64_t members, int64_t dim);

  // Fits member m on rows `rows` of data [N, dim].
  void fit(int64_t member, const T* data, int64_t n_data, const std::vector<int32_t>& rows);

  // Constants [M, 1, dim] for all-members evaluation.
  Var<T> mean_all(Tape<T>& tape) const { return tape.constant(Shape{members, 1, dim}, mean.data()); }
  Var<T> std_all(Tape<T>& tape) const { return tape.constant(Shape{members, 1, dim}, std.data()); }
  Var<T> inv_std_all(Tape<T>& tape) const;
  // Constants [n, dim]: row i holds the statistics of member_of_row[i].
  Var<T> mean_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const;
  Var<T> std_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const;
  Var<T> inv_std_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const;
};

extern template struct EnsembleNormalizer<float>;
extern template struct EnsembleNormalizer<double>;

}  // namespace maac::rl
