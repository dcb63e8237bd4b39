#include "kernels/cpu/gemm.hpp"

#include "kernels/cpu/parallel.hpp"

#include <Eigen/Core>
#include <cblas.h>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <utility>
#include <type_traits>
#include <vector>

namespace maac::cpu {
namespace {

// Eigen allocates its GEMM packing buffers on every call. With glibc's default 128 KiB
// mmap threshold each of them is a fresh mmap whose pages fault in and are cleared on
// first touch (6-8 % of a MAAC update in perf). Keeping such blocks in the heap makes
// them reusable; set once, before the first GEMM.
const bool kHeapTuned = [] {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return true;
}();

template <class T> using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T> using ConstMap = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;
template <class T> using Map = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;

// op(X) is a [rows, cols] view of X stored as [rows, cols] (no) or [cols, rows] (yes).
template <class T, class Fn>
void with_op(Trans t, const T* X, int64_t rows, int64_t cols, int64_t ld, Fn&& fn) {
  if (t == Trans::no) fn(ConstMap<T>(X, rows, cols, Eigen::OuterStride<>(ld)));
  else fn(ConstMap<T>(X, cols, rows, Eigen::OuterStride<>(ld)).transpose());
}

std::atomic<GemmBackend> g_backend{GemmBackend::automatic};
thread_local GemmRecorder* t_recorder = nullptr;
std::atomic<int> g_threads{1};

template <class T> void record(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t batch) {
  if (t_recorder) t_recorder->add({ta, tb, m, n, k, batch, std::is_same_v<T, double>});
}

// OpenBLAS's packed kernels run 1.3x (1 thread) to 1.5x (2 threads) faster than Eigen's
// once every dimension is >= 32; on thin shapes (k or n of 12-23: the first and last
// layers) Eigen is 10-30 % faster. Measured on the MAAC update's shapes (docs/benchmarks.md).
constexpr int64_t kBlasMinDim = 32;

bool use_openblas(int64_t m, int64_t n, int64_t k) {
  switch (g_backend.load(std::memory_order_relaxed)) {
    case GemmBackend::eigen: return false;
    case GemmBackend::openblas: return true;
    case GemmBackend::automatic: break;
  }
  return std::min({m, n, k}) >= kBlasMinDim;
}

CBLAS_TRANSPOSE cblas_op(Trans t) { return t == Trans::yes ? CblasTrans : CblasNoTrans; }

// OpenBLAS packs the operands into a work buffer that it maps once and keeps (one per
// concurrent caller). On a first-generation Zen VM, when the engine's small GEMMs were the
// first to touch that buffer, every later GEMM ran about 2.5x slower (a quick-preset update:
// 190 ms against 75 ms, docs/benchmarks.md); one 512^3 product as the thread's first call
// touches the buffer in one sweep and removes the difference. About 10 ms once per thread.
void warm_up_openblas() {
  thread_local bool warm = false;
  if (warm) return;
  warm = true;
  constexpr int n = 512;
  const std::vector<float> a(size_t(n) * n, 0.f);
  std::vector<float> c(size_t(n) * n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a.data(), n, a.data(), n, 0.f, c.data(), n);
}

template <class T>
void openblas_gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
                   const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  warm_up_openblas();
  // BLAS reads C when beta != 0 only, the same contract as the Eigen path.
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, cblas_op(ta), cblas_op(tb), int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb),
                beta, C, int(ldc));
  else
    cblas_dgemm(CblasRowMajor, cblas_op(ta), cblas_op(tb), int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb),
                beta, C, int(ldc));
}

// One GEMM on the calling thread (the libraries run single-threaded, see parallel.hpp).
template <class T>
void gemm_serial(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
                 int64_t ldb, T beta, T* C, int64_t ldc) {
  Map<T> c(C, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == T(0)) c.setZero(); else c *= beta;
    return;
  }
  if (use_openblas(m, n, k)) return openblas_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  with_op(ta, A, m, k, lda, [&](const auto& a) {
    with_op(tb, B, k, n, ldb, [&](const auto& b) {
      // beta == 0 must not read C (it may be uninitialised arena memory).
      if (beta == T(0)) c.noalias() = alpha * (a * b);
      else if (beta == T(1)) c.noalias() += alpha * (a * b);
      else { c *= beta; c.noalias() += alpha * (a * b); }
    });
  });
}

// The strides between the entries of a strided batch (all 0 for a single GEMM).
struct Strides {
  int64_t a = 0, b = 0, c = 0, batch = 1;
};

// Splits C into contiguous blocks of rows (or of columns, when C is wide and short); each
// thread computes its block of every batch entry in order, with the full k. No partial
// sums to combine, and a stride-0 C (a sum over the entries) keeps its order.
template <class T>
void gemm_split(int parts, Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
                const T* B, int64_t ldb, T beta, T* C, int64_t ldc, const Strides& st) {
  const bool by_rows = m >= n;
  run_parts(parts, [&](int p) {
    const Range r = part_range(by_rows ? m : n, p, parts, 16);
    if (r.size() == 0) return;
    // This block's operands: rows of op(A) and C, or columns of op(B) and C.
    const T* a = by_rows ? (ta == Trans::no ? A + r.begin * lda : A + r.begin) : A;
    const T* b = by_rows ? B : (tb == Trans::no ? B + r.begin : B + r.begin * ldb);
    T* c = by_rows ? C + r.begin * ldc : C + r.begin;
    const int64_t rows = by_rows ? r.size() : m, cols = by_rows ? n : r.size();
    for (int64_t i = 0; i < st.batch; ++i)
      gemm_serial(ta, tb, rows, cols, k, alpha, a + i * st.a, lda, b + i * st.b, ldb, beta, c + i * st.c, ldc);
  });
}

}  // namespace

template <class T>
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  record<T>(ta, tb, m, n, k, 1);
  const int parts = std::min<int64_t>(parts_for(2.0 * m * n * k, kMinFlopsPerPart), std::max(m, n) / 16);
  if (parts <= 1) return gemm_serial(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  gemm_split(parts, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, Strides{});
}

template <class T>
void gemm_strided_batched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A,
                          int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b,
                          T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch) {
  record<T>(ta, tb, m, n, k, batch);
  auto entries = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      gemm_serial(ta, tb, m, n, k, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta, C + i * stride_c, ldc);
  };
  const int parts = parts_for(2.0 * m * n * k * batch, kMinFlopsPerPart);
  if (parts <= 1) return entries(0, batch);
  if (stride_c != 0 && (batch % parts == 0 || batch >= 4 * parts)) {
    // Whole entries per thread (ensemble members, split evenly or nearly so).
    return run_parts(parts, [&](int p) {
      const Range r = part_range(batch, p, parts);
      entries(r.begin, r.end);
    });
  }
  // A shared C, or too few entries to share evenly: every thread takes a block of C.
  const int block_parts = std::min<int64_t>(parts, std::max(m, n) / 16);
  if (block_parts <= 1) return entries(0, batch);
  gemm_split(block_parts, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc,
             Strides{stride_a, stride_b, stride_c, batch});
}

GemmRecorder::GemmRecorder() {
  if (t_recorder) throw std::logic_error("GemmRecorder: another recorder is active on this thread");
  if (threads() != 1)
    throw std::logic_error("GemmRecorder: " + std::to_string(threads()) +
                           " CPU threads, expected 1 (GEMMs on worker threads would go unrecorded)");
  t_recorder = this;
}
GemmRecorder::~GemmRecorder() { t_recorder = nullptr; }
double GemmRecorder::flops() const {
  double f = 0;
  for (const GemmCall& c : calls_) f += c.flops();
  return f;
}

void set_gemm_backend(GemmBackend b) { g_backend.store(b, std::memory_order_relaxed); }
GemmBackend gemm_backend() { return g_backend.load(std::memory_order_relaxed); }
const char* gemm_backend_name(GemmBackend b) {
  switch (b) {
    case GemmBackend::automatic: return "automatic";
    case GemmBackend::eigen: return "eigen";
    case GemmBackend::openblas: return "openblas";
  }
  return "?";
}

// The libraries stay on one thread; the CPU backend splits its own calls (parallel.hpp).
void set_threads(int n) {
  g_threads.store(std::max(1, n), std::memory_order_relaxed);
  Eigen::setNbThreads(1);
  // OpenBLAS's OpenMP build follows the calling thread's OpenMP setting: keep it at one.
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
}
int threads() { return g_threads.load(std::memory_order_relaxed); }

#define MAAC_INSTANTIATE(T)                                                                          \
  template void gemm<T>(Trans, Trans, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,     \
                        int64_t, T, T*, int64_t);                                                    \
  template void gemm_strided_batched<T>(Trans, Trans, int64_t, int64_t, int64_t, T, const T*,        \
                                        int64_t, int64_t, const T*, int64_t, int64_t, T, T*, int64_t, \
                                        int64_t, int64_t);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cpu
