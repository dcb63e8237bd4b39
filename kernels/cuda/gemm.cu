// cuBLAS GEMMs, row-major through the operand swap: a row-major [m, n] C is a
// column-major [n, m] C^T, and C^T = op(B)^T op(A)^T, so cuBLAS gets (B, A) with
// (tb, ta) and (n, m) swapped. Leading dimensions carry over unchanged.
#include <cublas_v2.h>

#include <limits>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/gemm.hpp"

namespace maac::cuda {
namespace {

void check_cublas(cublasStatus_t status, const char* what, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuBLAS error in ") + what + " (" + file + ":" + std::to_string(line) +
                             "): " + cublasGetStatusName(status) + ": " + cublasGetStatusString(status));
}
#define MAAC_CUBLAS_CHECK(call) check_cublas((call), #call, __FILE__, __LINE__)

// This thread's handle, created on first use. The destructor runs at thread exit, when
// the CUDA context may already be gone: its status is deliberately ignored.
class ThreadHandle {
 public:
  ThreadHandle() { MAAC_CUBLAS_CHECK(cublasCreate(&handle_)); }
  ~ThreadHandle() { cublasDestroy(handle_); }
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  cublasHandle_t on(Stream stream) {
    MAAC_CUBLAS_CHECK(cublasSetStream(handle_, stream));
    return handle_;
  }

 private:
  cublasHandle_t handle_ = nullptr;
};

cublasHandle_t handle_on(Stream stream) {
  thread_local ThreadHandle handle;
  return handle.on(stream);
}

cublasOperation_t op(Trans t) { return t == Trans::yes ? CUBLAS_OP_T : CUBLAS_OP_N; }

int to_int(int64_t v, const char* name) {
  if (v < 0 || v > std::numeric_limits<int>::max())
    throw std::invalid_argument(std::string("cuda::gemm: ") + name + " = " + std::to_string(v) +
                                " must be in [0, 2^31) for cuBLAS");
  return int(v);
}

// Row-major shape checks: each stored row must fit within its leading dimension.
void check_gemm_args(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc) {
  auto need = [](int64_t ld, int64_t row_len, const char* name) {
    if (ld < (row_len > 1 ? row_len : 1))
      throw std::invalid_argument(std::string("cuda::gemm: ") + name + " = " + std::to_string(ld) +
                                  " is smaller than the stored row length " + std::to_string(row_len));
  };
  to_int(m, "m");
  to_int(n, "n");
  to_int(k, "k");
  to_int(lda, "lda");
  to_int(ldb, "ldb");
  to_int(ldc, "ldc");
  need(lda, ta == Trans::no ? k : m, "lda");
  need(ldb, tb == Trans::no ? n : k, "ldb");
  need(ldc, n, "ldc");
}

// float and double differ only in the cuBLAS entry point.
cublasStatus_t cublas_gemm(cublasHandle_t h, cublasOperation_t a, cublasOperation_t b, int m, int n, int k,
                           const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta,
                           float* C, int ldc) {
  return cublasSgemm(h, a, b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t cublas_gemm(cublasHandle_t h, cublasOperation_t a, cublasOperation_t b, int m, int n, int k,
                           const double* alpha, const double* A, int lda, const double* B, int ldb,
                           const double* beta, double* C, int ldc) {
  return cublasDgemm(h, a, b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t cublas_gemm_batched(cublasHandle_t h, cublasOperation_t a, cublasOperation_t b, int m, int n, int k,
                                   const float* alpha, const float* A, int lda, long long sa, const float* B,
                                   int ldb, long long sb, const float* beta, float* C, int ldc, long long sc,
                                   int batch) {
  return cublasSgemmStridedBatched(h, a, b, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
cublasStatus_t cublas_gemm_batched(cublasHandle_t h, cublasOperation_t a, cublasOperation_t b, int m, int n, int k,
                                   const double* alpha, const double* A, int lda, long long sa, const double* B,
                                   int ldb, long long sb, const double* beta, double* C, int ldc, long long sc,
                                   int batch) {
  return cublasDgemmStridedBatched(h, a, b, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

}  // namespace

template <class T>
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc, Stream stream) {
  check_gemm_args(ta, tb, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  // k == 0 is passed through: cuBLAS then scales C by beta (zeroes it when beta == 0).
  MAAC_CUBLAS_CHECK(cublas_gemm(handle_on(stream), op(tb), op(ta), int(n), int(m), int(k), &alpha, B, int(ldb),
                                A, int(lda), &beta, C, int(ldc)));
}

template <class T>
void gemm_strided_batched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
                          int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                          int64_t stride_c, int64_t batch, Stream stream) {
  check_gemm_args(ta, tb, m, n, k, lda, ldb, ldc);
  if (stride_a < 0 || stride_b < 0 || stride_c < 0)
    throw std::invalid_argument("cuda::gemm_strided_batched: strides must be >= 0, got " + std::to_string(stride_a) +
                                ", " + std::to_string(stride_b) + ", " + std::to_string(stride_c));
  to_int(batch, "batch");
  if (m == 0 || n == 0 || batch == 0) return;
  // One shared C: the CPU applies the products one after another; stream order does the same.
  if (stride_c == 0 && batch > 1) {
    for (int64_t i = 0; i < batch; ++i)
      gemm(ta, tb, m, n, k, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta, C, ldc, stream);
    return;
  }
  MAAC_CUBLAS_CHECK(cublas_gemm_batched(handle_on(stream), op(tb), op(ta), int(n), int(m), int(k), &alpha, B,
                                        int(ldb), stride_b, A, int(lda), stride_a, &beta, C, int(ldc), stride_c,
                                        int(batch)));
}

#define MAAC_INSTANTIATE(T)                                                                                  \
  template void gemm<T>(Trans, Trans, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*, \
                        int64_t, Stream);                                                                    \
  template void gemm_strided_batched<T>(Trans, Trans, int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, \
                                        const T*, int64_t, int64_t, T, T*, int64_t, int64_t, int64_t, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
