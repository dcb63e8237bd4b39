// The GEMM libraries compared by bench_gemm_libraries (bench/gemm_libraries.cpp), each
// behind one small interface. Every library runs the same replay: C = op(A) op(B) in
// row-major storage with tight leading dimensions (op(A) [m, k], op(B) [k, n], C [m, n];
// A is stored [m, k] or, transposed, [k, m]), beta 0, `batch` matrices of each operand
// stored back to back. One translation unit per optional library, so that headers which
// declare the same BLAS names (blis.h and OpenBLAS's cblas.h) never meet.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.hpp"
#include "kernels/math.cuh"

namespace maac::bench::gemmlib {

using cpu::GemmCall;
using cpu::Trans;

inline int64_t lda_of(const GemmCall& c) { return c.ta == Trans::no ? c.k : c.m; }
inline int64_t ldb_of(const GemmCall& c) { return c.tb == Trans::no ? c.n : c.k; }

class Library {
 public:
  virtual ~Library() = default;
  virtual std::string name() const = 0;
  // How the library is called, one line for the report.
  virtual std::string how() const = 0;
  // Thread counts this library can use for one GEMM.
  virtual bool threads_supported(int n) const { return n == 1; }
  // Called on the thread that runs the GEMMs (after omp_set_num_threads(n) there).
  virtual void set_threads(int n) {}
  // Work done once per shape before the first GEMM (JIT, primitive creation); the
  // bench times it as the warm-up cost. The default does nothing.
  virtual void prepare(const std::vector<GemmCall>& shapes) {}
  virtual void run(const GemmCall& c, const float* A, const float* B, float* C) = 0;
  // What the library chose, for the report (libxsmm: the share of FLOPs that ran without
  // a transpose copy; oneDNN: the implementation picked per shape). Empty: nothing.
  virtual std::string notes() const { return ""; }
};

using LibraryFactory = std::function<std::unique_ptr<Library>()>;
struct NamedFactory {
  std::string name;
  LibraryFactory make;
};

// Always built: OpenBLAS (cblas_sgemm), Eigen and the engine's automatic choice (both
// through cpu::gemm with the backend forced).
void add_builtin_libraries(std::vector<NamedFactory>& out);
#ifdef MAAC_BENCH_HAVE_LIBXSMM
void add_libxsmm(std::vector<NamedFactory>& out);
#endif
#ifdef MAAC_BENCH_HAVE_DNNL
void add_dnnl(std::vector<NamedFactory>& out);

// One dense layer's forward through a oneDNN matmul, y = f(x W + b), with what is fused
// into the primitive: `bias` only (y = x W + b, the activation left to the caller) or
// bias and activation (eltwise post-op; f = relu or silu, oneDNN's swish with alpha 1).
class DnnlLayer {
 public:
  enum class Fuse { bias, bias_and_activation };
  DnnlLayer(int64_t rows, int64_t in, int64_t out, math::Unary f, Fuse fuse);
  ~DnnlLayer();
  // x [rows, in], W [in, out], b [out], y [rows, out].
  void run(const float* x, const float* W, const float* b, float* y);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
#endif
#ifdef MAAC_BENCH_HAVE_BLIS
void add_blis(std::vector<NamedFactory>& out);
// Where libblis.so.4 was loaded from and how (for the report), or why it was not.
std::string blis_origin();
#endif

}  // namespace maac::bench::gemmlib
