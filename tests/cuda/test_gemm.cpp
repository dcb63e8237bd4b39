// cuda::gemm and cuda::gemm_strided_batched against cpu::gemm on the same random inputs,
// every transpose combination, padded leading dimensions, alpha/beta and stride-0 operands.
// Tolerance: float 1e-4 + 1e-4·|x| (k <= 70 products of values in [-1, 1], accumulation
// order differs between cuBLAS and Eigen); double 1e-12 + 1e-12·|x|.
#include <catch2/catch.hpp>

#include "kernels/cpu/gemm.hpp"
#include "kernels/cuda/gemm.hpp"
#include "tests/cuda/helpers.hpp"

using namespace maac;
using cuda::DeviceBuffer;

namespace {

template <class T> double tol() { return sizeof(T) == 4 ? 1e-4 : 1e-12; }

// Stored element counts of a row-major matrix op(X)[rows, cols] with leading dimension ld.
int64_t stored(cpu::Trans t, int64_t rows, int64_t cols, int64_t ld) { return (t == cpu::Trans::no ? rows : cols) * ld; }

template <class T> void check_gemm(cpu::Trans ta, cpu::Trans tb, int64_t m, int64_t n, int64_t k, T alpha, T beta) {
  const int64_t pad = 3;  // leading dimensions larger than the rows they hold
  const int64_t lda = (ta == cpu::Trans::no ? k : m) + pad, ldb = (tb == cpu::Trans::no ? n : k) + pad, ldc = n + pad;
  CAPTURE(int(ta), int(tb), m, n, k, alpha, beta);
  const auto A = cuda::test::uniform<T>(std::max<int64_t>(stored(ta, m, k, lda), 1), -1, 1);
  const auto B = cuda::test::uniform<T>(std::max<int64_t>(stored(tb, k, n, ldb), 1), -1, 1);
  auto C = cuda::test::uniform<T>(m * ldc, -1, 1);
  DeviceBuffer<T> dA(A), dB(B), dC(C);
  if (beta == T(0)) dC.memset(0xFF);  // beta = 0 must not read C: poison it
  cpu::gemm(ta, tb, m, n, k, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  cuda::gemm(ta, tb, m, n, k, alpha, dA.data(), lda, dB.data(), ldb, beta, dC.data(), ldc);
  auto got = dC.to_host();
  // Padding columns are not part of C: compare only the m x n block.
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = n; c < ldc; ++c) got[r * ldc + c] = C[r * ldc + c] = T(0);
  cuda::test::require_close(got, C, tol<T>(), tol<T>());
}

}  // namespace

TEMPLATE_TEST_CASE("cuda::gemm matches cpu::gemm", "", float, double) {
  using T = TestType;
  for (auto ta : {cpu::Trans::no, cpu::Trans::yes})
    for (auto tb : {cpu::Trans::no, cpu::Trans::yes}) {
      check_gemm<T>(ta, tb, 37, 23, 70, T(1), T(0));
      check_gemm<T>(ta, tb, 5, 64, 17, T(0.5), T(1));
      check_gemm<T>(ta, tb, 1, 1, 1, T(-2), T(0.25));
    }
  check_gemm<T>(cpu::Trans::no, cpu::Trans::no, 4, 6, 0, T(1), T(0));    // k = 0 zeroes C
  check_gemm<T>(cpu::Trans::no, cpu::Trans::no, 4, 6, 0, T(1), T(0.5));  // k = 0 scales C
}

TEMPLATE_TEST_CASE("cuda::gemm_strided_batched matches cpu::gemm_strided_batched", "", float, double) {
  using T = TestType;
  // Ensemble shapes: x [M, B, in] times W [M, in, out], and variants with broadcast operands.
  const int64_t M = 5, rows = 33, in = 19, out = 11;
  struct Case { cpu::Trans ta, tb; int64_t sa, sb, sc; T beta; const char* what; };
  const Case cases[] = {
      {cpu::Trans::no, cpu::Trans::no, rows * in, in * out, rows * out, T(0), "all members"},
      {cpu::Trans::no, cpu::Trans::no, 0, in * out, rows * out, T(1), "shared input, accumulate"},
      {cpu::Trans::yes, cpu::Trans::no, rows * in, rows * out, in * out, T(0), "dW = x^T dy"},
      {cpu::Trans::no, cpu::Trans::yes, rows * out, in * out, rows * in, T(1), "dx += dy W^T"},
      {cpu::Trans::no, cpu::Trans::no, rows * in, in * out, 0, T(1), "stride-0 C sums the products"},
      {cpu::Trans::no, cpu::Trans::no, rows * in, in * out, 0, T(0), "stride-0 C, last product wins"},
  };
  for (const Case& cs : cases) {
    CAPTURE(cs.what);
    // Shapes of op(A) [m, k] and op(B) [k, n] per case.
    const bool dw = cs.ta == cpu::Trans::yes, dx = cs.tb == cpu::Trans::yes;
    const int64_t m = dw ? in : rows, k = dw ? rows : (dx ? out : in), n = dw ? out : (dx ? in : out);
    const int64_t lda = cs.ta == cpu::Trans::no ? k : m, ldb = cs.tb == cpu::Trans::no ? n : k, ldc = n;
    const auto A = cuda::test::uniform<T>(std::max<int64_t>(cs.sa * M, m * k), -1, 1);
    const auto B = cuda::test::uniform<T>(std::max<int64_t>(cs.sb * M, k * n), -1, 1);
    auto C = cuda::test::uniform<T>(std::max<int64_t>(cs.sc * M, m * n), -1, 1);
    DeviceBuffer<T> dA(A), dB(B), dC(C);
    if (cs.beta == T(0)) dC.memset(0xFF);
    cpu::gemm_strided_batched(cs.ta, cs.tb, m, n, k, T(0.75), A.data(), lda, cs.sa, B.data(), ldb, cs.sb, cs.beta,
                              C.data(), ldc, cs.sc, M);
    cuda::gemm_strided_batched(cs.ta, cs.tb, m, n, k, T(0.75), dA.data(), lda, cs.sa, dB.data(), ldb, cs.sb,
                               cs.beta, dC.data(), ldc, cs.sc, M);
    cuda::test::require_close(dC.to_host(), C, tol<T>(), tol<T>());
  }
}

TEST_CASE("cuda::gemm rejects leading dimensions shorter than a stored row") {
  DeviceBuffer<float> A(100), B(100), C(100);
  REQUIRE_THROWS_AS(cuda::gemm(cpu::Trans::no, cpu::Trans::no, int64_t(4), int64_t(4), int64_t(4), 1.f, A.data(),
                               int64_t(3), B.data(), int64_t(4), 0.f, C.data(), int64_t(4)),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(cuda::gemm_strided_batched(cpu::Trans::no, cpu::Trans::no, int64_t(2), int64_t(2), int64_t(2), 1.f,
                                               A.data(), int64_t(2), int64_t(-4), B.data(), int64_t(2), int64_t(4), 0.f,
                                               C.data(), int64_t(2), int64_t(4), int64_t(2)),
                    std::invalid_argument);
}
