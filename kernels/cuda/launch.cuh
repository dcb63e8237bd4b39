// Launch plumbing shared by the element-wise and reduction kernels (nvcc only).
//   map:    one generic grid-stride kernel calls op(i) for every element i.
//   reduce: one generic kernel sums contribution(i) into the element j of a broadcast
//           operand that element i reads (gradients of broadcast operands, sums).
// Each op's per-element body is a small functor in its own .cu file, calling the
// shared math in kernels/math.cuh; grid maths and error checks live only here.
#pragma once
#include <cstdint>

#include "kernels/cpu/elementwise.hpp"  // cpu::Broadcast: one broadcast description for both backends
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/stream.hpp"

namespace maac::cuda::detail {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;

// Grid-stride loops: enough blocks to cover n, capped so huge n still launches.
inline unsigned blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < kMaxBlocks ? (b > 0 ? b : 1) : kMaxBlocks);
}

template <class Op> __global__ void map_kernel(Op op, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    op(i);
}

// Calls op(i) for i in [0, n) on `stream`; checks the launch.
template <class Op> void launch_map(const Op& op, int64_t n, Stream stream) {
  if (n <= 0) return;
  map_kernel<Op><<<blocks_for(n), kThreads, 0, stream>>>(op, n);
  MAAC_CUDA_CHECK(cudaGetLastError());
}

// Index of element (m, r, c) of the full [B, R, C] tensor inside a broadcast operand
// (cpu::Broadcast::at is host-only, so the same sum is written out here).
__host__ __device__ __forceinline__ int64_t broadcast_at(const cpu::Broadcast& bc, int64_t m, int64_t r, int64_t c) {
  return m * bc.sb + r * bc.sr + c * bc.sc;
}
__host__ __device__ __forceinline__ int64_t broadcast_at(const cpu::Broadcast& bc, int64_t i) {
  int64_t c = i % bc.C, mr = i / bc.C;
  return broadcast_at(bc, mr / bc.R, mr % bc.R, c);
}

// The reduction's index space: the operand's own extents (full extent where its stride
// is non-zero, 1 where it broadcasts) times the broadcast extents each of its elements
// sums over. m = m_own + m_summed, because one of the two is always 0.
struct ReduceShape {
  cpu::Broadcast bc;
  int64_t own_b, own_r, own_c;        // operand extents; own = own_b * own_r * own_c
  int64_t sum_b, sum_r, sum_c;        // summed extents; summed = sum_b * sum_r * sum_c
  int64_t own, summed;
};

inline ReduceShape reduce_shape(const cpu::Broadcast& bc) {
  ReduceShape s{bc, bc.sb ? bc.B : 1, bc.sr ? bc.R : 1, bc.sc ? bc.C : 1,
                bc.sb ? 1 : bc.B, bc.sr ? 1 : bc.R, bc.sc ? 1 : bc.C, 0, 0};
  s.own = s.own_b * s.own_r * s.own_c;
  s.summed = s.sum_b * s.sum_r * s.sum_c;
  return s;
}

// Block (x: operand elements, y: summed elements). threadIdx.x runs along the operand's
// fastest axis so reads of the full tensor coalesce when that axis is not broadcast.
// Partial sums meet in shared memory; each block adds its partial with one atomicAdd
// per operand element when the summed axis is split over several blocks (gridDim.y > 1),
// and with a plain += (deterministic) when it is not.
template <class T, class Contribution>
__global__ void reduce_kernel(ReduceShape s, Contribution contribution, T* out) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];  // aligned for double
  T* partial = reinterpret_cast<T*>(shared_bytes);
  const int64_t j_own = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  T acc = T(0);
  int64_t j = 0;
  if (j_own < s.own) {
    const int64_t oc = j_own % s.own_c, orr = (j_own / s.own_c) % s.own_r, ob = j_own / (s.own_c * s.own_r);
    for (int64_t k = blockIdx.y * int64_t(blockDim.y) + threadIdx.y; k < s.summed;
         k += int64_t(gridDim.y) * blockDim.y) {
      const int64_t kc = k % s.sum_c, kr = (k / s.sum_c) % s.sum_r, kb = k / (s.sum_c * s.sum_r);
      const int64_t m = ob + kb, r = orr + kr, c = oc + kc;
      acc += contribution((m * s.bc.R + r) * s.bc.C + c);
    }
    j = broadcast_at(s.bc, ob, orr, oc);
  }
  const int t = threadIdx.y * blockDim.x + threadIdx.x;
  partial[t] = acc;
  __syncthreads();
  for (int half = blockDim.y / 2; half > 0; half /= 2) {  // blockDim.y is a power of two
    if (threadIdx.y < half) partial[t] += partial[t + half * blockDim.x];
    __syncthreads();
  }
  if (threadIdx.y == 0 && j_own < s.own) {
    if (gridDim.y == 1) out[j] += partial[threadIdx.x];
    else atomicAdd(out + j, partial[threadIdx.x]);
  }
}

// out[j] += sum of contribution(i) over the elements i of the full tensor that read
// operand element j. Operand strides must map distinct (m, r, c) of its own extents to
// distinct elements (a compact layout), as for every tensor the tape makes.
template <class T, class Contribution>
void launch_reduce(const cpu::Broadcast& bc, const Contribution& contribution, T* out, Stream stream) {
  const ReduceShape s = reduce_shape(bc);
  if (s.own == 0 || s.summed == 0) return;
  // Few operand elements: give the block's threads to the summed axis instead.
  int bx = 1;
  while (bx < 32 && bx < s.own) bx *= 2;
  const int by = kThreads / bx;
  // Split the summed axis over blocks only while each thread still sums >= 32 elements.
  int64_t split = (s.summed + int64_t(by) * 32 - 1) / (int64_t(by) * 32);
  if (split > 1024) split = 1024;
  const int64_t gx = (s.own + bx - 1) / bx;
  if (gx > 2147483647) throw std::invalid_argument("reduce: operand has too many elements for one launch");
  reduce_kernel<T, Contribution><<<dim3(unsigned(gx), unsigned(split)), dim3(bx, by), kThreads * sizeof(T), stream>>>(
      s, contribution, out);
  MAAC_CUDA_CHECK(cudaGetLastError());
}

// A broadcast description must describe a [B, R, C] tensor with non-negative extents.
inline void check_broadcast(const cpu::Broadcast& bc, const char* what) {
  if (bc.B < 0 || bc.R < 0 || bc.C < 0 || bc.sb < 0 || bc.sr < 0 || bc.sc < 0)
    throw std::invalid_argument(std::string(what) + ": broadcast extents and strides must be >= 0, got B=" +
                                std::to_string(bc.B) + " R=" + std::to_string(bc.R) + " C=" + std::to_string(bc.C));
}

inline void check_size(int64_t n, const char* what) {
  if (n < 0) throw std::invalid_argument(std::string(what) + ": size must be >= 0, got " + std::to_string(n));
}

}  // namespace maac::cuda::detail
