// CPU GEMMs on raw row-major pointers: OpenBLAS when every dimension is large enough for
// its packed kernels to win, Eigen for thin shapes (docs/benchmarks.md has the measured
// crossover). Both stay inside gemm.cpp so that CUDA translation units never see them.
#pragma once
#include <cstdint>
#include <vector>

namespace maac::cpu {

enum class Trans : bool { no = false, yes = true };

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, all row-major with leading
// dimensions lda, ldb, ldc (elements between consecutive rows of the stored matrix).
template <class T>
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// The same GEMM on `batch` matrices spaced by the given strides (a stride of 0
// broadcasts one matrix to every batch entry), like cublasGemmStridedBatched.
template <class T>
void gemm_strided_batched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A,
                          int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b,
                          T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch);

// Which library runs the GEMMs: `automatic` picks per shape; the others force one (for
// benchmarks that compare them in the same run).
enum class GemmBackend { automatic, eigen, openblas };
void set_gemm_backend(GemmBackend b);
GemmBackend gemm_backend();
const char* gemm_backend_name(GemmBackend b);

// The shape of one gemm / gemm_strided_batched call (batch 1 for gemm).
struct GemmCall {
  Trans ta, tb;
  int64_t m, n, k, batch;
  bool is_double;
  double flops() const { return 2.0 * double(m) * double(n) * double(k) * double(batch); }
};

// Records every CPU GEMM called on this thread while it is alive (benchmarks replay the
// exact GEMMs of an update and count its FLOPs). Recorders do not nest, and record on one
// thread only (cpu::set_threads(1)): with more, some GEMMs run on worker threads.
class GemmRecorder {
 public:
  GemmRecorder();
  ~GemmRecorder();
  GemmRecorder(const GemmRecorder&) = delete;
  GemmRecorder& operator=(const GemmRecorder&) = delete;
  const std::vector<GemmCall>& calls() const { return calls_; }
  double flops() const;
  void add(const GemmCall& c) { calls_.push_back(c); }

 private:
  std::vector<GemmCall> calls_;
};

// Threads used by the CPU backend (both GEMM libraries and the element-wise loops).
void set_threads(int n);
int threads();

}  // namespace maac::cpu
