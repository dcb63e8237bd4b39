// Device dispatch of kernels/reduce.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/reduce.hpp"

#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/rows.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {
namespace {
// The output as a broadcast operand of x [B, R, C]: stride 0 along the summed axes.
[[maybe_unused]] cpu::Broadcast output_layout(Over over, int64_t B, int64_t R, int64_t C) {
  switch (over) {
    case Over::all: return {B, R, C, 0, 0, 0};
    case Over::rows: return {B, R, C, C, 0, 1};
    case Over::cols: return {B, R, C, R, 1, 0};
  }
  return {B, R, C, 0, 0, 0};
}
}  // namespace

template <class T>
void reduce_sum(Where w, Over over, int64_t B, int64_t R, int64_t C, double factor, const T* x, T* y, int64_t outputs) {
  if (w.on_cuda()) {
    MAAC_ON_CUDA(cuda::memset_device(y, 0, sizeof(T) * static_cast<size_t>(outputs), w.stream),
                 cuda::sum_to_add(output_layout(over, B, R, C), x, y, static_cast<T>(factor), w.stream));
    return;
  }
  cpu::reduce_sum(over, B, R, C, factor, x, y, outputs);
}

template <class T>
void reduce_sum_backward(Where w, Over over, int64_t B, int64_t R, int64_t C, T factor, const T* dy, T* dx) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::expand(output_layout(over, B, R, C), dy, dx, factor, true, w.stream));
  cpu::reduce_sum_backward(over, B, R, C, factor, dy, dx);
}

#define MAAC_INSTANTIATE(T)                                                                        \
  template void reduce_sum<T>(Where, Over, int64_t, int64_t, int64_t, double, const T*, T*, int64_t); \
  template void reduce_sum_backward<T>(Where, Over, int64_t, int64_t, int64_t, T, const T*, T*);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::kernels
