// Device dispatch of kernels/rows.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/rows.hpp"

#include "kernels/cpu/parallel.hpp"
#include "kernels/cpu/rows.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/members.hpp"
#include "kernels/cuda/rows.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {

template <class T>
void copy_cols(Where w, const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count,
               bool accumulate) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::copy_cols(src, src_ld, dst, dst_ld, rows, count, accumulate, w.stream));
  cpu::copy_cols(src, src_ld, dst, dst_ld, rows, count, accumulate);
}

template <class T>
void gather_rows(Where w, const T* x, const int32_t* index, T* y, int64_t k, int64_t d, bool accumulate) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::gather_rows(x, index, y, k, d, accumulate, w.stream));
  cpu::parallel_range(k, d, [&](int64_t i0, int64_t i1) {
    cpu::gather_rows(x, index + i0, y + i0 * d, i1 - i0, d, accumulate);
  });
}

template <class T> void scatter_add_rows(Where w, const T* x, const int32_t* index, T* y, int64_t k, int64_t d) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::scatter_add_rows(x, index, y, k, d, w.stream));
  cpu::scatter_add_rows(x, index, y, k, d);
}

template <class T>
void scatter_rows(Where w, const T* x, const int32_t* index, T* y, int64_t k, int64_t n, int64_t d) {
  if (w.on_cuda()) {
    MAAC_ON_CUDA(cuda::memset_device(y, 0, sizeof(T) * static_cast<size_t>(n * d), w.stream),
                 cuda::scatter_add_rows(x, index, y, k, d, w.stream));
    return;
  }
  cpu::scatter_rows(x, index, y, k, n, d);
}

template <class T>
void select_member_rows(Where w, const T* all, const int32_t* member, T* y, int64_t M, int64_t n, int64_t d) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::select_member_rows(all, member, y, M, n, d, w.stream));
  cpu::select_member_rows(all, member, y, M, n, d);
}

template <class T>
void select_member_rows_backward(Where w, const T* dy, const int32_t* member, T* dall, int64_t M, int64_t n, int64_t d) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::select_member_rows_backward(dy, member, dall, M, n, d, w.stream));
  cpu::select_member_rows_backward(dy, member, dall, M, n, d);
}

// On cuda both are broadcasts of x over `times` rows of `block` columns.
template <class T> void tile(Where w, const T* x, T* y, int64_t block, int64_t times) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::expand(cpu::Broadcast{1, times, block, 0, 0, 1}, x, y, T(1), false, w.stream));
  cpu::parallel_range(times, block, [&](int64_t j0, int64_t j1) { cpu::tile(x, y + j0 * block, block, j1 - j0); });
}

template <class T> void tile_backward(Where w, const T* dy, T* dx, int64_t block, int64_t times) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::sum_to_add(cpu::Broadcast{1, times, block, 0, 0, 1}, dy, dx, T(1), w.stream));
  // Each thread sums its own elements over every copy, in the one-thread order.
  cpu::parallel_range(block, times, [&](int64_t i0, int64_t i1) {
    for (int64_t j = 0; j < times; ++j)
      for (int64_t i = i0; i < i1; ++i) dx[i] += dy[j * block + i];
  });
}

#define MAAC_INSTANTIATE(T)                                                                             \
  template void copy_cols<T>(Where, const T*, int64_t, T*, int64_t, int64_t, int64_t, bool);          \
  template void gather_rows<T>(Where, const T*, const int32_t*, T*, int64_t, int64_t, bool);          \
  template void scatter_add_rows<T>(Where, const T*, const int32_t*, T*, int64_t, int64_t);           \
  template void scatter_rows<T>(Where, const T*, const int32_t*, T*, int64_t, int64_t, int64_t);      \
  template void select_member_rows<T>(Where, const T*, const int32_t*, T*, int64_t, int64_t, int64_t); \
  template void select_member_rows_backward<T>(Where, const T*, const int32_t*, T*, int64_t, int64_t, int64_t); \
  template void tile<T>(Where, const T*, T*, int64_t, int64_t);                                        \
  template void tile_backward<T>(Where, const T*, T*, int64_t, int64_t);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
