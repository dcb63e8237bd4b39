// The stream every CUDA entry point takes last. Plain C++: `Stream` is the same type as
// cudaStream_t (a pointer to the runtime's opaque CUstream_st), so g++ translation units
// can hold and pass streams without including CUDA headers.
#pragma once

struct CUstream_st;

namespace maac::cuda {

using Stream = CUstream_st*;
// nullptr is the legacy default stream. It cannot be captured into a CUDA graph:
// code that is captured passes a stream it created (see docs/cuda.md).
inline constexpr Stream default_stream = nullptr;

}  // namespace maac::cuda
