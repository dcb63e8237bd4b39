// The device dispatch of kernels/*.hpp (kernels/where.hpp): a cpu Where runs exactly the
// kernels/cpu code (same bits), a cuda Where in a build without the backend throws naming
// the entry, cuda-only entries refuse the cpu, and the layer entry checks its shape.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "autodiff/random.hpp"
#include "kernels/cpu/activations.hpp"
#include "kernels/cpu/gemm.hpp"
#include "kernels/cpu/reduce.hpp"
#include "kernels/cpu/rows.hpp"
#include "kernels/dense.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/optim.hpp"
#include "kernels/random.hpp"
#include "kernels/reduce.hpp"
#include "kernels/rows.hpp"

using namespace maac;
using Catch::Contains;
using math::Unary;

namespace {
template <class T> bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}
}  // namespace

TEMPLATE_TEST_CASE("a cpu Where runs the kernels/cpu code bit for bit", "", float, double) {
  using T = TestType;
  Rng rng(7);
  const int64_t M = 3, n = 37, in = 11, out = 13;
  const std::vector<T> x = rng.uniform_vector<T>(M * n * in, -2.0, 2.0);
  const std::vector<T> W = rng.uniform_vector<T>(M * in * out, -1.0, 1.0);
  const std::vector<T> b = rng.uniform_vector<T>(M * out, -1.0, 1.0);

  // unary: the vectorised loop. Both write the same buffer: Eigen peels unaligned leading
  // elements by the destination's address, so a different buffer may round differently.
  std::vector<T> y1(x.size());
  kernels::unary_forward(kernels::host, Unary::silu, x.data(), y1.data(), int64_t(x.size()));
  const std::vector<T> y2 = y1;
  cpu::activation_forward(Unary::silu, x.data(), y1.data(), int64_t(x.size()));
  REQUIRE(same_bits(y1, y2));

  // reductions: the double accumulator
  std::vector<T> s1(M * in), s2(M * in);  // y1: [M, n, in] summed over rows
  kernels::reduce_sum(kernels::host, kernels::Over::rows, M, n, in, 0.5, y1.data(), s1.data(), M * in);
  cpu::reduce_sum(cpu::Over::rows, M, n, in, 0.5, y1.data(), s2.data(), M * in);
  REQUIRE(same_bits(s1, s2));

  // rows: scatter with duplicate indices adds in order
  const std::vector<int32_t> idx{4, 1, 4, 0};
  std::vector<T> r1(5 * in, T(9)), r2(5 * in, T(9));
  kernels::scatter_rows(kernels::host, x.data(), idx.data(), r1.data(), 4, 5, in);
  cpu::scatter_rows(x.data(), idx.data(), r2.data(), 4, 5, in);
  REQUIRE(same_bits(r1, r2));

  // a dense ensemble layer: bias rows, GEMM onto them, activation
  std::vector<T> pre(M * n * out), z(M * n * out);
  const kernels::DenseShape shape{M, n, in, out, false, true};
  kernels::dense_forward(kernels::host, Unary::tanh, shape, x.data(), W.data(), b.data(), pre.data(), z.data());
  const std::vector<T> pre1 = pre, z1 = z;
  cpu::bias_rows(b.data(), pre.data(), M, n, out);
  cpu::gemm_strided_batched<T>(cpu::Trans::no, cpu::Trans::no, n, out, in, T(1), x.data(), in, n * in, W.data(), out,
                               in * out, T(1), pre.data(), out, n * out, M);
  cpu::activation_forward(Unary::tanh, pre.data(), z.data(), M * n * out);
  REQUIRE(same_bits(pre, pre1));
  REQUIRE(same_bits(z, z1));
}

TEST_CASE("a cuda Where without the CUDA backend throws naming the entry") {
  if (kernels::have_cuda()) {
    SUCCEED("this build has the CUDA backend: tests/cuda covers the device");
    return;
  }
  std::vector<float> x(4, 1.0f), y(4);
  const kernels::Where gpu{Device::cuda, cuda::default_stream};
  REQUIRE_THROWS_WITH(kernels::unary_forward(gpu, Unary::tanh, x.data(), y.data(), 4),
                      Contains("unary_forward") && Contains("no CUDA backend"));
  REQUIRE_THROWS_WITH(kernels::tile(gpu, x.data(), y.data(), 2, 2), Contains("tile") && Contains("no CUDA backend"));
}

TEST_CASE("cuda-only entries refuse the cpu, naming the entry") {
  std::vector<float> x(4);
  uint64_t counter = 0;
  int32_t ok = 1;
  REQUIRE_THROWS_WITH(kernels::fill_normal(kernels::host, x.data(), 4, 1, &counter),
                      Contains("fill_normal") && Contains("expected cuda"));
  REQUIRE_THROWS_WITH(kernels::flag_set(kernels::host, &ok), Contains("flag_set") && Contains("expected cuda"));
  REQUIRE(ok == 1);
}

TEST_CASE("the dense layer entry checks its shape") {
  std::vector<float> v(64);
  REQUIRE_THROWS_WITH(kernels::dense_forward(kernels::host, Unary::identity, kernels::DenseShape{2, 2, 2, 2, true, false},
                                             v.data(), v.data(), v.data(), v.data(), v.data()),
                      Contains("dense_forward") && Contains("M 2"));
}
