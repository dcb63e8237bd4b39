// GPU discovery, device memory and streams for autodiff's memory layer
// (autodiff/device.hpp, the one place above kernels/ that knows where bytes live: host
// memory there is std::vector's). Plain C++. In a build without the CUDA backend the GPU
// count is 0, the queries and releases are no-ops, and every call that would touch
// device memory throws (kernels::no_cuda_backend).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/where.hpp"

namespace maac::kernels {

// Usable GPUs: 0 without the backend, a GPU or a driver. Why it is 0, for messages
// ("" when there is a GPU).
int gpu_count();
std::string gpu_unavailable_reason();

void* gpu_malloc(std::size_t bytes);
void gpu_free(void* p) noexcept;  // errors swallowed: called from destructors
// Any-direction copy (unified addressing) enqueued on `stream`; a copy into host memory is
// complete only after stream_synchronize(stream) (kernels/cuda/device_buffer.hpp).
void gpu_copy_async(void* dst, const void* src, std::size_t bytes, cuda::Stream stream);
void gpu_memset(void* dst, int byte, std::size_t bytes, cuda::Stream stream);
// dst[0, n) = value on the GPU (a kernel: not limited to byte patterns).
template <class T> void gpu_fill(T* dst, int64_t n, T value, cuda::Stream stream);
// Host memory: zeroes k arrays (ptrs[i] of counts[i] elements), the elements split
// across the CPU threads (a tape's intermediate gradients before backward).
template <class T> void host_zero(T* const* ptrs, const int64_t* counts, int64_t k);
void gpu_synchronize();                              // the whole device
void stream_synchronize(cuda::Stream stream);        // no-op without the backend
cuda::Stream stream_create();                        // non-blocking, for graph capture
void stream_destroy(cuda::Stream stream) noexcept;   // errors swallowed

}  // namespace maac::kernels
