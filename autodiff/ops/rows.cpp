// Ops that move data: concat / slice along features, row gather / scatter, tiling,
// broadcasting and reshape. Their backward passes move gradients the opposite way.
#include <algorithm>

#include "autodiff/ops/common.hpp"
#include "kernels/rows.hpp"

namespace maac {
using detail::fail;

namespace {
// Rows of a [..., n, d] tensor counted across the leading dimension.
int64_t all_rows(const Shape& s) { return s.batch() * s.rows(); }
Shape with_cols(const Shape& s, int64_t cols) {
  return s.rank() == 3 ? Shape{s[0], s[1], cols} : Shape{s.rows(), cols};
}
}  // namespace

// y = [p0 | p1 | ...] along features;  dp_i += dy[:, offset_i : offset_i + cols_i]
template <class T> static void concat_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  int64_t width = y.shape.cols(), offset = 0;
  for (int i = 0; i < 4 && r.in[i] >= 0; ++i) {
    auto& p = t.node(r.in[i]);
    if (p.grad)
      kernels::copy_cols(t.where(), y.grad + offset, width, p.grad, p.shape.cols(), all_rows(p.shape), p.shape.cols(),
                         true);
    offset += p.shape.cols();
  }
}

template <class T> Var<T> concat_cols(const std::vector<Var<T>>& parts) {
  if (parts.empty() || parts.size() > 4)
    fail("concat_cols", std::to_string(parts.size()) + " parts: expected 1 to 4");
  int64_t width = 0;
  bool grad = false;
  for (const Var<T>& p : parts) {
    detail::check_var("concat_cols", "part", p);
    detail::check_same_tape("concat_cols", parts[0], p);
    if (p.shape().rank() != parts[0].shape().rank() || all_rows(p.shape()) != all_rows(parts[0].shape()) ||
        p.shape().batch() != parts[0].shape().batch())
      fail("concat_cols", "parts " + parts[0].shape().str() + " and " + p.shape().str() +
                              ": expected the same rank and leading dimensions");
    width += p.cols();
    grad = grad || p.requires_grad();
  }
  Tape<T>& t = *parts[0].tape;
  Var<T> y = t.result(with_cols(parts[0].shape(), width), grad);
  typename Tape<T>::Record rec{&concat_backward<T>, y.id};
  int64_t offset = 0, rows = all_rows(y.shape());
  for (size_t i = 0; i < parts.size(); ++i) {
    kernels::copy_cols(t.where(), parts[i].value(), parts[i].cols(), y.value() + offset, width, rows, parts[i].cols(),
                       false);
    offset += parts[i].cols();
    rec.in[i] = parts[i].id;
  }
  if (y.requires_grad()) t.record(rec);
  return y;
}

// y = x[:, start : start + count];  dx[:, start : start + count] += dy
template <class T> static void slice_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::copy_cols(t.where(), y.grad, y.shape.cols(), x.grad + r.integer[0], x.shape.cols(), all_rows(x.shape),
                     y.shape.cols(), true);
}

template <class T> Var<T> slice_cols(Var<T> x, int64_t start, int64_t count) {
  detail::check_var("slice_cols", "x", x);
  if (start < 0 || count < 0 || start + count > x.cols())
    fail("slice_cols", "columns [" + std::to_string(start) + ", " + std::to_string(start + count) + ") of x " +
                           x.shape().str() + ": expected a range inside [0, " + std::to_string(x.cols()) + ")");
  Var<T> y = x.tape->result(with_cols(x.shape(), count), x.requires_grad());
  kernels::copy_cols(x.tape->where(), x.value() + start, x.cols(), y.value(), count, all_rows(x.shape()), count, false);
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&slice_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.integer[0] = start;
    x.tape->record(rec);
  }
  return y;
}

template <class T> std::vector<Var<T>> split_cols(Var<T> x, const std::vector<int64_t>& sizes) {
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (total != x.cols())
    fail("split_cols", "sizes summing to " + std::to_string(total) + " for x " + x.shape().str() +
                           ": expected them to sum to " + std::to_string(x.cols()));
  std::vector<Var<T>> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(slice_cols(x, start, s));
    start += s;
  }
  return out;
}

namespace {
// Checked on the host, then kept in the tape's indices (uploaded on a cuda tape).
template <class T> const int32_t* checked_rows(const char* op, Tape<T>& t, const std::vector<int32_t>& rows, int64_t n) {
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < 0 || rows[i] >= n)
      fail(op, "row index " + std::to_string(rows[i]) + " at position " + std::to_string(i) +
                   ": expected 0 <= index < " + std::to_string(n));
  return t.upload_indices(rows.data(), static_cast<int64_t>(rows.size()));
}
}  // namespace

// y[i] = x[rows[i]];  dx[rows[i]] += dy[i]
template <class T> static void gather_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::scatter_add_rows(t.where(), y.grad, r.index, x.grad, y.shape.rows(), x.shape.cols());  // duplicates add
}

template <class T> Var<T> gather_rows(Var<T> x, const std::vector<int32_t>& rows) {
  detail::check_var("gather_rows", "x", x);
  if (x.shape().rank() != 2) fail("gather_rows", "x " + x.shape().str() + ": expected [n,d]");
  const int32_t* idx = checked_rows("gather_rows", *x.tape, rows, x.rows());
  int64_t k = static_cast<int64_t>(rows.size()), d = x.cols();
  Var<T> y = x.tape->result(Shape{k, d}, x.requires_grad());
  kernels::gather_rows(x.tape->where(), x.value(), idx, y.value(), k, d, false);
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&gather_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.index = idx;
    x.tape->record(rec);
  }
  return y;
}

// y[rows[i]] += x[i] (other rows 0);  dx[i] += dy[rows[i]]
template <class T> static void scatter_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  kernels::gather_rows(t.where(), y.grad, r.index, x.grad, x.shape.rows(), x.shape.cols(), true);
}

template <class T> Var<T> scatter_rows(Var<T> x, const std::vector<int32_t>& rows, int64_t n) {
  detail::check_var("scatter_rows", "x", x);
  if (x.shape().rank() != 2 || static_cast<int64_t>(rows.size()) != x.rows() || n < 0)
    fail("scatter_rows", "x " + x.shape().str() + " with " + std::to_string(rows.size()) + " row indices into " +
                             std::to_string(n) + " rows: expected x [k,d] with k indices and n >= 0");
  const int32_t* idx = checked_rows("scatter_rows", *x.tape, rows, n);
  int64_t d = x.cols();
  Var<T> y = x.tape->result(Shape{n, d}, x.requires_grad());
  kernels::scatter_rows(x.tape->where(), x.value(), idx, y.value(), x.rows(), n, d);
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&scatter_backward<T>, y.id, {x.id, -1, -1, -1}};
    rec.index = idx;
    x.tape->record(rec);
  }
  return y;
}

// y[i] = all[member[i], i];  dall[member[i], i] += dy[i] (each pair picked once: no atomics)
template <class T> static void select_members_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& all = t.node(r.in[0]);
  kernels::select_member_rows_backward(t.where(), y.grad, r.index, all.grad, all.shape[0], y.shape.rows(),
                                       y.shape.cols());
}

template <class T> Var<T> select_members(Var<T> all, const int32_t* member) {
  detail::check_var("select_members", "all", all);
  if (all.shape().rank() != 3 || member == nullptr)
    fail("select_members", "all " + all.shape().str() + (member ? "" : " without member ids") +
                               ": expected all [M,n,d] and n member ids");
  Tape<T>& t = *all.tape;
  const int64_t M = all.shape()[0], n = all.rows(), d = all.cols();
  Var<T> y = t.result(Shape{n, d}, all.requires_grad());
  // The ids are on the tape's device: checked there on cpu; on cuda an id outside [0, M)
  // gives a NaN row (nothing is read back).
  kernels::select_member_rows(t.where(), all.value(), member, y.value(), M, n, d);
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&select_members_backward<T>, y.id, {all.id, -1, -1, -1}};
    rec.index = member;
    t.record(rec);
  }
  return y;
}

// y[j*n + i] = x[i] (tile_rows) or y[i] = x[0] (broadcast_rows, n = 1);  dx[i] += sum_j dy[j*n + i]
template <class T> static void tile_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  const int64_t block = x.shape.numel();
  kernels::tile_backward(t.where(), y.grad, x.grad, block, y.shape.numel() / block);
}

template <class T> static Var<T> tile(const char* op, Var<T> x, int64_t times) {
  detail::check_var(op, "x", x);
  if (x.shape().rank() != 2 || times < 1)
    fail(op, "x " + x.shape().str() + " repeated " + std::to_string(times) + " times: expected x [n,d] and times >= 1");
  Var<T> y = x.tape->result(Shape{times * x.rows(), x.cols()}, x.requires_grad());
  kernels::tile(x.tape->where(), x.value(), y.value(), x.numel(), times);
  if (y.requires_grad()) x.tape->record({&tile_backward<T>, y.id, {x.id, -1, -1, -1}});
  return y;
}

template <class T> Var<T> tile_rows(Var<T> x, int64_t times) { return tile("tile_rows", x, times); }

template <class T> Var<T> broadcast_rows(Var<T> x, int64_t n) {
  if (x.valid() && x.rows() != 1) fail("broadcast_rows", "x " + x.shape().str() + ": expected one row [1,d]");
  return tile("broadcast_rows", x, n);
}

template <class T> Var<T> reshape(Var<T> x, Shape shape) {
  detail::check_var("reshape", "x", x);
  if (shape.numel() != x.numel())
    fail("reshape", "x " + x.shape().str() + " to " + shape.str() + ": expected the same number of elements");
  return x.tape->alias(x, shape);
}

#define MAAC_INSTANTIATE(T)                                                     \
  template Var<T> concat_cols(const std::vector<Var<T>>&);                      \
  template Var<T> slice_cols(Var<T>, int64_t, int64_t);                         \
  template std::vector<Var<T>> split_cols(Var<T>, const std::vector<int64_t>&); \
  template Var<T> gather_rows(Var<T>, const std::vector<int32_t>&);             \
  template Var<T> scatter_rows(Var<T>, const std::vector<int32_t>&, int64_t);   \
  template Var<T> select_members(Var<T>, const int32_t*);                       \
  template Var<T> tile_rows(Var<T>, int64_t);                                   \
  template Var<T> broadcast_rows(Var<T>, int64_t);                              \
  template Var<T> reshape(Var<T>, Shape);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
