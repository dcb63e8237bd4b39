// Kernel bodies (functors over the shared math), launches and entry checks for the
// unary, binary and fused bias + activation ops. Grid maths live in launch.cuh.
#include "kernels/cuda/elementwise.hpp"
#include "kernels/cuda/launch.cuh"

namespace maac::cuda {
namespace {

// ---- kernel bodies: one element i each ----

template <class T> struct UnaryForward {
  math::Unary f; const T* x; T* y;
  __device__ void operator()(int64_t i) const { y[i] = math::unary_forward(f, x[i]); }
};

template <class T> struct UnaryBackward {
  math::Unary f; const T* x; const T* y; const T* dy; T* dx;
  __device__ void operator()(int64_t i) const { dx[i] += dy[i] * math::unary_derivative(f, x[i], y[i]); }
};

template <class T> struct BinaryForward {
  math::Binary f; Broadcast bc; const T* a; const T* b; T* y;
  __device__ void operator()(int64_t i) const { y[i] = math::binary_forward(f, a[i], b[detail::broadcast_at(bc, i)]); }
};

// Which partial a binary backward body produces: the full operand a, or the broadcast b.
enum class BinaryOperand { a, b };
template <class T, BinaryOperand which> struct BinaryPartial {
  math::Binary f; Broadcast bc; const T* a; const T* b; const T* dy;
  __device__ T operator()(int64_t i) const {
    T pa = T(0), pb = T(0);
    math::binary_partials(f, a[i], b[detail::broadcast_at(bc, i)], &pa, &pb);
    return dy[i] * (which == BinaryOperand::a ? pa : pb);
  }
};
template <class T> struct AccumulateInto {  // dst[i] += value(i) for a full-size gradient
  BinaryPartial<T, BinaryOperand::a> value; T* dst;
  __device__ void operator()(int64_t i) const { dst[i] += value(i); }
};

// x, pre, y: [batch, rows, cols]; bias: [batch, 1, cols]
template <class T> struct BiasIndex {
  int64_t rows, cols;
  __device__ int64_t operator()(int64_t i) const { return (i / (rows * cols)) * cols + i % cols; }
};
template <class T> struct BiasActForward {  // pre may alias x: each element is read, then written, by one thread
  math::Unary f; BiasIndex<T> at; const T* x; const T* bias; T* pre; T* y;
  __device__ void operator()(int64_t i) const {
    const T z = x[i] + bias[at(i)];
    if (pre) pre[i] = z;
    y[i] = math::unary_forward(f, z);
  }
};
// g = dy * f'(pre): the gradient of the pre-activation. The reduction calls it exactly
// once per element, so it also adds g into dpre there (no second pass, no race).
template <class T> struct BiasActGrad {
  math::Unary f; const T* pre; const T* y; const T* dy; T* dpre;
  __device__ T operator()(int64_t i) const {
    const T g = dy[i] * math::unary_derivative(f, pre[i], y[i]);
    if (dpre) dpre[i] += g;
    return g;
  }
};
template <class T> struct BiasActGradOnly {  // dpre += g when no bias gradient is wanted
  BiasActGrad<T> grad;
  __device__ void operator()(int64_t i) const { grad(i); }
};

void check_unary(math::Unary f, const char* what) {
  if (int(f) < int(math::Unary::identity) || int(f) > int(math::Unary::reciprocal))
    throw std::invalid_argument(std::string(what) + ": unknown Unary value " + std::to_string(int(f)));
}
void check_binary(math::Binary f, const char* what) {
  if (int(f) < int(math::Binary::add) || int(f) > int(math::Binary::atan2))
    throw std::invalid_argument(std::string(what) + ": unknown Binary value " + std::to_string(int(f)));
}
void check_bias_shape(int64_t batch, int64_t rows, int64_t cols, const char* what) {
  if (batch < 0 || rows < 0 || cols < 0)
    throw std::invalid_argument(std::string(what) + ": batch, rows, cols must be >= 0, got " + std::to_string(batch) +
                                ", " + std::to_string(rows) + ", " + std::to_string(cols));
}

}  // namespace

// ---- public entries: argument checks, then one launch per output ----

template <class T> void unary_forward(math::Unary f, const T* x, T* y, int64_t n, Stream stream) {
  check_unary(f, "cuda::unary_forward");
  detail::check_size(n, "cuda::unary_forward");
  detail::launch_map(UnaryForward<T>{f, x, y}, n, stream);
}

template <class T>
void unary_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n, Stream stream) {
  check_unary(f, "cuda::unary_backward");
  detail::check_size(n, "cuda::unary_backward");
  if (dx) detail::launch_map(UnaryBackward<T>{f, x, y, dy, dx}, n, stream);
}

template <class T>
void binary_forward(math::Binary f, const Broadcast& bc, const T* a, const T* b, T* y, Stream stream) {
  check_binary(f, "cuda::binary_forward");
  detail::check_broadcast(bc, "cuda::binary_forward");
  detail::launch_map(BinaryForward<T>{f, bc, a, b, y}, bc.numel(), stream);
}

template <class T>
void binary_backward(math::Binary f, const Broadcast& bc, const T* a, const T* b, const T* dy, T* da, T* db,
                     Stream stream) {
  check_binary(f, "cuda::binary_backward");
  detail::check_broadcast(bc, "cuda::binary_backward");
  if (da) detail::launch_map(AccumulateInto<T>{{f, bc, a, b, dy}, da}, bc.numel(), stream);
  if (db) detail::launch_reduce(bc, BinaryPartial<T, BinaryOperand::b>{f, bc, a, b, dy}, db, stream);
}

template <class T>
void bias_act_forward(math::Unary f, const T* x, const T* bias, T* pre, T* y, int64_t batch, int64_t rows,
                      int64_t cols, Stream stream) {
  check_unary(f, "cuda::bias_act_forward");
  check_bias_shape(batch, rows, cols, "cuda::bias_act_forward");
  detail::launch_map(BiasActForward<T>{f, {rows, cols}, x, bias, pre, y}, batch * rows * cols, stream);
}

template <class T>
void bias_act_backward(math::Unary f, const T* pre, const T* y, const T* dy, T* dpre, T* dbias, int64_t batch,
                       int64_t rows, int64_t cols, Stream stream) {
  check_unary(f, "cuda::bias_act_backward");
  check_bias_shape(batch, rows, cols, "cuda::bias_act_backward");
  const BiasActGrad<T> grad{f, pre, y, dy, dpre};
  // bias [batch, 1, cols] is the broadcast operand of a [batch, rows, cols] tensor.
  if (dbias) detail::launch_reduce(Broadcast{batch, rows, cols, cols, 0, 1}, grad, dbias, stream);
  else if (dpre) detail::launch_map(BiasActGradOnly<T>{grad}, batch * rows * cols, stream);
}

#define MAAC_INSTANTIATE(T)                                                                                    \
  template void unary_forward<T>(math::Unary, const T*, T*, int64_t, Stream);                                 \
  template void unary_backward<T>(math::Unary, const T*, const T*, const T*, T*, int64_t, Stream);            \
  template void binary_forward<T>(math::Binary, const Broadcast&, const T*, const T*, T*, Stream);            \
  template void binary_backward<T>(math::Binary, const Broadcast&, const T*, const T*, const T*, T*, T*, Stream); \
  template void bias_act_forward<T>(math::Unary, const T*, const T*, T*, T*, int64_t, int64_t, int64_t, Stream); \
  template void bias_act_backward<T>(math::Unary, const T*, const T*, const T*, T*, T*, int64_t, int64_t, int64_t, \
                                     Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
