// kernels/dense.hpp: layers composed of the dispatched GEMMs (kernels/gemm.hpp) and the
// bias / activation passes below, each with one device branch (kernels/dispatch.hpp).
#include "kernels/dense.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/cpu/activations.hpp"
#include "kernels/cpu/parallel.hpp"
#include "kernels/cpu/rows.hpp"
#include "kernels/cuda/elementwise.hpp"
#include "kernels/cuda/rows.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/gemm.hpp"

namespace maac::kernels {
namespace {

using math::Unary;

void check(const DenseShape& s, const char* entry) {
  if (s.M < 1 || s.n < 0 || s.in < 0 || s.out < 0 || (!s.batched && s.M != 1))
    throw std::invalid_argument(std::string("kernels::") + entry + ": M " + std::to_string(s.M) + ", n " +
                                std::to_string(s.n) + ", in " + std::to_string(s.in) + ", out " +
                                std::to_string(s.out) + (s.batched ? " batched" : " single") +
                                ": expected M >= 1 (1 unless batched) and sizes >= 0");
}

// x's stride between members: 0 when every member reads the same rows.
int64_t x_stride(const DenseShape& s) { return s.shared_x ? 0 : s.n * s.in; }

// The bias broadcast over the rows of each member's block: [batch, 1, cols] read as
// [batch, rows, cols].
[[maybe_unused]] cpu::Broadcast bias_layout(int64_t batch, int64_t rows, int64_t cols) { return {batch, rows, cols, cols, 0, 1}; }

// out [batch, rows, cols] = the bias [batch, 1, cols] on every row.
template <class T> void bias_rows(Where w, const T* b, T* out, int64_t batch, int64_t rows, int64_t cols) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::expand(bias_layout(batch, rows, cols), b, out, T(1), false, w.stream));
  // Whole rows per thread, over all members' rows.
  cpu::parallel_range(batch * rows, cols, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::copy_n(b + (r / rows) * cols, cols, out + r * cols);
  });
}

// db [batch, 1, cols] += dz [batch, rows, cols] summed over rows.
template <class T> void bias_grad_add(Where w, const T* dz, T* db, int64_t batch, int64_t rows, int64_t cols) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::sum_to_add(bias_layout(batch, rows, cols), dz, db, T(1), w.stream));
  // Whole columns per thread: each sum keeps the one-thread order over the rows.
  cpu::parallel_range(cols, batch * rows, [&](int64_t c0, int64_t c1) {
    for (int64_t m = 0; m < batch; ++m)
      for (int64_t i = 0; i < rows; ++i) {
        const T* row = dz + (m * rows + i) * cols;
        for (int64_t j = c0; j < c1; ++j) db[m * cols + j] += row[j];
      }
  });
}

// Calls fn(m) for every member with rows, members shared out among the CPU threads by
// their rows (whole members per thread: each writes only its own rows and weights). On
// cuda, or when the rows are too few to be worth it, one member after another.
template <class Fn> void for_members(Where w, const DenseShape& s, const int32_t* offsets, Fn&& fn) {
  const int parts = w.on_cuda() ? 1 : cpu::parts_for(2.0 * s.n * s.in * s.out, cpu::kMinFlopsPerPart);
  cpu::run_parts(parts, [&](int p) {
    // Member m belongs to the part where its first row falls.
    const cpu::Range r = cpu::part_range(s.n, p, parts);
    for (int64_t m = 0; m < s.M; ++m)
      if (offsets[m + 1] > offsets[m] && offsets[m] >= r.begin && offsets[m] < r.end) fn(m);
  });
}

}  // namespace

template <class T>
void dense_forward(Where w, Unary f, const DenseShape& s, const T* x, const T* W, const T* b, T* pre, T* y) {
  check(s, "dense_forward");
  // cuda adds the bias in the activation pass (one launch fewer); elsewhere it goes first.
  const bool fused = f != Unary::identity && w.on_cuda();
  if (!fused) bias_rows(w, b, pre, s.M, s.n, s.out);
  const T beta = fused ? T(0) : T(1);
  if (s.batched)
    gemm_strided_batched<T>(w, Trans::no, Trans::no, s.n, s.out, s.in, T(1), x, s.in, x_stride(s), W, s.out,
                            s.in * s.out, beta, pre, s.out, s.n * s.out, s.M);
  else
    gemm<T>(w, Trans::no, Trans::no, s.n, s.out, s.in, T(1), x, s.in, W, s.out, beta, pre, s.out);
  if (fused) MAAC_ON_CUDA(cuda::bias_act_forward(f, pre, b, pre, y, s.M, s.n, s.out, w.stream));
  else if (f != Unary::identity) cpu::activation_forward(f, pre, y, s.M * s.n * s.out);
}

template <class T>
void dense_backward(Where w, Unary f, const DenseShape& s, const T* x, const T* W, const T* pre, const T* y,
                    const T* dy, T* dpre, T* dx, T* dW, T* db) {
  check(s, "dense_backward");
  const T* dz = dy;
  if (f != Unary::identity) {
    if (w.on_cuda()) {
      // One launch writes dpre and sums the bias gradient as it reads each element.
      MAAC_ON_CUDA(cuda::bias_act_backward(f, pre, y, dy, dpre, db, s.M, s.n, s.out, w.stream));
      db = nullptr;
    } else {
      cpu::activation_backward(f, pre, y, dy, dpre, s.M * s.n * s.out);
    }
    dz = dpre;
  }
  if (db) bias_grad_add(w, dz, db, s.M, s.n, s.out);
  const int64_t n = s.n, in = s.in, out = s.out;
  if (s.batched) {
    // Shared x: stride-0 dx, which the GEMMs apply member after member (a sum over members).
    if (dx)
      gemm_strided_batched<T>(w, Trans::no, Trans::yes, n, in, out, T(1), dz, out, n * out, W, out, in * out, T(1), dx,
                              in, x_stride(s), s.M);
    if (dW)
      gemm_strided_batched<T>(w, Trans::yes, Trans::no, in, out, n, T(1), x, in, x_stride(s), dz, out, n * out, T(1),
                              dW, out, in * out, s.M);
  } else {
    if (dx) gemm<T>(w, Trans::no, Trans::yes, n, in, out, T(1), dz, out, W, out, T(1), dx, in);
    if (dW) gemm<T>(w, Trans::yes, Trans::no, in, out, n, T(1), x, in, dz, out, T(1), dW, out);
  }
}

template <class T>
void routed_forward(Where w, const DenseShape& s, const int32_t* offsets, const T* x, const T* W, const T* b, T* y) {
  check(s, "routed_forward");
  const int64_t in = s.in, out = s.out;
  // One GEMM per member on its rows, onto its bias.
  for_members(w, s, offsets, [&](int64_t m) {
    const int64_t r0 = offsets[m], rows = offsets[m + 1] - offsets[m];
    bias_rows(w, b + m * out, y + r0 * out, 1, rows, out);
    gemm<T>(w, Trans::no, Trans::no, rows, out, in, T(1), x + r0 * in, in, W + m * in * out, out, T(1), y + r0 * out,
            out);
  });
}

template <class T>
void routed_backward(Where w, const DenseShape& s, const int32_t* offsets, const T* x, const T* W, const T* dy, T* dx,
                     T* dW, T* db) {
  check(s, "routed_backward");
  const int64_t in = s.in, out = s.out;
  for_members(w, s, offsets, [&](int64_t m) {
    const int64_t r0 = offsets[m], rows = offsets[m + 1] - offsets[m];
    const T* dym = dy + r0 * out;
    if (dx)
      gemm<T>(w, Trans::no, Trans::yes, rows, in, out, T(1), dym, out, W + m * in * out, out, T(1), dx + r0 * in, in);
    if (dW)
      gemm<T>(w, Trans::yes, Trans::no, in, out, rows, T(1), x + r0 * in, in, dym, out, T(1), dW + m * in * out, out);
    if (db) bias_grad_add(w, dym, db + m * out, 1, rows, out);
  });
}

#define MAAC_INSTANTIATE(T)                                                                                          \
  template void dense_forward<T>(Where, Unary, const DenseShape&, const T*, const T*, const T*, T*, T*);            \
  template void dense_backward<T>(Where, Unary, const DenseShape&, const T*, const T*, const T*, const T*, const T*, \
                                  T*, T*, T*, T*);                                                                  \
  template void routed_forward<T>(Where, const DenseShape&, const int32_t*, const T*, const T*, const T*, T*);      \
  template void routed_backward<T>(Where, const DenseShape&, const int32_t*, const T*, const T*, const T*, T*, T*,  \
                                   T*);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
