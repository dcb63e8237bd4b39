#include "rl/ensemble_normalizer.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autodiff/ops.hpp"

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
template <class T> std::vector<T> inverted(const std::vector<T>& v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = T(1) / v[i];
  return out;
}
enum Table { kMean = 0, kStd = 1, kInvStd = 2 };
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

// Bitwise comparison: a NaN entry equals itself here, so it cannot force an upload (and
// a failed capture) on every use.
template <class T>
bool EnsembleNormalizer<T>::device_stale() const {
  auto same = [](const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
  };
  return cache_.d_mean.device() != Device::cuda || !same(cache_.mean, mean) || !same(cache_.std, std);
}

template <class T>
bool EnsembleNormalizer<T>::sync_device() const {
  const size_t size = static_cast<size_t>(members * dim);
  if (mean.size() != size || std.size() != size)
    throw std::invalid_argument("EnsembleNormalizer: tables of " + std::to_string(mean.size()) + " means and " +
                                std::to_string(std.size()) + " stds, expected members x dim = " +
                                std::to_string(size));
  if (!device_stale()) return false;
  if (cache_.d_mean.device() != Device::cuda) {
    // Allocated once: the addresses stay fixed for captured graphs.
    const Shape s{members, 1, dim};
    cache_.d_mean = Buffer<T>(s, Device::cuda);
    cache_.d_std = Buffer<T>(s, Device::cuda);
    cache_.d_inv_std = Buffer<T>(s, Device::cuda);
  }
  // cuda::default_stream: synchronous with respect to every stream (autodiff/device.hpp).
  cache_.d_mean.copy_from_host(mean);
  cache_.d_std.copy_from_host(std);
  cache_.d_inv_std.copy_from_host(inverted(std));
  cache_.mean = mean;
  cache_.std = std;
  return true;
}

template <class T>
Var<T> EnsembleNormalizer<T>::table_all(Tape<T>& tape, int which) const {
  const Shape s{members, 1, dim};
  if (tape.device() == Device::cuda) {
    sync_device();
    const Buffer<T>& b = which == kMean ? cache_.d_mean : which == kStd ? cache_.d_std : cache_.d_inv_std;
    // A device-to-device copy into the tape: capturable.
    return tape.constant(TensorView<T>{const_cast<T*>(b.data()), s, Device::cuda});
  }
  if (which == kInvStd) {
    const std::vector<T> inv = inverted(std);
    return tape.constant(s, inv.data());
  }
  return tape.constant(s, (which == kMean ? mean : std).data());
}

template <class T> Var<T> EnsembleNormalizer<T>::mean_all(Tape<T>& tape) const { return table_all(tape, kMean); }
template <class T> Var<T> EnsembleNormalizer<T>::std_all(Tape<T>& tape) const { return table_all(tape, kStd); }
template <class T> Var<T> EnsembleNormalizer<T>::inv_std_all(Tape<T>& tape) const { return table_all(tape, kInvStd); }

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

// [M, 1, dim] broadcast to [M, n, dim] (multiplying ones: exact), then row i of member[i].
template <class T>
Var<T> EnsembleNormalizer<T>::mean_selected(Tape<T>& tape, const int32_t* member, int64_t n) const {
  return select_members(mul(tape.filled(Shape{members, n, dim}, T(1)), mean_all(tape)), member);
}
template <class T>
Var<T> EnsembleNormalizer<T>::std_selected(Tape<T>& tape, const int32_t* member, int64_t n) const {
  return select_members(mul(tape.filled(Shape{members, n, dim}, T(1)), std_all(tape)), member);
}

template struct EnsembleNormalizer<float>;
template struct EnsembleNormalizer<double>;

}  // namespace maac::rl
