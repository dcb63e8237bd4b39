// Ensemble linear layers, W[M,in,out], b[M,1,out] (DESIGN decision 3).
// All-members mode runs every member on its rows; routed mode runs each row through
// one member only, rows grouped by member, so it does 1/M of the work.
#include <algorithm>

#include "autodiff/ops/bias_activation.hpp"
#include "autodiff/ops/common.hpp"
#include "kernels/cpu/gemm.hpp"
#include "kernels/cuda/gemm.hpp"
#include "kernels/cuda/rows.hpp"

namespace maac {
using cpu::Trans;
using detail::fail;

namespace {

template <class T> void check_ensemble_params(const char* op, Var<T> x, Var<T> w, Var<T> b) {
  detail::check_var(op, "x", x);
  detail::check_var(op, "w", w);
  detail::check_var(op, "b", b);
  detail::check_same_tape(op, x, w);
  detail::check_same_tape(op, x, b);
  const Shape& sw = w.shape();
  const Shape& sb = b.shape();
  if (sw.rank() != 3 || sb.rank() != 3 || sb[0] != sw[0] || sb[1] != 1 || sb[2] != sw[2] || x.cols() != sw[1])
    fail(op, "x " + x.shape().str() + ", w " + sw.str() + ", b " + sb.str() +
                 ": expected w [M,in,out], b [M,1,out] and x with in = " + std::to_string(sw.rank() == 3 ? sw[1] : -1) +
                 " columns");
}

}  // namespace

// y[m] = f(x[m] W[m] + b[m]) (x shared when rank 2), f the identity unless fused;
// dz = dy f'(z);  dx[m] += dz[m] W[m]^T (summed over m when shared);
// dW[m] += x[m]^T dz[m];  db[m] += sum_rows(dz[m]).  in[3]: the hidden z, or -1.
template <class T> static void ensemble_linear_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& x = t.node(r.in[0]);
  auto& w = t.node(r.in[1]);
  auto& b = t.node(r.in[2]);
  int64_t M = w.shape[0], in = w.shape[1], out = w.shape[2], n = x.shape.rows();
  int64_t sx = r.integer[0] ? 0 : n * in;  // shared input: every member reads the same rows
  const Unary f = static_cast<Unary>(r.integer[1]);
  const T* dz = detail::bias_activation_backward(t, f, r.in[3], r.out, b.grad, {M, n, out});
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::Stream s = t.stream();
      // Shared x: stride-0 C, which cuda::gemm_strided_batched runs as M GEMMs in order.
      if (x.grad)
        cuda::gemm_strided_batched<T>(Trans::no, Trans::yes, n, in, out, T(1), dz, out, n * out, w.value, out,
                                      in * out, T(1), x.grad, in, sx, M, s);
      if (w.grad)
        cuda::gemm_strided_batched<T>(Trans::yes, Trans::no, in, out, n, T(1), x.value, in, sx, dz, out, n * out,
                                      T(1), w.grad, out, in * out, M, s);
      return;
    }
  }
  if (x.grad)
    cpu::gemm_strided_batched<T>(Trans::no, Trans::yes, n, in, out, T(1), dz, out, n * out, w.value, out, in * out,
                                 T(1), x.grad, in, sx, M);
  if (w.grad)
    cpu::gemm_strided_batched<T>(Trans::yes, Trans::no, in, out, n, T(1), x.value, in, sx, dz, out, n * out, T(1),
                                 w.grad, out, in * out, M);
}

template <class T> Var<T> ensemble_linear(Var<T> x, Var<T> w, Var<T> b, Unary activation) {
  check_ensemble_params("ensemble_linear", x, w, b);
  detail::check_unary("ensemble_linear", activation);
  int64_t M = w.shape()[0], in = w.shape()[1], out = w.shape()[2];
  bool shared = x.shape().rank() == 2;
  if (!shared && x.shape()[0] != M)
    fail("ensemble_linear", "x " + x.shape().str() + " has " + std::to_string(x.shape()[0]) +
                                " members, w " + w.shape().str() + " has " + std::to_string(M));
  int64_t n = x.rows();
  int64_t sx = shared ? 0 : n * in;
  Tape<T>& t = *x.tape;
  const detail::BiasLayout layout{M, n, out};
  const auto [o, beta] =
      detail::start_layer(t, Shape{M, n, out}, activation, detail::any_grad(x, w, b), b.value(), layout);
  bool done = false;  // set by the cuda branch
  if constexpr (device::have_cuda) {
    if (detail::on_cuda(t)) {
      cuda::gemm_strided_batched<T>(Trans::no, Trans::no, n, out, in, T(1), x.value(), in, sx, w.value(), out,
                                    in * out, beta, o.pre.value(), out, n * out, M, t.stream());
      done = true;
    }
  }
  if (!done)
    cpu::gemm_strided_batched<T>(Trans::no, Trans::no, n, out, in, T(1), x.value(), in, sx, w.value(), out,
                                 in * out, beta, o.pre.value(), out, n * out, M);
  detail::finish_activation(t, activation, o, b.value(), layout);
  if (o.y.requires_grad()) {
    typename Tape<T>::Record rec{&ensemble_linear_backward<T>, o.y.id, {x.id, w.id, b.id, -1}};
    if (activation != Unary::identity) rec.in[3] = o.pre.id;
    rec.integer[0] = shared;
    rec.integer[1] = static_cast<int64_t>(activation);
    t.record(rec);
  }
  return o.y;
}

// Routed: member m owns rows offsets[m] .. offsets[m+1] of x and y.
template <class T> static void ensemble_linear_routed_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& x = t.node(r.in[0]);
  auto& w = t.node(r.in[1]);
  auto& b = t.node(r.in[2]);
  int64_t M = w.shape[0], in = w.shape[1], out = w.shape[2];
  const int32_t* off = r.index;  // host memory on every tape (host_indices)
  for (int64_t m = 0; m < M; ++m) {
    int64_t r0 = off[m], rows = off[m + 1] - off[m];
    if (rows == 0) continue;
    const T* dy = y.grad + r0 * out;
    if constexpr (device::have_cuda) {
      if (detail::on_cuda(t)) {
        cuda::Stream s = t.stream();
        if (x.grad)
          cuda::gemm<T>(Trans::no, Trans::yes, rows, in, out, T(1), dy, out, w.value + m * in * out, out, T(1),
                        x.grad + r0 * in, in, s);
        if (w.grad)
          cuda::gemm<T>(Trans::yes, Trans::no, in, out, rows, T(1), x.value + r0 * in, in, dy, out, T(1),
                        w.grad + m * in * out, out, s);
        if (b.grad) detail::add_bias_grad(t, dy, b.grad + m * out, {1, rows, out});
        continue;
      }
    }
    if (x.grad)
      cpu::gemm<T>(Trans::no, Trans::yes, rows, in, out, T(1), dy, out, w.value + m * in * out, out, T(1),
                   x.grad + r0 * in, in);
    if (w.grad)
      cpu::gemm<T>(Trans::yes, Trans::no, in, out, rows, T(1), x.value + r0 * in, in, dy, out, T(1),
                   w.grad + m * in * out, out);
    if (b.grad) detail::add_bias_grad(t, dy, b.grad + m * out, {1, rows, out});
  }
}

template <class T>
Var<T> ensemble_linear_routed(Var<T> x, Var<T> w, Var<T> b, const std::vector<int32_t>& offsets) {
  check_ensemble_params("ensemble_linear_routed", x, w, b);
  int64_t M = w.shape()[0], in = w.shape()[1], out = w.shape()[2];
  if (x.shape().rank() != 2) fail("ensemble_linear_routed", "x " + x.shape().str() + ": expected [n,in]");
  int64_t n = x.rows();
  bool ok = static_cast<int64_t>(offsets.size()) == M + 1 && offsets.front() == 0 && offsets.back() == n;
  for (size_t m = 0; ok && m + 1 < offsets.size(); ++m) ok = offsets[m] <= offsets[m + 1];
  if (!ok)
    fail("ensemble_linear_routed", "member offsets of size " + std::to_string(offsets.size()) +
                                       ": expected M+1 = " + std::to_string(M + 1) +
                                       " non-decreasing offsets from 0 to n = " + std::to_string(n));
  Tape<T>& t = *x.tape;
  Var<T> y = t.result(Shape{n, out}, detail::any_grad(x, w, b));
  // One GEMM per member on its rows (the offsets come from the host), onto its bias.
  const bool cuda = detail::on_cuda(t);
  for (int64_t m = 0; m < M; ++m) {
    int64_t r0 = offsets[m], rows = offsets[m + 1] - offsets[m];
    if (rows == 0) continue;
    detail::fill_bias_rows(y.value() + r0 * out, b.value() + m * out, {1, rows, out}, t.stream(), cuda);
    if constexpr (device::have_cuda) {
      if (cuda) {
        cuda::gemm<T>(Trans::no, Trans::no, rows, out, in, T(1), x.value() + r0 * in, in, w.value() + m * in * out,
                      out, T(1), y.value() + r0 * out, out, t.stream());
        continue;
      }
    }
    cpu::gemm<T>(Trans::no, Trans::no, rows, out, in, T(1), x.value() + r0 * in, in, w.value() + m * in * out, out,
                 T(1), y.value() + r0 * out, out);
  }
  if (y.requires_grad()) {
    typename Tape<T>::Record rec{&ensemble_linear_routed_backward<T>, y.id, {x.id, w.id, b.id, -1}};
    int32_t* off = x.tape->host_indices(M + 1);
    std::copy(offsets.begin(), offsets.end(), off);
    rec.index = off;
    x.tape->record(rec);
  }
  return y;
}

#define MAAC_INSTANTIATE(T)                                 \
  template Var<T> ensemble_linear(Var<T>, Var<T>, Var<T>, Unary); \
  template Var<T> ensemble_linear_routed(Var<T>, Var<T>, Var<T>, const std::vector<int32_t>&);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
