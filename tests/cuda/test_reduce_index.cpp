// Host test of the broadcast reduction's index maths (kernels/cuda/reduce_index.cuh) —
// runs without a GPU. It walks the exact grid the CUDA launch uses (reduce_grid), in
// every block and thread, with the kernel's loop over own_coords / full_index /
// broadcast_at, and checks that every element of the full tensor is visited exactly
// once and lands in the operand element cpu::Broadcast::at names. Exact comparison:
// the sums here are of small integers.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/cuda/reduce_index.cuh"

using namespace maac;
using namespace maac::cuda::detail;

namespace {

// out[j] += x[i] through the kernel's (block, thread) loops; visits[i] counts each i.
void emulate_reduce(const cpu::Broadcast& bc, const std::vector<double>& x, std::vector<double>& out,
                    std::vector<int>& visits, int threads) {
  const ReduceShape s = reduce_shape(bc);
  if (s.own == 0 || s.summed == 0) return;
  const ReduceGrid g = reduce_grid(s, threads);
  REQUIRE(g.threads_x * g.threads_y == threads);
  REQUIRE(g.blocks_y >= 1);
  REQUIRE(g.blocks_y <= 1024);
  for (int64_t block_x = 0; block_x < g.blocks_x; ++block_x)
    for (int64_t block_y = 0; block_y < g.blocks_y; ++block_y)
      for (int ty = 0; ty < g.threads_y; ++ty)
        for (int tx = 0; tx < g.threads_x; ++tx) {
          const int64_t j_own = block_x * g.threads_x + tx;
          if (j_own >= s.own) continue;
          const OwnCoords o = own_coords(s, j_own);
          const int64_t j = broadcast_at(s.bc, o.m, o.r, o.c);
          for (int64_t k = block_y * g.threads_y + ty; k < s.summed; k += g.blocks_y * g.threads_y) {
            const int64_t i = full_index(s, o, k);
            REQUIRE(i >= 0);
            REQUIRE(i < bc.numel());
            ++visits[i];
            REQUIRE(broadcast_at(bc, i) == j);  // the operand element element i reads
            out[j] += x[i];
          }
        }
}

cpu::Broadcast broadcast_of(int64_t B, int64_t R, int64_t C, bool keep_b, bool keep_r, bool keep_c) {
  const int64_t sc = keep_c ? 1 : 0, sr = keep_r ? (keep_c ? C : 1) : 0;
  const int64_t sb = keep_b ? (keep_r ? R : 1) * (keep_c ? C : 1) : 0;
  return {B, R, C, sb, sr, sc};
}

}  // namespace

TEST_CASE("the reduction grid visits every element once and sums into the operand element it reads") {
  const int64_t shapes[][3] = {{1, 1, 1}, {3, 517, 37}, {7, 9363, 5}, {1, 1, 70001}, {2, 40000, 1}, {4, 3, 300}};
  for (const auto& sh : shapes)
    for (int keep = 0; keep < 8; ++keep) {
      const int64_t B = sh[0], R = sh[1], C = sh[2];
      const cpu::Broadcast bc = broadcast_of(B, R, C, keep & 4, keep & 2, keep & 1);
      CAPTURE(B, R, C, keep);
      const int64_t n = bc.numel();
      std::vector<double> x(n);
      for (int64_t i = 0; i < n; ++i) x[i] = double(i % 17);
      const ReduceShape s = reduce_shape(bc);
      std::vector<double> expected(s.own, 0.0), got(s.own, 0.0);
      for (int64_t m = 0; m < B; ++m)
        for (int64_t r = 0; r < R; ++r)
          for (int64_t c = 0; c < C; ++c) expected[bc.at(m, r, c)] += x[(m * R + r) * C + c];
      std::vector<int> visits(n, 0);
      emulate_reduce(bc, x, got, visits, 256);
      for (int64_t i = 0; i < n; ++i)
        if (visits[i] != 1) FAIL("element " << i << " visited " << visits[i] << " times");
      REQUIRE(got == expected);
    }
}

TEST_CASE("broadcast_at on a linear index agrees with cpu::Broadcast::at") {
  const cpu::Broadcast bc{3, 5, 7, 7, 0, 1};
  int64_t i = 0;
  for (int64_t m = 0; m < bc.B; ++m)
    for (int64_t r = 0; r < bc.R; ++r)
      for (int64_t c = 0; c < bc.C; ++c, ++i) REQUIRE(broadcast_at(bc, i) == bc.at(m, r, c));
}
