// The CPU GEMM against a naive triple loop in long double, through each library
// (Eigen, OpenBLAS, the automatic per-shape choice), every transpose, padded leading
// dimensions and the three beta cases (beta = 0 must not read C: C starts as NaN).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autodiff/random.hpp"
#include "kernels/cpu/gemm.hpp"

using namespace maac;
using cpu::GemmBackend;
using cpu::Trans;

namespace {

// Restores the automatic choice when a test section ends, pass or fail.
struct BackendScope {
  explicit BackendScope(GemmBackend b) { cpu::set_gemm_backend(b); }
  ~BackendScope() { cpu::set_gemm_backend(GemmBackend::automatic); }
};

template <class T>
void check_gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, double beta, double rtol) {
  Rng rng(uint64_t(m * 1000003 + n * 1009 + k));
  const int64_t pad = 3;  // leading dimensions larger than the stored rows
  const int64_t a_rows = ta == Trans::no ? m : k, a_cols = ta == Trans::no ? k : m;
  const int64_t b_rows = tb == Trans::no ? k : n, b_cols = tb == Trans::no ? n : k;
  const int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
  std::vector<T> A = rng.uniform_vector<T>(a_rows * lda, -1, 1), B = rng.uniform_vector<T>(b_rows * ldb, -1, 1);
  std::vector<T> C0 = beta == 0 ? std::vector<T>(size_t(m * ldc), T(NAN)) : rng.uniform_vector<T>(m * ldc, -1, 1);
  std::vector<T> C = C0;
  const T alpha = T(0.75);
  cpu::gemm<T>(ta, tb, m, n, k, alpha, A.data(), lda, B.data(), ldb, T(beta), C.data(), ldc);
  auto a_at = [&](int64_t i, int64_t p) { return ta == Trans::no ? A[i * lda + p] : A[p * lda + i]; };
  auto b_at = [&](int64_t p, int64_t j) { return tb == Trans::no ? B[p * ldb + j] : B[j * ldb + p]; };
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      long double acc = 0, mag = 0;
      for (int64_t p = 0; p < k; ++p) {
        acc += (long double)a_at(i, p) * b_at(p, j);
        mag += std::fabs((long double)a_at(i, p) * b_at(p, j));
      }
      long double ref = alpha * acc + (beta == 0 ? 0 : beta * (long double)C0[i * ldc + j]);
      INFO("C[" << i << "," << j << "] of " << m << "x" << n << "x" << k << ", beta " << beta);
      REQUIRE(std::fabs(double(C[i * ldc + j] - ref)) <= rtol * double(mag + 1));
    }
  // The padding between rows is never written.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j)
      if (beta != 0) REQUIRE(C[i * ldc + j] == C0[i * ldc + j]);
}

template <class T> void check_all_cases(double rtol) {
  const int64_t shapes[][3] = {{7, 5, 3}, {256, 23, 200}, {64, 40, 48}, {33, 65, 37}};
  for (GemmBackend backend : {GemmBackend::eigen, GemmBackend::openblas, GemmBackend::automatic})
    for (auto& s : shapes)
      for (Trans ta : {Trans::no, Trans::yes})
        for (Trans tb : {Trans::no, Trans::yes})
          for (double beta : {0.0, 1.0, 0.5}) {
            BackendScope scope(backend);
            INFO("backend " << cpu::gemm_backend_name(backend) << ", ta " << bool(ta) << ", tb " << bool(tb));
            check_gemm<T>(ta, tb, s[0], s[1], s[2], beta, rtol);
          }
}

}  // namespace

TEST_CASE("gemm matches a naive product through every library (float32)") { check_all_cases<float>(1e-6); }
TEST_CASE("gemm matches a naive product through every library (float64)") { check_all_cases<double>(1e-14); }

// Restores one thread when a test ends, pass or fail.
struct ThreadsScope {
  explicit ThreadsScope(int n) { cpu::set_threads(n); }
  ~ThreadsScope() { cpu::set_threads(1); }
};

TEST_CASE("gemm split across threads matches a naive product (rows, columns, every transpose)") {
  // Large enough to split: by rows (m >= n) and by columns (n > m), with uneven parts.
  const int64_t shapes[][3] = {{300, 200, 64}, {40, 520, 100}, {203, 37, 300}};
  for (int threads : {2, 3})
    for (auto& s : shapes)
      for (Trans ta : {Trans::no, Trans::yes})
        for (Trans tb : {Trans::no, Trans::yes})
          for (double beta : {0.0, 1.0}) {
            ThreadsScope scope(threads);
            INFO(threads << " threads, ta " << bool(ta) << ", tb " << bool(tb));
            check_gemm<float>(ta, tb, s[0], s[1], s[2], beta, 1e-6);
          }
}

// What the thread split promises (parallel.hpp): the same bits on every run with the same
// thread count (exact resume), the one-thread bits when each thread takes whole entries,
// and the product to within float rounding when threads take blocks of C. A block is a
// smaller GEMM, and a BLAS library may pick another kernel (another summation order) for
// it on some CPUs: seen on a CI machine, not here.
TEST_CASE("strided-batched gemm split across threads repeats exactly and keeps the one-thread bits for whole entries") {
  Rng rng(11);
  const int64_t m = 256, n = 200, k = 96;
  // 8 entries (whole entries per thread on 2 or 4 threads, blocks of C on 3), 3 entries
  // (blocks of C), and a stride-0 C (a sum: blocks of C).
  for (int64_t batch : {8, 3})
    for (bool shared_c : {false, true}) {
      std::vector<float> A = rng.uniform_vector<float>(batch * m * k, -1, 1), B = rng.uniform_vector<float>(batch * k * n, -1, 1);
      const int64_t stride_c = shared_c ? 0 : m * n;
      auto run = [&](int threads) {
        ThreadsScope scope(threads);
        std::vector<float> C(size_t((shared_c ? 1 : batch) * m * n), 0.5f);
        cpu::gemm_strided_batched<float>(Trans::no, Trans::no, m, n, k, 1.0f, A.data(), k, m * k, B.data(), n, k * n,
                                         1.0f, C.data(), n, stride_c, batch);
        return C;
      };
      INFO("batch " << batch << (shared_c ? ", stride-0 C" : ""));
      // Each element's long-double value and twice Higham's bound for a float dot product
      // of its length (k per entry; the entries of a stride-0 C add up: batch k).
      const int64_t outputs = shared_c ? 1 : batch, terms = (shared_c ? batch * k : k) + 1;
      std::vector<double> ref(size_t(outputs * m * n)), bound(ref.size());
      for (int64_t o = 0; o < outputs; ++o)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            long double acc = 0.5L, mag = 0.5L;
            for (int64_t e = shared_c ? 0 : o; e < (shared_c ? batch : o + 1); ++e)
              for (int64_t p = 0; p < k; ++p) {
                const long double ab = (long double)A[size_t(e * m * k + i * k + p)] * B[size_t(e * k * n + p * n + j)];
                acc += ab;
                mag += std::fabs(ab);
              }
            ref[size_t(o * m * n + i * n + j)] = double(acc);
            bound[size_t(o * m * n + i * n + j)] = 2.0 * double(terms) * std::ldexp(1.0, -24) * double(mag);
          }
      for (int threads : {1, 2, 3, 4}) {
        INFO(threads << " threads");
        const std::vector<float> C = run(threads);
        CHECK(run(threads) == C);  // exact resume
        // 8 entries on 2 or 4 threads: whole entries each, the same calls as on one thread.
        const bool whole_entries = !shared_c && batch == 8 && threads % 2 == 0;
        if (whole_entries) CHECK(C == run(1));
        double worst = 0;  // the largest error as a share of its bound
        for (size_t e = 0; e < C.size(); ++e) worst = std::max(worst, std::fabs(double(C[e]) - ref[e]) / bound[e]);
        CHECK(worst <= 1.0);
      }
    }
}

TEST_CASE("gemm with k = 0 scales C by beta through every library") {
  for (GemmBackend backend : {GemmBackend::eigen, GemmBackend::openblas}) {
    BackendScope scope(backend);
    std::vector<float> C(40 * 40, 2.0f);
    cpu::gemm<float>(Trans::no, Trans::no, 40, 40, 0, 1.0f, nullptr, 1, nullptr, 40, 0.5f, C.data(), 40);
    for (float c : C) REQUIRE(c == 1.0f);
  }
}

TEST_CASE("strided-batched gemm broadcasts a stride-0 operand") {
  Rng rng(7);
  const int64_t batch = 3, m = 40, n = 36, k = 34;
  std::vector<float> A = rng.uniform_vector<float>(batch * m * k, -1, 1), W = rng.uniform_vector<float>(k * n, -1, 1);
  std::vector<float> C(size_t(batch * m * n), NAN), ref(size_t(m * n));
  cpu::gemm_strided_batched<float>(Trans::no, Trans::no, m, n, k, 1.0f, A.data(), k, m * k, W.data(), n, 0, 0.0f,
                                   C.data(), n, m * n, batch);
  for (int64_t b = 0; b < batch; ++b) {
    cpu::gemm<float>(Trans::no, Trans::no, m, n, k, 1.0f, A.data() + b * m * k, k, W.data(), n, 0.0f, ref.data(), n);
    for (int64_t i = 0; i < m * n; ++i) REQUIRE(C[size_t(b * m * n + i)] == ref[size_t(i)]);
  }
}

TEST_CASE("GemmRecorder lists each call once with its shape and FLOPs") {
  std::vector<float> a(6 * 4, 1.f), b(4 * 5, 1.f), c(3 * 6 * 5, 0.f);
  cpu::GemmRecorder rec;
  cpu::gemm<float>(cpu::Trans::no, cpu::Trans::no, 6, 5, 4, 1.f, a.data(), 4, b.data(), 5, 0.f, c.data(), 5);
  // A batch of 3 is one record, not three.
  cpu::gemm_strided_batched<float>(cpu::Trans::yes, cpu::Trans::no, 2, 5, 4, 1.f, a.data(), 2, 0, b.data(), 5, 0, 0.f,
                                   c.data(), 5, 10, 3);
  REQUIRE(rec.calls().size() == 2);
  CHECK(rec.calls()[0].m == 6);
  CHECK(rec.calls()[0].batch == 1);
  CHECK(rec.calls()[1].ta == cpu::Trans::yes);
  CHECK(rec.calls()[1].batch == 3);
  CHECK(rec.flops() == 2.0 * 6 * 5 * 4 + 3 * 2.0 * 2 * 5 * 4);
  CHECK_THROWS_AS(cpu::GemmRecorder(), std::logic_error);
}
