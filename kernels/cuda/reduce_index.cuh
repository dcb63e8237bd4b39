// Index maths of the broadcast reduction, shared by the CUDA kernel (launch.cuh) and a
// host test that runs without a GPU (tests/cuda/test_reduce_index.cpp). MAAC_HD keeps it
// compilable by g++ and nvcc alike, as kernels/math.cuh is.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast
#include "kernels/hd.cuh"

namespace maac::cuda::detail {

// Index of element (m, r, c) of the full [B, R, C] tensor inside a broadcast operand
// (cpu::Broadcast::at is host-only, so the same sum is written out here).
MAAC_HD int64_t broadcast_at(const cpu::Broadcast& bc, int64_t m, int64_t r, int64_t c) {
  return m * bc.sb + r * bc.sr + c * bc.sc;
}
// The same for the linear index i of the full tensor.
MAAC_HD int64_t broadcast_at(const cpu::Broadcast& bc, int64_t i) {
  const int64_t c = i % bc.C, mr = i / bc.C;
  return broadcast_at(bc, mr / bc.R, mr % bc.R, c);
}

// The reduction's index space: the operand's own extents (full extent where its stride
// is non-zero, 1 where it broadcasts) times the broadcast extents each of its elements
// sums over. m = m_own + m_summed, because one of the two is always 0.
struct ReduceShape {
  cpu::Broadcast bc;
  int64_t own_b, own_r, own_c;  // operand extents; own = own_b * own_r * own_c
  int64_t sum_b, sum_r, sum_c;  // summed extents; summed = sum_b * sum_r * sum_c
  int64_t own, summed;
};

inline ReduceShape reduce_shape(const cpu::Broadcast& bc) {
  ReduceShape s{bc, bc.sb ? bc.B : 1, bc.sr ? bc.R : 1, bc.sc ? bc.C : 1,
                bc.sb ? 1 : bc.B, bc.sr ? 1 : bc.R, bc.sc ? 1 : bc.C, 0, 0};
  s.own = s.own_b * s.own_r * s.own_c;
  s.summed = s.sum_b * s.sum_r * s.sum_c;
  return s;
}

// Operand element number j_own (in its own extents, c fastest) -> its (m, r, c) origin.
struct OwnCoords { int64_t m, r, c; };
MAAC_HD OwnCoords own_coords(const ReduceShape& s, int64_t j_own) {
  return {j_own / (s.own_c * s.own_r), (j_own / s.own_c) % s.own_r, j_own % s.own_c};
}
// Summed element number k of operand element `o` -> linear index of the full tensor.
MAAC_HD int64_t full_index(const ReduceShape& s, const OwnCoords& o, int64_t k) {
  const int64_t kc = k % s.sum_c, kr = (k / s.sum_c) % s.sum_r, kb = k / (s.sum_c * s.sum_r);
  return ((o.m + kb) * s.bc.R + (o.r + kr)) * s.bc.C + (o.c + kc);
}

// Launch shape of the reduction for a block of `threads` threads (a power of two >= 32).
struct ReduceGrid {
  int threads_x, threads_y;    // threads_x * threads_y == threads; both powers of two
  int64_t blocks_x, blocks_y;  // blocks_y splits the summed axis (atomics when > 1)
};
inline ReduceGrid reduce_grid(const ReduceShape& s, int threads) {
  // Few operand elements: give the block's threads to the summed axis instead.
  int bx = 1;
  while (bx < 32 && bx < s.own) bx *= 2;
  const int by = threads / bx;
  // Split the summed axis over blocks only while each thread still sums >= 32 elements.
  int64_t split = (s.summed + int64_t(by) * 32 - 1) / (int64_t(by) * 32);
  if (split > 1024) split = 1024;
  if (split < 1) split = 1;
  return {bx, by, (s.own + bx - 1) / bx, split};
}

}  // namespace maac::cuda::detail
