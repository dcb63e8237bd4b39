// Private to the kernels/*.cpp dispatch files: the one device branch of an entry point.
//
//   template <class T> void op(Where w, ...) {
//     if (w.on_cuda()) return MAAC_ON_CUDA(cuda::op(..., w.stream));
//     cpu::op(...);
//   }
//
// MAAC_ON_CUDA(call) is the call in a build with the CUDA backend and a clear error
// (kernels::no_cuda_backend) without it, so the cuda:: symbols are never referenced
// and a CPU-only build links. Only kernels/ reads MAAC_HAVE_CUDA: here, in where.cpp
// (have_cuda()) and in memory.cpp (device memory for autodiff/device.cpp).
#pragma once

#include "kernels/where.hpp"

#ifdef MAAC_HAVE_CUDA
#define MAAC_ON_CUDA(...) (__VA_ARGS__)
#else
#define MAAC_ON_CUDA(...) ::maac::kernels::no_cuda_backend(__func__)
#endif
