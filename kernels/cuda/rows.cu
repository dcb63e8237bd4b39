// Kernel bodies, launches and entry checks for the data-movement ops of rows.hpp.
// Grid maths and the generic reduction live in launch.cuh.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/rows.hpp"

namespace maac::cuda {
namespace {

// ---- kernel bodies: one output element i each ----

template <class T> struct CopyCols {
  const T* src; int64_t src_ld; T* dst; int64_t dst_ld; int64_t count; bool accumulate;
  __device__ void operator()(int64_t i) const {
    const int64_t r = i / count, c = i % count;
    const T v = src[r * src_ld + c];
    T& out = dst[r * dst_ld + c];
    out = accumulate ? out + v : v;
  }
};

template <class T> struct GatherRows {
  const T* x; const int32_t* index; T* y; int64_t d; bool accumulate;
  __device__ void operator()(int64_t i) const {
    const T v = x[int64_t(index[i / d]) * d + i % d];
    y[i] = accumulate ? y[i] + v : v;
  }
};

template <class T> struct ScatterAddRows {
  const T* x; const int32_t* index; T* y; int64_t d;
  __device__ void operator()(int64_t i) const { atomicAdd(y + int64_t(index[i / d]) * d + i % d, x[i]); }
};

template <class T> struct Expand {
  cpu::Broadcast bc; const T* x; T* y; T factor; bool accumulate;
  __device__ void operator()(int64_t i) const {
    const T v = factor * x[detail::broadcast_at(bc, i)];
    y[i] = accumulate ? y[i] + v : v;
  }
};

template <class T> struct Scaled {  // the reduction's contribution of element i
  const T* x; T factor;
  __device__ T operator()(int64_t i) const { return factor * x[i]; }
};

void check_extents(int64_t a, int64_t b, const char* what) {
  if (a < 0 || b < 0)
    throw std::invalid_argument(std::string(what) + ": extents must be >= 0, got " + std::to_string(a) + " and " +
                                std::to_string(b));
}

}  // namespace

// ---- public entries ----

template <class T>
void copy_cols(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t count, bool accumulate,
               Stream stream) {
  check_extents(rows, count, "cuda::copy_cols");
  if (src_ld < count || dst_ld < count)
    throw std::invalid_argument("cuda::copy_cols: leading dimensions " + std::to_string(src_ld) + " and " +
                                std::to_string(dst_ld) + " must be >= count " + std::to_string(count));
  if (count == 0) return;
  detail::launch_map(CopyCols<T>{src, src_ld, dst, dst_ld, count, accumulate}, rows * count, stream);
}

template <class T>
void gather_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t d, bool accumulate, Stream stream) {
  check_extents(k, d, "cuda::gather_rows");
  if (d == 0) return;
  detail::launch_map(GatherRows<T>{x, index, y, d, accumulate}, k * d, stream);
}

template <class T> void scatter_add_rows(const T* x, const int32_t* index, T* y, int64_t k, int64_t d, Stream stream) {
  check_extents(k, d, "cuda::scatter_add_rows");
  if (d == 0) return;
  detail::launch_map(ScatterAddRows<T>{x, index, y, d}, k * d, stream);
}

template <class T>
void expand(const cpu::Broadcast& bc, const T* x, T* y, T factor, bool accumulate, Stream stream) {
  detail::check_broadcast(bc, "cuda::expand");
  detail::launch_map(Expand<T>{bc, x, y, factor, accumulate}, bc.numel(), stream);
}

template <class T> void sum_to_add(const cpu::Broadcast& bc, const T* x, T* out, T factor, Stream stream) {
  detail::check_broadcast(bc, "cuda::sum_to_add");
  detail::launch_reduce(bc, Scaled<T>{x, factor}, out, stream);
}

#define MAAC_INSTANTIATE(T)                                                                            \
  template void copy_cols<T>(const T*, int64_t, T*, int64_t, int64_t, int64_t, bool, Stream);        \
  template void gather_rows<T>(const T*, const int32_t*, T*, int64_t, int64_t, bool, Stream);        \
  template void scatter_add_rows<T>(const T*, const int32_t*, T*, int64_t, int64_t, Stream);         \
  template void expand<T>(const cpu::Broadcast&, const T*, T*, T, bool, Stream);                     \
  template void sum_to_add<T>(const cpu::Broadcast&, const T*, T*, T, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
