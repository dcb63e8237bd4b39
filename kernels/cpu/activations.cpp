#include "kernels/cpu/activations.hpp"

#include <Eigen/Core>
#include <algorithm>

#include "kernels/cpu/elementwise.hpp"

namespace maac::cpu {
namespace {

template <class T> using ConstArray = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T> using Array = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

// Large arrays are split across the CPU threads in cache-sized blocks.
constexpr int64_t kBlock = 16384;

template <class Fn> void for_blocks(int64_t n, Fn&& fn) {
#pragma omp parallel for schedule(static) if (n > 4 * kBlock)
  for (int64_t start = 0; start < n; start += kBlock) fn(start, std::min(kBlock, n - start));
}

// 1 / (1 + e^-x) through Eigen's accurate SIMD exp (Eigen's own logistic() trades up
// to 5e-5 relative error for speed); e^-x = inf for very negative x gives exactly 0.
template <class T> auto sigmoid(const ConstArray<T>& x) { return (T(1) + (-x).exp()).inverse(); }

template <class T> void forward_block(math::Unary f, const T* xp, T* yp, int64_t n) {
  ConstArray<T> x(xp, n);
  Array<T> y(yp, n);
  switch (f) {
    case math::Unary::identity: y = x; return;
    case math::Unary::relu: y = x.max(T(0)); return;
    case math::Unary::tanh: y = x.tanh(); return;
    case math::Unary::silu: y = x * sigmoid(x); return;
    case math::Unary::sigmoid: y = sigmoid(x); return;
    case math::Unary::exp: y = x.exp(); return;
    case math::Unary::log: y = x.log(); return;
    case math::Unary::square: y = x.square(); return;
    case math::Unary::reciprocal: y = x.inverse(); return;
    case math::Unary::softplus: unary_forward(f, xp, yp, n); return;  // rare: reference loop
  }
}

template <class T> void backward_block(math::Unary f, const T* xp, const T* yp, const T* dyp, T* dxp, int64_t n) {
  ConstArray<T> x(xp, n), y(yp, n), dy(dyp, n);
  Array<T> dx(dxp, n);
  switch (f) {
    case math::Unary::identity: dx += dy; return;
    case math::Unary::relu: dx += (x > T(0)).select(dy, T(0)); return;
    case math::Unary::tanh: dx += dy * (T(1) - y.square()); return;
    case math::Unary::silu: {
      // sigmoid once into a per-thread block buffer (no allocation after the first call).
      thread_local Eigen::Array<T, Eigen::Dynamic, 1> buffer;
      if (buffer.size() < n) buffer.resize(kBlock > n ? kBlock : n);
      auto s = buffer.head(n);
      s = sigmoid(x);
      dx += dy * s * (T(1) + x * (T(1) - s));
      return;
    }
    case math::Unary::sigmoid: dx += dy * y * (T(1) - y); return;
    case math::Unary::exp: dx += dy * y; return;
    case math::Unary::log: dx += dy / x; return;
    case math::Unary::square: dx += T(2) * dy * x; return;
    case math::Unary::reciprocal: dx -= dy * y.square(); return;
    case math::Unary::softplus: unary_backward(f, xp, yp, dyp, dxp, n); return;
  }
}

}  // namespace

template <class T> void activation_forward(math::Unary f, const T* x, T* y, int64_t n) {
  for_blocks(n, [&](int64_t s, int64_t len) { forward_block(f, x + s, y + s, len); });
}

template <class T> void activation_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  for_blocks(n, [&](int64_t s, int64_t len) { backward_block(f, x + s, y + s, dy + s, dx + s, len); });
}

template void activation_forward<float>(math::Unary, const float*, float*, int64_t);
template void activation_forward<double>(math::Unary, const double*, double*, int64_t);
template void activation_backward<float>(math::Unary, const float*, const float*, const float*, float*, int64_t);
template void activation_backward<double>(math::Unary, const double*, const double*, const double*, double*, int64_t);

}  // namespace maac::cpu
