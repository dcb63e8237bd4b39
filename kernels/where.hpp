// Where a kernel runs: the device of its tensors and, on cuda, the stream it is ordered
// on. Every entry point of the top-level kernels/*.hpp headers takes a Where first and
// picks the CPU loop (kernels/cpu) or the CUDA launch (kernels/cuda) itself, with one
// branch; no layer above kernels/ branches on the device (DESIGN, "Layers").
// Plain C++: the stream is an opaque pointer, so g++ translation units use it freely.
#pragma once

#include "kernels/cuda/stream.hpp"

namespace maac {

enum class Device { cpu, cuda };
inline const char* device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

namespace kernels {

struct Where {
  Device device = Device::cpu;
  cuda::Stream stream = cuda::default_stream;  // ignored on cpu
  bool on_cuda() const { return device == Device::cuda; }
};
inline constexpr Where host{};  // the CPU, for callers whose data is always in host memory

// True when this build links the CUDA backend (CMake's MAAC_HAVE_CUDA).
bool have_cuda();

// Throws std::runtime_error: `entry` was asked to run on cuda in a build without the
// CUDA backend (such a build cannot allocate cuda memory, so this means a caller bug).
[[noreturn]] void no_cuda_backend(const char* entry);
// Throws std::invalid_argument: `entry` exists on cuda only (graph-captured updates,
// device noise) and was called for the cpu.
[[noreturn]] void cuda_only(const char* entry, Device got);

}  // namespace kernels
}  // namespace maac
