// cuBLAS GEMMs on device pointers with exactly the semantics and argument order of
// cpu::gemm / cpu::gemm_strided_batched: row-major, leading dimensions, alpha/beta,
// stride 0 broadcasting. Plain C++ header.
//
// Handles: one cuBLAS handle per host thread, created on that thread's first GEMM and
// destroyed when the thread exits (cuBLAS handles must not be shared between threads
// that call concurrently). Each call binds the handle to the `stream` it is given.
#pragma once
#include <cstdint>

#include "kernels/cpu/gemm.hpp"  // cpu::Trans: one transpose flag for both backends
#include "kernels/cuda/stream.hpp"

namespace maac::cuda {

using Trans = cpu::Trans;

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C. beta == 0 never reads C.
template <class T>
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc, Stream stream = default_stream);

// `batch` GEMMs spaced by the strides; a stride of 0 broadcasts one matrix to every entry.
// stride_c == 0 with batch > 1: the CPU applies the products to the one C in order (with
// beta = 1 that sums them). A single cuBLAS call would race on C, so this case runs as
// `batch` GEMMs in stream order: exact CPU semantics at `batch` launches. To sum many
// products fast, write each into its own slice of C and reduce (cuda::sum_*).
template <class T>
void gemm_strided_batched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
                          int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                          int64_t stride_c, int64_t batch, Stream stream = default_stream);

}  // namespace maac::cuda
