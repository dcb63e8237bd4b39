// Kernel bodies (functors over the shared math), launches and entry checks for the soft
// clamp and the Gaussian / squashed-Gaussian sampling ops. Grid maths live in launch.cuh.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sampling.hpp"

namespace maac::cuda {
namespace {

using cpu::Broadcast;

// ---- kernel bodies ----

template <class T> struct SoftClampForward {
  Broadcast bc; const T* x; const T* lo; const T* hi; T* y;
  __device__ void operator()(int64_t i) const {
    const int64_t j = detail::broadcast_at(bc, i);
    y[i] = math::soft_clamp(x[i], lo[j], hi[j]);
  }
};

// Which partial of the soft clamp a body produces; dx is element-wise, dlo/dhi reduce.
enum class ClampPartial { x, lo, hi };
template <class T, ClampPartial which> struct SoftClampGrad {
  Broadcast bc; const T* x; const T* lo; const T* hi; const T* dy;
  __device__ T operator()(int64_t i) const {
    const int64_t j = detail::broadcast_at(bc, i);
    T gx = T(0), glo = T(0), ghi = T(0);
    math::soft_clamp_grad(x[i], lo[j], hi[j], &gx, &glo, &ghi);
    return dy[i] * (which == ClampPartial::x ? gx : which == ClampPartial::lo ? glo : ghi);
  }
};
template <class T> struct SoftClampBackwardX {
  SoftClampGrad<T, ClampPartial::x> grad; T* dx;
  __device__ void operator()(int64_t i) const { dx[i] += grad(i); }
};

template <class T> struct GaussianForward {
  const T* mu; const T* log_std; const T* eps; T* y;
  __device__ void operator()(int64_t i) const { y[i] = mu[i] + std::exp(log_std[i]) * eps[i]; }
};

template <class T> struct GaussianBackward {
  const T* log_std; const T* eps; const T* dy; T* dmu; T* dlog_std; T* deps;
  __device__ void operator()(int64_t i) const {
    const T s = std::exp(log_std[i]);
    if (dmu) dmu[i] += dy[i];
    if (dlog_std) dlog_std[i] += dy[i] * s * eps[i];
    if (deps) deps[i] += dy[i] * s;
  }
};

// One thread per row: cols is an action dimension (a few to a few dozen), so a serial
// sum per row is deterministic and as fast as the reads.
template <class T> struct SquashedForwardRow {
  const T* mu; const T* log_std; const T* eps; T* a; T* logp; int64_t cols;
  __device__ void operator()(int64_t r) const {
    T acc = T(0);
    for (int64_t i = r * cols; i < (r + 1) * cols; ++i) {
      if (a) a[i] = std::tanh(mu[i] + std::exp(log_std[i]) * eps[i]);
      if (logp) acc += math::squashed_log_prob_term(mu[i], log_std[i], eps[i]);
    }
    if (logp) logp[r] = acc;
  }
};

template <class T> struct SquashedSampleBackward {
  const T* log_std; const T* eps; const T* a; const T* da; T* dmu; T* dlog_std;
  __device__ void operator()(int64_t i) const {
    const T du = da[i] * (T(1) - a[i] * a[i]);
    if (dmu) dmu[i] += du;
    if (dlog_std) dlog_std[i] += du * std::exp(log_std[i]) * eps[i];
  }
};

template <class T> struct SquashedLogProbBackward {
  const T* mu; const T* log_std; const T* eps; const T* dlogp; T* dmu; T* dlog_std; int64_t cols;
  __device__ void operator()(int64_t i) const {
    T gmu = T(0), gls = T(0);
    math::squashed_log_prob_term_grad(mu[i], log_std[i], eps[i], &gmu, &gls);
    const T g = dlogp[i / cols];
    if (dmu) dmu[i] += g * gmu;
    if (dlog_std) dlog_std[i] += g * gls;
  }
};

void check_rows_cols(int64_t rows, int64_t cols, const char* what) {
  if (rows < 0 || cols < 0)
    throw std::invalid_argument(std::string(what) + ": rows and cols must be >= 0, got " + std::to_string(rows) +
                                ", " + std::to_string(cols));
}

}  // namespace

// ---- public entries ----

template <class T>
void soft_clamp_forward(const Broadcast& bc, const T* x, const T* lo, const T* hi, T* y, Stream stream) {
  detail::check_broadcast(bc, "cuda::soft_clamp_forward");
  detail::launch_map(SoftClampForward<T>{bc, x, lo, hi, y}, bc.numel(), stream);
}

template <class T>
void soft_clamp_backward(const Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx, T* dlo, T* dhi,
                         Stream stream) {
  detail::check_broadcast(bc, "cuda::soft_clamp_backward");
  if (dx) detail::launch_map(SoftClampBackwardX<T>{{bc, x, lo, hi, dy}, dx}, bc.numel(), stream);
  if (dlo) detail::launch_reduce(bc, SoftClampGrad<T, ClampPartial::lo>{bc, x, lo, hi, dy}, dlo, stream);
  if (dhi) detail::launch_reduce(bc, SoftClampGrad<T, ClampPartial::hi>{bc, x, lo, hi, dy}, dhi, stream);
}

template <class T>
void gaussian_sample_forward(const T* mu, const T* log_std, const T* eps, T* y, int64_t n, Stream stream) {
  detail::check_size(n, "cuda::gaussian_sample_forward");
  detail::launch_map(GaussianForward<T>{mu, log_std, eps, y}, n, stream);
}

template <class T>
void gaussian_sample_backward(const T* mu, const T* log_std, const T* eps, const T* dy, T* dmu, T* dlog_std, T* deps,
                              int64_t n, Stream stream) {
  detail::check_size(n, "cuda::gaussian_sample_backward");
  if (dmu || dlog_std || deps)
    detail::launch_map(GaussianBackward<T>{log_std, eps, dy, dmu, dlog_std, deps}, n, stream);
}

template <class T>
void squashed_gaussian_forward(const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows, int64_t cols,
                               Stream stream) {
  check_rows_cols(rows, cols, "cuda::squashed_gaussian_forward");
  if (a || logp) detail::launch_map(SquashedForwardRow<T>{mu, log_std, eps, a, logp, cols}, rows, stream);
}

template <class T>
void squashed_sample_backward(const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std, int64_t n,
                              Stream stream) {
  detail::check_size(n, "cuda::squashed_sample_backward");
  if (dmu || dlog_std) detail::launch_map(SquashedSampleBackward<T>{log_std, eps, a, da, dmu, dlog_std}, n, stream);
}

template <class T>
void squashed_log_prob_backward(const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu, T* dlog_std,
                                int64_t rows, int64_t cols, Stream stream) {
  check_rows_cols(rows, cols, "cuda::squashed_log_prob_backward");
  if ((dmu || dlog_std) && cols > 0)
    detail::launch_map(SquashedLogProbBackward<T>{mu, log_std, eps, dlogp, dmu, dlog_std, cols}, rows * cols, stream);
}

#define MAAC_INSTANTIATE(T)                                                                                      \
  template void soft_clamp_forward<T>(const Broadcast&, const T*, const T*, const T*, T*, Stream);              \
  template void soft_clamp_backward<T>(const Broadcast&, const T*, const T*, const T*, const T*, T*, T*, T*, Stream); \
  template void gaussian_sample_forward<T>(const T*, const T*, const T*, T*, int64_t, Stream);                  \
  template void gaussian_sample_backward<T>(const T*, const T*, const T*, const T*, T*, T*, T*, int64_t, Stream); \
  template void squashed_gaussian_forward<T>(const T*, const T*, const T*, T*, T*, int64_t, int64_t, Stream);   \
  template void squashed_sample_backward<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t, Stream);   \
  template void squashed_log_prob_backward<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t, Stream);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cuda
