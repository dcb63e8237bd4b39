// Sums as one generic reduction (launch.cuh) of the identity contribution: zero the
// output in stream order, then accumulate.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.hpp"

namespace maac::cuda {
namespace {

template <class T> struct Value {
  const T* x;
  __device__ T operator()(int64_t i) const { return x[i]; }
};

}  // namespace

template <class T> void sum_to(const cpu::Broadcast& bc, const T* x, T* out, Stream stream) {
  detail::check_broadcast(bc, "cuda::sum_to");
  const detail::ReduceShape s = detail::reduce_shape(bc);
  if (s.own == 0) return;
  // The output is the operand of bc: compact, so its last element is at the largest offset.
  const int64_t last = detail::broadcast_at(bc, s.own_b - 1, s.own_r - 1, s.own_c - 1);
  MAAC_CUDA_CHECK(cudaMemsetAsync(out, 0, std::size_t(last + 1) * sizeof(T), stream));
  detail::launch_reduce(bc, Value<T>{x}, out, stream);
}

template <class T> void sum_rows(const T* x, T* out, int64_t rows, int64_t cols, Stream stream) {
  detail::check_size(rows, "cuda::sum_rows rows");
  detail::check_size(cols, "cuda::sum_rows cols");
  sum_to(cpu::Broadcast{1, rows, cols, 0, 0, 1}, x, out, stream);
}

template <class T> void sum_cols(const T* x, T* out, int64_t rows, int64_t cols, Stream stream) {
  detail::check_size(rows, "cuda::sum_cols rows");
  detail::check_size(cols, "cuda::sum_cols cols");
  sum_to(cpu::Broadcast{1, rows, cols, 0, 1, 0}, x, out, stream);
}

template <class T> void sum_all(const T* x, T* out, int64_t n, Stream stream) {
  detail::check_size(n, "cuda::sum_all");
  // n == 0 still defines the sum: zero.
  if (n == 0) {
    MAAC_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(T), stream));
    return;
  }
  sum_to(cpu::Broadcast{1, 1, n, 0, 0, 0}, x, out, stream);
}

#define MAAC_INSTANTIATE(T)                                                 \
  template void sum_to<T>(const cpu::Broadcast&, const T*, T*, Stream);    \
  template void sum_rows<T>(const T*, T*, int64_t, int64_t, Stream);       \
  template void sum_cols<T>(const T*, T*, int64_t, int64_t, Stream);       \
  template void sum_all<T>(const T*, T*, int64_t, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
