// Ops that move data: concat / slice along features, row gather / scatter, tiling,
// broadcasting and reshape. Their backward passes move gradients the opposite way.
#include <algorithm>

#include "autodiff/ops/common.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/members.hpp"
#include "kernels/cuda/rows.hpp"

namespace maac {
using detail::fail;

namespace {
// Copy a [rows, count] block between row-major matrices with different widths;
// accumulate when add is set (backward).
template <class T>
void copy_block(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count, bool add) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = src + r * src_ld;
    T* d = dst + r * dst_ld;
    if (add) for (int64_t c = 0; c < count; ++c) d[c] += s[c];
    else std::copy_n(s, count, d);
  }
}
// copy_block on the tape's device.
template <class T>
void copy_block_on(Tape<T>& t, const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count,
                   bool add) {
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::copy_cols(src, src_ld, dst, dst_ld, rows, count, add, t.stream());
      return;
    }
  }
  copy_block(src, src_ld, dst, dst_ld, rows, count, add);
}
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
    if (p.grad) copy_block_on(t, y.grad + offset, width, p.grad, p.shape.cols(), all_rows(p.shape), p.shape.cols(), true);
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
    copy_block_on(t, parts[i].value(), parts[i].cols(), y.value() + offset, width, rows, parts[i].cols(), false);
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
  copy_block_on(t, y.grad, y.shape.cols(), x.grad + r.integer[0], x.shape.cols(), all_rows(x.shape), y.shape.cols(), true);
}

template <class T> Var<T> slice_cols(Var<T> x, int64_t start, int64_t count) {
  detail::check_var("slice_cols", "x", x);
  if (start < 0 || count < 0 || start + count > x.cols())
    fail("slice_cols", "columns [" + std::to_string(start) + ", " + std::to_string(start + count) + ") of x " +
                           x.shape().str() + ": expected a range inside [0, " + std::to_string(x.cols()) + ")");
  Var<T> y = x.tape->result(with_cols(x.shape(), count), x.requires_grad());
  copy_block_on(*x.tape, x.value() + start, x.cols(), y.value(), count, all_rows(x.shape()), count, false);
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
  int64_t d = x.shape.cols();
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::scatter_add_rows(y.grad, r.index, x.grad, y.shape.rows(), d, t.stream());  // atomics: duplicates add
      return;
    }
  }
  for (int64_t i = 0; i < y.shape.rows(); ++i)
    for (int64_t c = 0; c < d; ++c) x.grad[r.index[i] * d + c] += y.grad[i * d + c];
}

template <class T> Var<T> gather_rows(Var<T> x, const std::vector<int32_t>& rows) {
  detail::check_var("gather_rows", "x", x);
  if (x.shape().rank() != 2) fail("gather_rows", "x " + x.shape().str() + ": expected [n,d]");
  const int32_t* idx = checked_rows("gather_rows", *x.tape, rows, x.rows());
  int64_t k = static_cast<int64_t>(rows.size()), d = x.cols();
  Var<T> y = x.tape->result(Shape{k, d}, x.requires_grad());
  bool done = false;  // set by the cuda branch
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(*x.tape)) {
      cuda::gather_rows(x.value(), idx, y.value(), k, d, false, x.tape->stream());
      done = true;
    }
  }
  if (!done)
    for (int64_t i = 0; i < k; ++i) std::copy_n(x.value() + idx[i] * d, d, y.value() + i * d);
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
  int64_t d = x.shape.cols();
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::gather_rows(y.grad, r.index, x.grad, x.shape.rows(), d, true, t.stream());
      return;
    }
  }
  for (int64_t i = 0; i < x.shape.rows(); ++i)
    for (int64_t c = 0; c < d; ++c) x.grad[i * d + c] += y.grad[r.index[i] * d + c];
}

template <class T> Var<T> scatter_rows(Var<T> x, const std::vector<int32_t>& rows, int64_t n) {
  detail::check_var("scatter_rows", "x", x);
  if (x.shape().rank() != 2 || static_cast<int64_t>(rows.size()) != x.rows() || n < 0)
    fail("scatter_rows", "x " + x.shape().str() + " with " + std::to_string(rows.size()) + " row indices into " +
                             std::to_string(n) + " rows: expected x [k,d] with k indices and n >= 0");
  const int32_t* idx = checked_rows("scatter_rows", *x.tape, rows, n);
  int64_t d = x.cols();
  Var<T> y = x.tape->result(Shape{n, d}, x.requires_grad());
  bool done = false;  // set by the cuda branch
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(*x.tape)) {
      cuda::memset_device(y.value(), 0, sizeof(T) * static_cast<size_t>(n * d), x.tape->stream());
      cuda::scatter_add_rows(x.value(), idx, y.value(), x.rows(), d, x.tape->stream());
      done = true;
    }
  }
  if (!done) {
    std::fill_n(y.value(), n * d, T(0));
    for (int64_t i = 0; i < x.rows(); ++i)
      for (int64_t c = 0; c < d; ++c) y.value()[idx[i] * d + c] += x.value()[i * d + c];
  }
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
  const int64_t M = all.shape[0], n = y.shape.rows(), d = y.shape.cols();
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::select_member_rows_backward(y.grad, r.index, all.grad, M, n, d, t.stream());
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) all.grad[(r.index[i] * n + i) * d + c] += y.grad[i * d + c];
}

template <class T> Var<T> select_members(Var<T> all, const int32_t* member) {
  detail::check_var("select_members", "all", all);
  if (all.shape().rank() != 3 || member == nullptr)
    fail("select_members", "all " + all.shape().str() + (member ? "" : " without member ids") +
                               ": expected all [M,n,d] and n member ids");
  Tape<T>& t = *all.tape;
  const int64_t M = all.shape()[0], n = all.rows(), d = all.cols();
  Var<T> y = t.result(Shape{n, d}, all.requires_grad());
  bool done = false;  // set by the cuda branch
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      // The ids stay on the device (no check there: an id outside [0, M) gives a NaN row).
      cuda::select_member_rows(all.value(), member, y.value(), M, n, d, t.stream());
      done = true;
    }
  }
  if (!done)
    for (int64_t i = 0; i < n; ++i) {
      if (member[i] < 0 || member[i] >= M)
        fail("select_members", "row " + std::to_string(i) + " has member " + std::to_string(member[i]) +
                                   ": expected 0 <= member < " + std::to_string(M));
      std::copy_n(all.value() + (member[i] * n + i) * d, d, y.value() + i * d);
    }
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
  int64_t block = x.shape.numel();
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::sum_to_add(cpu::Broadcast{1, y.shape.numel() / block, block, 0, 0, 1}, y.grad, x.grad, T(1), t.stream());
      return;
    }
  }
  for (int64_t j = 0; j < y.shape.numel() / block; ++j)
    for (int64_t i = 0; i < block; ++i) x.grad[i] += y.grad[j * block + i];
}

template <class T> static Var<T> tile(const char* op, Var<T> x, int64_t times) {
  detail::check_var(op, "x", x);
  if (x.shape().rank() != 2 || times < 1)
    fail(op, "x " + x.shape().str() + " repeated " + std::to_string(times) + " times: expected x [n,d] and times >= 1");
  Var<T> y = x.tape->result(Shape{times * x.rows(), x.cols()}, x.requires_grad());
  bool done = false;  // set by the cuda branch
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(*x.tape)) {
      cuda::expand(cpu::Broadcast{1, times, x.numel(), 0, 0, 1}, x.value(), y.value(), T(1), false, x.tape->stream());
      done = true;
    }
  }
  if (!done)
    for (int64_t j = 0; j < times; ++j) std::copy_n(x.value(), x.numel(), y.value() + j * x.numel());
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
