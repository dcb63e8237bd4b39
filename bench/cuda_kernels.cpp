// GPU benchmarks of the CUDA kernel layer (kernels/cuda), float32 as in training.
// Every benchmark first runs its kernel once and compares with the CPU backend on the
// same inputs (SkipWithError on a mismatch), then times with CUDA events (manual time).
// Memory-bound kernels report GB/s (bytes each kernel must read + write once), GEMMs
// report GFLOP/s. Two ceilings are measured in the same run: device-to-device memcpy
// bandwidth and a large SGEMM; the final table gives each kernel's % of its ceiling.
// Without a GPU the program prints a message and exits 0.
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/elementwise.hpp"
#include "kernels/cpu/gemm.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/device.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/elementwise.hpp"
#include "kernels/cuda/gemm.hpp"
#include "kernels/cuda/members.hpp"
#include "kernels/cuda/optim.hpp"
#include "kernels/cuda/pointwise.hpp"
#include "kernels/cuda/random.hpp"
#include "kernels/cuda/reduce.hpp"
#include "kernels/cuda/rows.hpp"
#include "kernels/cuda/sampling.hpp"

using namespace maac;
using cuda::DeviceBuffer;

namespace {

constexpr int64_t kRows = 65536;  // >= 64k rows for every GEMM-free kernel
constexpr int64_t kCols = 256;    // a hidden layer's width
constexpr int64_t kN = kRows * kCols;

std::vector<float> uniform(int64_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

// Largest |got - expected| / (atol + rtol |expected|) must stay <= 1.
bool close(const std::vector<float>& got, const std::vector<float>& expected, double atol, double rtol) {
  if (got.size() != expected.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(double(got[i]) - double(expected[i])) <= atol + rtol * std::fabs(double(expected[i])))) return false;
  return true;
}

// Times `launch` with CUDA events on the default stream; reports GB/s or GFLOP/s.
void time_gpu(benchmark::State& state, const std::function<void()>& launch, double bytes, double flops) {
  cudaEvent_t start, stop;
  MAAC_CUDA_CHECK(cudaEventCreate(&start));
  MAAC_CUDA_CHECK(cudaEventCreate(&stop));
  launch();  // warm-up: first-touch and lazy module loading stay out of the timing
  MAAC_CUDA_CHECK(cudaDeviceSynchronize());
  double seconds = 0;
  for (auto _ : state) {
    MAAC_CUDA_CHECK(cudaEventRecord(start));
    launch();
    MAAC_CUDA_CHECK(cudaEventRecord(stop));
    MAAC_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    MAAC_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
    seconds += ms * 1e-3;
  }
  const double iters = double(state.iterations());
  if (bytes > 0) state.counters["GB/s"] = bytes * iters / seconds * 1e-9;
  if (flops > 0) state.counters["GFLOP/s"] = flops * iters / seconds * 1e-9;
  MAAC_CUDA_CHECK(cudaEventDestroy(start));
  MAAC_CUDA_CHECK(cudaEventDestroy(stop));
}

// ---- ceilings ----

void BM_ceiling_memcpy_d2d(benchmark::State& state) {
  const int64_t n = int64_t(1) << 27;  // 512 MiB of floats each way
  DeviceBuffer<float> src(n), dst(n);
  src.memset(0);
  time_gpu(state, [&] { cuda::copy_device_to_device(dst.data(), src.data(), src.bytes()); }, 2.0 * src.bytes(), 0);
}

void BM_ceiling_sgemm(benchmark::State& state) {
  const int64_t s = 8192;
  DeviceBuffer<float> A(uniform(s * s, -1, 1, 1)), B(uniform(s * s, -1, 1, 2)), C(s * s);
  time_gpu(state, [&] { cuda::gemm(cpu::Trans::no, cpu::Trans::no, s, s, s, 1.f, A.data(), s, B.data(), s, 0.f, C.data(), s); },
           0, 2.0 * s * s * s);
}

// ---- memory-bound kernels ----

void BM_unary_forward_silu(benchmark::State& state) {
  const auto x = uniform(kN, -3, 3, 3);
  DeviceBuffer<float> dx(x), dy(kN);
  cuda::unary_forward(math::Unary::silu, dx.data(), dy.data(), kN);
  std::vector<float> y(kN);
  cpu::unary_forward(math::Unary::silu, x.data(), y.data(), kN);
  if (!close(dy.to_host(), y, 1e-5, 1e-5)) return state.SkipWithError("unary_forward differs from the CPU");
  time_gpu(state, [&] { cuda::unary_forward(math::Unary::silu, dx.data(), dy.data(), kN); }, 2.0 * kN * 4, 0);
}

void BM_binary_backward_bias(benchmark::State& state) {
  // a: [1, rows, cols] + b: [1, 1, cols]; da element-wise, db reduced over 64k rows.
  const cpu::Broadcast bc{1, kRows, kCols, 0, 0, 1};
  const auto a = uniform(kN, -1, 1, 4), b = uniform(kCols, -1, 1, 5), dy = uniform(kN, -1, 1, 6);
  DeviceBuffer<float> d_a(a), d_b(b), d_dy(dy), d_da(std::vector<float>(kN, 0.f)), d_db(std::vector<float>(kCols, 0.f));
  cuda::binary_backward(math::Binary::mul, bc, d_a.data(), d_b.data(), d_dy.data(), d_da.data(), d_db.data());
  std::vector<float> da(kN, 0.f), db(kCols, 0.f);
  cpu::binary_backward(math::Binary::mul, bc, a.data(), b.data(), dy.data(), da.data(), db.data());
  if (!close(d_da.to_host(), da, 1e-5, 1e-5) || !close(d_db.to_host(), db, 1e-5 + 1e-6 * kRows, 1e-5))
    return state.SkipWithError("binary_backward differs from the CPU");
  // Reads a, dy twice (da pass, db pass), read-modify-writes da.
  time_gpu(state, [&] { cuda::binary_backward(math::Binary::mul, bc, d_a.data(), d_b.data(), d_dy.data(), d_da.data(), d_db.data()); },
           6.0 * kN * 4, 0);
}

// As the linear ops run it: in place (pre aliases the GEMM output x), keeping pre.
void BM_bias_act_forward_relu(benchmark::State& state) {
  const int64_t M = 7, rows = kRows / M;  // ensemble: x [M, rows, cols], bias [M, 1, cols]
  const int64_t n = M * rows * kCols;
  const auto x = uniform(n, -2, 2, 7), bias = uniform(M * kCols, -1, 1, 8);
  DeviceBuffer<float> d_x(x), d_bias(bias), d_y(n);
  cuda::bias_act_forward(math::Unary::relu, d_x.data(), d_bias.data(), d_x.data(), d_y.data(), M, rows, kCols);
  std::vector<float> z(n), y(n);
  cpu::binary_forward(math::Binary::add, cpu::Broadcast{M, rows, kCols, kCols, 0, 1}, x.data(), bias.data(), z.data());
  cpu::unary_forward(math::Unary::relu, z.data(), y.data(), n);
  if (!close(d_y.to_host(), y, 1e-5, 1e-5) || !close(d_x.to_host(), z, 1e-5, 1e-5))
    return state.SkipWithError("bias_act_forward differs from the CPU");
  // Reads x, writes pre (= x) and y.
  time_gpu(state, [&] {
    cuda::bias_act_forward(math::Unary::relu, d_x.data(), d_bias.data(), d_x.data(), d_y.data(), M, rows, kCols);
  }, 3.0 * n * 4, 0);
}

void BM_bias_act_backward_tanh(benchmark::State& state) {
  const int64_t M = 7, rows = kRows / M;
  const int64_t n = M * rows * kCols;
  const auto z = uniform(n, -2, 2, 9), dy = uniform(n, -1, 1, 11);
  std::vector<float> y(n), dz(n, 0.f), dbias(M * kCols, 0.f), ones(n, 1.f), bias(M * kCols, 0.f);
  const cpu::Broadcast bc{M, rows, kCols, kCols, 0, 1};
  cpu::unary_forward(math::Unary::tanh, z.data(), y.data(), n);
  cpu::unary_backward(math::Unary::tanh, z.data(), y.data(), dy.data(), dz.data(), n);
  cpu::binary_backward<float>(math::Binary::add, bc, ones.data(), bias.data(), dz.data(), nullptr, dbias.data());
  DeviceBuffer<float> d_z(z), d_y(y), d_dy(dy), d_dz(std::vector<float>(n, 0.f)),
      d_dbias(std::vector<float>(M * kCols, 0.f));
  auto launch = [&] {
    cuda::bias_act_backward(math::Unary::tanh, d_z.data(), d_y.data(), d_dy.data(), d_dz.data(), d_dbias.data(), M,
                            rows, kCols);
  };
  launch();
  if (!close(d_dz.to_host(), dz, 1e-5, 1e-5) || !close(d_dbias.to_host(), dbias, 1e-5 + 1e-6 * rows, 1e-5))
    return state.SkipWithError("bias_act_backward differs from the CPU");
  // One pass: reads z, y, dy and read-modify-writes dz (the bias sum rides along).
  time_gpu(state, launch, 5.0 * n * 4, 0);
}

void BM_soft_clamp_forward(benchmark::State& state) {
  const cpu::Broadcast bc{1, kRows, kCols, 0, 0, 1};
  const auto x = uniform(kN, -12, 4, 12), lo = uniform(kCols, -10, -5, 13), hi = uniform(kCols, -1, 1, 14);
  DeviceBuffer<float> d_x(x), d_lo(lo), d_hi(hi), d_y(kN);
  cuda::soft_clamp_forward(bc, d_x.data(), d_lo.data(), d_hi.data(), d_y.data());
  std::vector<float> y(kN);
  cpu::soft_clamp_forward(bc, x.data(), lo.data(), hi.data(), y.data());
  if (!close(d_y.to_host(), y, 1e-5, 1e-5)) return state.SkipWithError("soft_clamp_forward differs from the CPU");
  time_gpu(state, [&] { cuda::soft_clamp_forward(bc, d_x.data(), d_lo.data(), d_hi.data(), d_y.data()); }, 2.0 * kN * 4, 0);
}

void BM_squashed_gaussian_forward(benchmark::State& state) {
  const int64_t rows = kRows * 4, cols = 6;  // actions of a large batch
  const int64_t n = rows * cols;
  const auto mu = uniform(n, -2, 2, 15), ls = uniform(n, -4, 0.5f, 16), eps = uniform(n, -3, 3, 17);
  DeviceBuffer<float> d_mu(mu), d_ls(ls), d_eps(eps), d_a(n), d_logp(rows);
  cuda::squashed_gaussian_forward(d_mu.data(), d_ls.data(), d_eps.data(), d_a.data(), d_logp.data(), rows, cols);
  std::vector<float> a(n), logp(rows);
  cpu::squashed_gaussian_forward(mu.data(), ls.data(), eps.data(), a.data(), logp.data(), rows, cols);
  if (!close(d_a.to_host(), a, 1e-5, 1e-5) || !close(d_logp.to_host(), logp, 1e-4, 1e-5))
    return state.SkipWithError("squashed_gaussian_forward differs from the CPU");
  time_gpu(state, [&] { cuda::squashed_gaussian_forward(d_mu.data(), d_ls.data(), d_eps.data(), d_a.data(), d_logp.data(), rows, cols); },
           (4.0 * n + rows) * 4, 0);
}

void BM_sum_rows(benchmark::State& state) {
  const auto x = uniform(kN, -1, 1, 18);
  DeviceBuffer<float> d_x(x), d_out(kCols);
  cuda::sum_rows(d_x.data(), d_out.data(), kRows, kCols);
  std::vector<float> expected(kCols, 0.f);
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t c = 0; c < kCols; ++c) expected[c] += x[r * kCols + c];
  if (!close(d_out.to_host(), expected, 1e-5 + 1e-6 * kRows, 1e-5)) return state.SkipWithError("sum_rows differs from a CPU loop");
  time_gpu(state, [&] { cuda::sum_rows(d_x.data(), d_out.data(), kRows, kCols); }, double(kN) * 4, 0);
}

void BM_adam_update(benchmark::State& state) {
  auto p = uniform(kN, -1, 1, 19), m = uniform(kN, -0.1f, 0.1f, 20), v = uniform(kN, 0, 0.01f, 21);
  const auto g = uniform(kN, -1, 1, 22);
  DeviceBuffer<float> d_p(p), d_g(g), d_m(m), d_v(v);
  auto launch = [&] { cuda::adam_update(d_p.data(), d_g.data(), d_m.data(), d_v.data(), kN, 3e-4f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.f); };
  launch();
  cpu::adam_update(p.data(), g.data(), m.data(), v.data(), kN, 3e-4f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.f);
  if (!close(d_p.to_host(), p, 1e-5, 1e-5) || !close(d_v.to_host(), v, 1e-5, 1e-5))
    return state.SkipWithError("adam_update differs from the CPU");
  time_gpu(state, launch, 7.0 * kN * 4, 0);  // reads p g m v, writes p m v
}

void BM_polyak_update(benchmark::State& state) {
  auto target = uniform(kN, -1, 1, 23);
  const auto source = uniform(kN, -1, 1, 24);
  DeviceBuffer<float> d_t(target), d_s(source);
  cuda::polyak_update(d_t.data(), d_s.data(), kN, 0.005f);
  cpu::polyak_update(target.data(), source.data(), kN, 0.005f);
  if (!close(d_t.to_host(), target, 1e-5, 1e-5)) return state.SkipWithError("polyak_update differs from the CPU");
  time_gpu(state, [&] { cuda::polyak_update(d_t.data(), d_s.data(), kN, 0.005f); }, 3.0 * kN * 4, 0);
}

void BM_fill_normal(benchmark::State& state) {
  cuda::NormalGenerator gen(1);
  DeviceBuffer<float> out(kN);
  gen.fill(out.data(), kN);
  double s = 0, s2 = 0;
  for (float v : out.to_host()) s += v, s2 += double(v) * v;
  const double mean = s / kN, var = s2 / kN - mean * mean;
  if (!(std::fabs(mean) < 5e-3 && std::fabs(var - 1) < 5e-3)) return state.SkipWithError("fill_normal is not N(0, 1)");
  time_gpu(state, [&] { gen.fill(out.data(), kN); }, double(kN) * 4, 0);
}

// ---- row movement, masks and the graph-ready kernels (used inside the captured updates) ----

// A permutation of the rows: every row read once, written once (routing's gather).
std::vector<int32_t> permutation(int64_t n, unsigned seed) {
  std::vector<int32_t> p(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = int32_t(i);
  std::shuffle(p.begin(), p.end(), std::mt19937(seed));
  return p;
}

void BM_gather_rows(benchmark::State& state) {
  const auto x = uniform(kN, -1, 1, 30);
  const auto index = permutation(kRows, 31);
  DeviceBuffer<float> d_x(x), d_y(kN);
  DeviceBuffer<int32_t> d_index(index);
  cuda::gather_rows(d_x.data(), d_index.data(), d_y.data(), kRows, kCols, false);
  std::vector<float> y(kN);
  for (int64_t i = 0; i < kRows; ++i)
    std::copy_n(x.begin() + index[i] * kCols, kCols, y.begin() + i * kCols);
  if (!close(d_y.to_host(), y, 0, 0)) return state.SkipWithError("gather_rows differs from a CPU loop");
  time_gpu(state, [&] { cuda::gather_rows(d_x.data(), d_index.data(), d_y.data(), kRows, kCols, false); },
           2.0 * kN * 4, 0);
}

void BM_scatter_add_rows(benchmark::State& state) {
  const auto x = uniform(kN, -1, 1, 32);
  const auto index = permutation(kRows, 33);
  DeviceBuffer<float> d_x(x), d_y(std::vector<float>(kN, 0.f));
  DeviceBuffer<int32_t> d_index(index);
  cuda::scatter_add_rows(d_x.data(), d_index.data(), d_y.data(), kRows, kCols);
  std::vector<float> y(kN, 0.f);
  for (int64_t i = 0; i < kRows; ++i)
    for (int64_t c = 0; c < kCols; ++c) y[index[i] * kCols + c] += x[i * kCols + c];
  if (!close(d_y.to_host(), y, 0, 0)) return state.SkipWithError("scatter_add_rows differs from a CPU loop");
  // Reads x, read-modify-writes y.
  time_gpu(state, [&] { cuda::scatter_add_rows(d_x.data(), d_index.data(), d_y.data(), kRows, kCols); },
           3.0 * kN * 4, 0);
}

void BM_expand_bias(benchmark::State& state) {
  const cpu::Broadcast bc{1, kRows, kCols, 0, 0, 1};  // b [1, cols] -> y [rows, cols]
  const auto b = uniform(kCols, -1, 1, 34);
  DeviceBuffer<float> d_b(b), d_y(kN);
  cuda::expand(bc, d_b.data(), d_y.data(), 1.f, false);
  std::vector<float> y(kN);
  for (int64_t i = 0; i < kN; ++i) y[i] = b[i % kCols];
  if (!close(d_y.to_host(), y, 0, 0)) return state.SkipWithError("expand differs from a CPU loop");
  time_gpu(state, [&] { cuda::expand(bc, d_b.data(), d_y.data(), 1.f, false); }, double(kN) * 4, 0);
}

void BM_inside_mask(benchmark::State& state) {
  const auto x = uniform(kN, -2, 2, 35);
  DeviceBuffer<float> d_x(x), d_m(kN);
  cuda::inside(d_x.data(), d_m.data(), kN, -1.0, 1.0, false);
  std::vector<float> m(kN);
  for (int64_t i = 0; i < kN; ++i) m[i] = math::inside(x[i], -1.0, 1.0, false);
  if (!close(d_m.to_host(), m, 0, 0)) return state.SkipWithError("inside differs from the shared math");
  time_gpu(state, [&] { cuda::inside(d_x.data(), d_m.data(), kN, -1.0, 1.0, false); }, 2.0 * kN * 4, 0);
}

void BM_select_member_rows(benchmark::State& state) {
  const int64_t M = 7, rows = kRows;  // all members' outputs [M, rows, cols] -> each row's own [rows, cols]
  const auto all = uniform(M * rows * kCols, -1, 1, 36);
  std::vector<int32_t> member(static_cast<std::size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) member[i] = int32_t((i * 5 + 3) % M);
  DeviceBuffer<float> d_all(all), d_y(rows * kCols);
  DeviceBuffer<int32_t> d_member(member);
  cuda::select_member_rows(d_all.data(), d_member.data(), d_y.data(), M, rows, kCols);
  std::vector<float> y(rows * kCols);
  for (int64_t i = 0; i < rows; ++i)
    std::copy_n(all.begin() + (member[i] * rows + i) * kCols, kCols, y.begin() + i * kCols);
  if (!close(d_y.to_host(), y, 0, 0)) return state.SkipWithError("select_member_rows differs from a CPU loop");
  time_gpu(state, [&] { cuda::select_member_rows(d_all.data(), d_member.data(), d_y.data(), M, rows, kCols); },
           2.0 * rows * kCols * 4 + rows * 4, 0);
}

void BM_adam_update_guarded(benchmark::State& state) {
  auto p = uniform(kN, -1, 1, 37), m = uniform(kN, -0.1f, 0.1f, 38), v = uniform(kN, 0, 0.01f, 39);
  const auto g = uniform(kN, -1, 1, 40);
  DeviceBuffer<float> d_p(p), d_g(g), d_m(m), d_v(v);
  DeviceBuffer<int64_t> step(std::vector<int64_t>{4});
  DeviceBuffer<int32_t> ok(std::vector<int32_t>{1});
  auto launch = [&] {
    cuda::adam_update_guarded(d_p.data(), d_g.data(), d_m.data(), d_v.data(), kN, 3e-4f, 0.9f, 0.999f, 1e-8f, 0.f,
                              step.data(), ok.data());
  };
  launch();
  const float bc1 = 1.f - std::pow(0.9f, 4.f), bc2 = 1.f - std::pow(0.999f, 4.f);
  cpu::adam_update(p.data(), g.data(), m.data(), v.data(), kN, 3e-4f, 0.9f, 0.999f, 1e-8f, bc1, bc2, 0.f);
  if (!close(d_p.to_host(), p, 1e-5, 1e-4)) return state.SkipWithError("adam_update_guarded differs from the CPU");
  time_gpu(state, launch, 7.0 * kN * 4, 0);  // as adam_update, plus two scalar reads per thread (cached)
}

// ---- ensemble GEMMs: M members, x [M, B, in] @ W [M, in, out] ----

struct EnsembleShape { int64_t M, B, in, out; };
constexpr EnsembleShape kEnsemble{7, 8192, 256, 256};

// Which ensemble GEMM: forward y = x W, weight gradient dW = x^T dy, input gradient dx = dy W^T.
enum class EnsembleGemm { forward, weight_grad, input_grad };

void BM_ensemble_gemm(benchmark::State& state, EnsembleGemm which) {
  const auto [M, B, in, out] = kEnsemble;
  const bool wg = which == EnsembleGemm::weight_grad, ig = which == EnsembleGemm::input_grad;
  const cpu::Trans ta = wg ? cpu::Trans::yes : cpu::Trans::no, tb = ig ? cpu::Trans::yes : cpu::Trans::no;
  // op(A) [m, k], op(B) [k, n] per member, as stored.
  const int64_t m = wg ? in : B, k = wg ? B : (ig ? out : in), n = wg ? out : (ig ? in : out);
  const int64_t a_rows = ta == cpu::Trans::no ? m : k, a_cols = ta == cpu::Trans::no ? k : m;
  const int64_t b_rows = tb == cpu::Trans::no ? k : n, b_cols = tb == cpu::Trans::no ? n : k;
  const auto A = uniform(M * a_rows * a_cols, -1, 1, 25), Bm = uniform(M * b_rows * b_cols, -1, 1, 26);
  DeviceBuffer<float> dA(A), dB(Bm), dC(M * m * n);
  auto launch = [&] {
    cuda::gemm_strided_batched(ta, tb, m, n, k, 1.f, dA.data(), a_cols, a_rows * a_cols, dB.data(), b_cols,
                               b_rows * b_cols, 0.f, dC.data(), n, m * n, M);
  };
  launch();
  // Check the first 32 rows of C of the last member on the CPU (the full check would take seconds).
  const int64_t check_rows = 32, last = M - 1;
  std::vector<float> expected(check_rows * n);
  const float* a_last = A.data() + last * a_rows * a_cols;
  cpu::gemm(ta, tb, check_rows, n, k, 1.f, a_last, a_cols, Bm.data() + last * b_rows * b_cols, b_cols, 0.f,
            expected.data(), n);
  const auto got_all = dC.to_host();
  std::vector<float> got(got_all.begin() + last * m * n, got_all.begin() + last * m * n + check_rows * n);
  if (!close(got, expected, 1e-3, 1e-4)) return state.SkipWithError("ensemble GEMM differs from the CPU");
  time_gpu(state, launch, 0, 2.0 * M * m * n * k);
}

BENCHMARK(BM_ceiling_memcpy_d2d)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ceiling_sgemm)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_unary_forward_silu)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_binary_backward_bias)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bias_act_forward_relu)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bias_act_backward_tanh)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_soft_clamp_forward)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_squashed_gaussian_forward)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_sum_rows)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_adam_update)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_polyak_update)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_fill_normal)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gather_rows)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_scatter_add_rows)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_expand_bias)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_inside_mask)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_select_member_rows)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_adam_update_guarded)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ensemble_gemm, forward, EnsembleGemm::forward)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ensemble_gemm, weight_grad, EnsembleGemm::weight_grad)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ensemble_gemm, input_grad, EnsembleGemm::input_grad)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Console output as usual, plus the rows kept for the final table.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  struct Row { std::string name; double time_us; std::string unit; double rate; };
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      Row row{r.benchmark_name(), r.GetAdjustedRealTime() * to_us(r.time_unit), "", 0};
      if (auto it = r.counters.find("GB/s"); it != r.counters.end()) row.unit = "GB/s", row.rate = it->second.value;
      if (auto it = r.counters.find("GFLOP/s"); it != r.counters.end()) row.unit = "GFLOP/s", row.rate = it->second.value;
      rows.push_back(row);
    }
  }
  std::vector<Row> rows;

 private:
  static double to_us(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond: return 1e-3;
      case benchmark::kMicrosecond: return 1;
      case benchmark::kMillisecond: return 1e3;
      case benchmark::kSecond: return 1e6;
    }
    return 1;
  }
};

// One table: each kernel's rate as a % of the ceiling of its kind measured in this run.
void print_table(const std::vector<TableReporter::Row>& rows) {
  double bandwidth = 0, sgemm = 0;
  for (const auto& r : rows) {
    if (r.name.find("ceiling_memcpy") != std::string::npos) bandwidth = r.rate;
    if (r.name.find("ceiling_sgemm") != std::string::npos) sgemm = r.rate;
  }
  std::printf("\n%-44s %12s %12s %-8s %10s\n", "kernel", "time (us)", "rate", "unit", "% ceiling");
  for (const auto& r : rows) {
    const double ceiling = r.unit == "GB/s" ? bandwidth : sgemm;
    const double pct = ceiling > 0 ? 100.0 * r.rate / ceiling : 0;
    std::printf("%-44s %12.1f %12.1f %-8s %9.1f%%\n", r.name.c_str(), r.time_us, r.rate, r.unit.c_str(), pct);
  }
  std::printf("ceilings: device-to-device memcpy %.1f GB/s, SGEMM 8192^3 %.1f GFLOP/s\n", bandwidth, sgemm);
}

}  // namespace

int main(int argc, char** argv) {
  if (cuda::device_count() == 0) {
    std::puts("bench_cuda_kernels: no CUDA GPU available, nothing to benchmark");
    return 0;
  }
  try {
    benchmark::AddCustomContext("device", cuda::device_description());
    const char* commit = std::getenv("MAAC_COMMIT");
    benchmark::AddCustomContext("commit", commit ? commit : "unknown (set MAAC_COMMIT)");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    TableReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    print_table(reporter.rows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda_kernels: %s\n", e.what());
    return 1;
  }
  return 0;
}
