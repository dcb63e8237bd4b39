// GEMMs on either device (Where first; see kernels/where.hpp): Eigen/OpenBLAS on cpu,
// cuBLAS on cuda, with the semantics of cpu::gemm / cpu::gemm_strided_batched
// (row-major, leading dimensions, alpha/beta, stride 0 broadcasting).
#pragma once
#include <cstdint>

#include "kernels/cpu/gemm.hpp"  // cpu::Trans
#include "kernels/where.hpp"

namespace maac::kernels {

using Trans = cpu::Trans;

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C.
template <class T>
void gemm(Where w, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc);

// `batch` GEMMs spaced by the strides; a stride of 0 broadcasts one matrix.
template <class T>
void gemm_strided_batched(Where w, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A,
                          int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C,
                          int64_t ldc, int64_t stride_c, int64_t batch);

}  // namespace maac::kernels
