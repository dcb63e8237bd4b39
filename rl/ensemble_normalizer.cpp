#include "rl/ensemble_normalizer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {
// Builds [n, dim] from per-member rows of a [M, dim] table (optionally inverted).
template <class T>
Var<T> per_row(Tape<T>& tape, const std::vector<T>& table, int64_t members, int64_t dim,
               const std::vector<int32_t>& member_of_row, bool invert) {
  int64_t n = static_cast<int64_t>(member_of_row.size());
  std::vector<T> out(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i) {
    int32_t m = member_of_row[i];
    if (m < 0 || m >= members)
      throw std::invalid_argument("EnsembleNormalizer: row " + std::to_string(i) + " has member " + std::to_string(m) +
                                  ", expected 0 <= member < " + std::to_string(members));
    for (int64_t c = 0; c < dim; ++c) {
      T v = table[m * dim + c];
      out[i * dim + c] = invert ? T(1) / v : v;
    }
  }
  return tape.constant(Shape{n, dim}, out.data());
}
}  // namespace

template <class T>
EnsembleNormalizer<T>::EnsembleNormalizer(int64_t members_, int64_t dim_)
    : members(members_), dim(dim_), mean(members_ * dim_, T(0)), std(members_ * dim_, T(1)) {}

template <class T>
void EnsembleNormalizer<T>::fit(int64_t member, const T* data, int64_t n_data, const std::vector<int32_t>& rows) {
  if (member < 0 || member >= members || rows.empty())
    throw std::invalid_argument("EnsembleNormalizer::fit: member " + std::to_string(member) + " with " +
                                std::to_string(rows.size()) + " rows, expected 0 <= member < " +
                                std::to_string(members) + " and at least one row");
  // Two passes in double: mean, then variance about it.
  for (int64_t c = 0; c < dim; ++c) {
    double s = 0.0;
    for (int32_t r : rows) {
      if (r < 0 || r >= n_data)
        throw std::invalid_argument("EnsembleNormalizer::fit: row " + std::to_string(r) + ", expected < " +
                                    std::to_string(n_data));
      s += double(data[r * dim + c]);
    }
    double mu = s / double(rows.size()), v = 0.0;
    for (int32_t r : rows) v += (double(data[r * dim + c]) - mu) * (double(data[r * dim + c]) - mu);
    double sd = std::sqrt(v / double(rows.size()));
    mean[member * dim + c] = T(mu);
    std[member * dim + c] = sd < 1e-6 ? T(1) : T(sd);
  }
}

template <class T>
Var<T> EnsembleNormalizer<T>::inv_std_all(Tape<T>& tape) const {
  std::vector<T> out(static_cast<size_t>(members * dim));
  for (int64_t i = 0; i < members * dim; ++i) out[i] = T(1) / std[i];
  return tape.constant(Shape{members, 1, dim}, out.data());
}
template <class T>
Var<T> EnsembleNormalizer<T>::mean_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const {
  return per_row(tape, mean, members, dim, member_of_row, false);
}
template <class T>
Var<T> EnsembleNormalizer<T>::std_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const {
  return per_row(tape, std, members, dim, member_of_row, false);
}
template <class T>
Var<T> EnsembleNormalizer<T>::inv_std_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const {
  return per_row(tape, std, members, dim, member_of_row, true);
}

template struct EnsembleNormalizer<float>;
template struct EnsembleNormalizer<double>;

}  // namespace maac::rl
