// Dense layers on either device (Where first; see kernels/where.hpp): the GEMMs, the
// bias and the activation of y = f(x W + b) as one call, so the layer ops of autodiff
// make one kernel call per direction. How the three are combined is this file's
// choice per device: cuda writes x W and then adds the bias and applies f in one fused
// pass; the cpu writes the bias first, lets the GEMM accumulate onto it, then applies f.
#pragma once
#include <cstdint>

#include "kernels/math.cuh"
#include "kernels/where.hpp"

namespace maac::kernels {

// M members (M = 1: one layer). x: [n, in] shared by every member, or [M, n, in];
// W: [M, in, out]; b: [M, 1, out]; pre and y: [M, n, out].
struct DenseShape {
  int64_t M = 1, n = 0, in = 0, out = 0;
  bool shared_x = true;  // x [n, in] read by every member (stride 0); else x [M, n, in]
  bool batched = false;  // strided-batched GEMMs over the members; false: one GEMM (M == 1)
};

// pre = x W + b, y = f(pre). For the identity pre and y are the same node (pass it twice).
template <class T>
void dense_forward(Where w, math::Unary f, const DenseShape& s, const T* x, const T* W, const T* b, T* pre, T* y);

// dz = dy f'(pre) (dz = dy for the identity; then pre and dpre are unused and may be
// null);  dpre += dz;  dx += dz W^T (summed over members for a shared x);  dW += x^T dz;
// db += dz summed over rows. Any of dx, dW, db may be null.
template <class T>
void dense_backward(Where w, math::Unary f, const DenseShape& s, const T* x, const T* W, const T* pre, const T* y,
                    const T* dy, T* dpre, T* dx, T* dW, T* db);

// Routed ensemble layer, no activation: rows offsets[m] .. offsets[m+1] of x [n, in]
// and y [n, out] go through member m only (shape.M members, shape.n rows). `offsets`
// (M + 1 values) are HOST memory on every device: one GEMM per non-empty member.
template <class T>
void routed_forward(Where w, const DenseShape& s, const int32_t* offsets, const T* x, const T* W, const T* b, T* y);
template <class T>
void routed_backward(Where w, const DenseShape& s, const int32_t* offsets, const T* x, const T* W, const T* dy, T* dx,
                     T* dW, T* db);

}  // namespace maac::kernels
