// kernels/memory.hpp over kernels/cuda, or the CPU-only answers without the backend.
#include "kernels/memory.hpp"

#include "kernels/cpu/parallel.hpp"
#include "kernels/dispatch.hpp"

#include <algorithm>
#include <vector>

#ifdef MAAC_HAVE_CUDA
#include "kernels/cuda/device.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/pointwise.hpp"
#endif

namespace maac::kernels {

#ifdef MAAC_HAVE_CUDA

int gpu_count() { return cuda::device_count(); }
std::string gpu_unavailable_reason() { return cuda::device_unavailable_reason(); }
void* gpu_malloc(std::size_t bytes) { return cuda::device_malloc(bytes); }
void gpu_free(void* p) noexcept { cuda::device_free(p); }
void gpu_copy_async(void* dst, const void* src, std::size_t bytes, cuda::Stream stream) {
  cuda::copy_async(dst, src, bytes, stream);
}
void gpu_memset(void* dst, int byte, std::size_t bytes, cuda::Stream stream) {
  cuda::memset_device(dst, byte, bytes, stream);
}
template <class T> void gpu_fill(T* dst, int64_t n, T value, cuda::Stream stream) { cuda::fill(dst, n, value, stream); }
void gpu_synchronize() { cuda::synchronize_device(); }
void stream_synchronize(cuda::Stream stream) { cuda::synchronize_stream(stream); }
cuda::Stream stream_create() { return cuda::create_stream(); }
void stream_destroy(cuda::Stream stream) noexcept { cuda::destroy_stream(stream); }

#else  // no CUDA backend: nothing can live on a GPU

int gpu_count() { return 0; }
std::string gpu_unavailable_reason() { return "this build has no CUDA backend"; }
void* gpu_malloc(std::size_t) { no_cuda_backend(__func__); }
void gpu_free(void*) noexcept {}
void gpu_copy_async(void*, const void*, std::size_t, cuda::Stream) { no_cuda_backend(__func__); }
void gpu_memset(void*, int, std::size_t, cuda::Stream) { no_cuda_backend(__func__); }
template <class T> void gpu_fill(T*, int64_t, T, cuda::Stream) { no_cuda_backend(__func__); }
void gpu_synchronize() {}
void stream_synchronize(cuda::Stream) {}
cuda::Stream stream_create() { no_cuda_backend(__func__); }
void stream_destroy(cuda::Stream) noexcept {}

#endif

template void gpu_fill<float>(float*, int64_t, float, cuda::Stream);
template void gpu_fill<double>(double*, int64_t, double, cuda::Stream);

template <class T> void host_zero(T* const* ptrs, const int64_t* counts, int64_t k) {
  // Element e of the concatenation lies in array i where start[i] <= e < start[i + 1].
  thread_local std::vector<int64_t> start;
  start.assign(static_cast<size_t>(k) + 1, 0);
  for (int64_t i = 0; i < k; ++i) start[size_t(i) + 1] = start[size_t(i)] + counts[i];
  const int64_t* st = start.data();
  cpu::parallel_range(st[k], 1, [&](int64_t e0, int64_t e1) {
    int64_t i = std::upper_bound(st, st + k + 1, e0) - st - 1;
    for (; i < k && st[i] < e1; ++i) {
      const int64_t a = std::max(e0, st[i]), b = std::min(e1, st[i + 1]);
      if (b > a) std::fill(ptrs[i] + (a - st[i]), ptrs[i] + (b - st[i]), T(0));
    }
  });
}
template void host_zero<float>(float* const*, const int64_t*, int64_t);
template void host_zero<double>(double* const*, const int64_t*, int64_t);

}  // namespace maac::kernels
