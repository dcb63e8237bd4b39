// Where tensors live, and the few memory calls autodiff makes on them. Plain C++: the
// device side goes through kernels/memory.hpp, which knows whether the build has the
// CUDA backend, so CPU-only builds compile and link this unchanged.
//
// Stream rule for every call that takes a cuda::Stream: a stream the caller created (a
// tape's) orders the work on that stream and returns without waiting, except copies into
// host memory, which wait for the stream. `cuda::default_stream` means "synchronous": the
// whole device is synchronised before and after, so the call is ordered against every
// stream (tapes use non-blocking streams, which the legacy default stream does not order).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/cuda/stream.hpp"
#include "kernels/where.hpp"  // Device, device_name: shared with kernels/, which picks the code per device

namespace maac {
namespace device {

// Whether `d` is usable here: cpu always; cuda when the build has it and a GPU exists.
bool available(Device d);
// Throws std::runtime_error naming `who` and the device when it is not available.
void require(Device d, const std::string& who);

void* allocate(std::size_t bytes, Device d);         // cuda only; nullptr for 0 bytes
void release(void* p, Device d) noexcept;            // cuda only; errors swallowed
// Copies between any two devices (see the stream rule above).
void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes, cuda::Stream stream);
void zero(void* dst, Device d, std::size_t bytes, cuda::Stream stream);
template <class T> void fill(T* dst, Device d, int64_t n, T value, cuda::Stream stream);
// Brackets cuda work issued on `stream`: synchronises the device when the stream is the
// default one (no-op on cpu or on a created stream). Call before and after the work.
void fence(Device d, cuda::Stream stream);
void synchronize(cuda::Stream stream);

// Threads of the cpu backend's GEMMs (OpenBLAS / Eigen), for the whole process: the rl
// layer sets it through here, never through kernels/.
void set_cpu_threads(int n);

cuda::Stream create_stream();                 // non-blocking; requires cuda
void destroy_stream(cuda::Stream s) noexcept;

extern template void fill<float>(float*, Device, int64_t, float, cuda::Stream);
extern template void fill<double>(double*, Device, int64_t, double, cuda::Stream);

}  // namespace device
}  // namespace maac
