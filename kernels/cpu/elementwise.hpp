// CPU loops over the shared per-element math (kernels/math.cuh).
// Layout: a tensor is [B, R, C]; an operand that broadcasts has stride 0 there.
#pragma once
#include <cstdint>

#include "kernels/math.cuh"

namespace maac::cpu {

// Where element (m, r, c) of a [B, R, C] tensor finds its broadcast operand.
struct Broadcast {
  int64_t B = 1, R = 1, C = 1;     // the full (output) extent
  int64_t sb = 0, sr = 0, sc = 0;  // the operand's strides, 0 on broadcast dimensions
  int64_t at(int64_t m, int64_t r, int64_t c) const { return m * sb + r * sr + c * sc; }
  // The same for element i of the full tensor, counted row-major.
  int64_t at(int64_t i) const { return at(i / C / R, i / C % R, i % C); }
  int64_t numel() const { return B * R * C; }
};

template <class T>
void unary_forward(math::Unary f, const T* x, T* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = math::unary_forward(f, x[i]);
}

// dx += dy * f'(x)
template <class T>
void unary_backward(math::Unary f, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * math::unary_derivative(f, x[i], y[i]);
}

// y = f(a, b) with b broadcast.
template <class T>
void binary_forward(math::Binary f, const Broadcast& bc, const T* a, const T* b, T* y) {
  int64_t i = 0;
  for (int64_t m = 0; m < bc.B; ++m)
    for (int64_t r = 0; r < bc.R; ++r)
      for (int64_t c = 0; c < bc.C; ++c, ++i) y[i] = math::binary_forward(f, a[i], b[bc.at(m, r, c)]);
}

// da += dy * df/da; db (broadcast) += dy * df/db. Either may be null.
template <class T>
void binary_backward(math::Binary f, const Broadcast& bc, const T* a, const T* b, const T* dy, T* da, T* db) {
  int64_t i = 0;
  for (int64_t m = 0; m < bc.B; ++m)
    for (int64_t r = 0; r < bc.R; ++r)
      for (int64_t c = 0; c < bc.C; ++c, ++i) {
        int64_t j = bc.at(m, r, c);
        T pa = T(0), pb = T(0);
        math::binary_partials(f, a[i], b[j], &pa, &pb);
        if (da) da[i] += dy[i] * pa;
        if (db) db[j] += dy[i] * pb;
      }
}

// y = soft_clamp(x, lo, hi) with lo and hi broadcast the same way.
template <class T>
void soft_clamp_forward(const Broadcast& bc, const T* x, const T* lo, const T* hi, T* y) {
  int64_t i = 0;
  for (int64_t m = 0; m < bc.B; ++m)
    for (int64_t r = 0; r < bc.R; ++r)
      for (int64_t c = 0; c < bc.C; ++c, ++i) {
        int64_t j = bc.at(m, r, c);
        y[i] = math::soft_clamp(x[i], lo[j], hi[j]);
      }
}

template <class T>
void soft_clamp_backward(const Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx,
                         T* dlo, T* dhi) {
  int64_t i = 0;
  for (int64_t m = 0; m < bc.B; ++m)
    for (int64_t r = 0; r < bc.R; ++r)
      for (int64_t c = 0; c < bc.C; ++c, ++i) {
        int64_t j = bc.at(m, r, c);
        T gx = T(0), glo = T(0), ghi = T(0);
        math::soft_clamp_grad(x[i], lo[j], hi[j], &gx, &glo, &ghi);
        if (dx) dx[i] += dy[i] * gx;
        if (dlo) dlo[j] += dy[i] * glo;
        if (dhi) dhi[j] += dy[i] * ghi;
      }
}

// y = mu + exp(log_std) * eps
template <class T>
void gaussian_sample_forward(const T* mu, const T* log_std, const T* eps, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = mu[i] + std::exp(log_std[i]) * eps[i];
}

// a = tanh(mu + exp(log_std) eps); logp[r] = sum_c squashed_log_prob_term (rows x cols).
template <class T>
void squashed_gaussian_forward(const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows,
                               int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    T acc = T(0);
    for (int64_t c = 0; c < cols; ++c) {
      int64_t i = r * cols + c;
      if (a) a[i] = std::tanh(mu[i] + std::exp(log_std[i]) * eps[i]);
      if (logp) acc += math::squashed_log_prob_term(mu[i], log_std[i], eps[i]);
    }
    if (logp) logp[r] = acc;
  }
}

// Gradients of gaussian_sample; any output pointer may be null.
template <class T>
void gaussian_sample_backward(const T* mu, const T* log_std, const T* eps, const T* dy, T* dmu, T* dlog_std,
                              T* deps, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T s = std::exp(log_std[i]);
    if (dmu) dmu[i] += dy[i];
    if (dlog_std) dlog_std[i] += dy[i] * s * eps[i];
    if (deps) deps[i] += dy[i] * s;
  }
}

// Gradients of a = tanh(u), u = mu + exp(log_std) eps, given da (eps held fixed).
template <class T>
void squashed_sample_backward(const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std,
                              int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T du = da[i] * (T(1) - a[i] * a[i]);
    if (dmu) dmu[i] += du;
    if (dlog_std) dlog_std[i] += du * std::exp(log_std[i]) * eps[i];
  }
}

// Gradients of logp[r] = sum_c term(mu, log_std, eps), given dlogp[r] (eps held fixed).
template <class T>
void squashed_log_prob_backward(const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu,
                                T* dlog_std, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t i = r * cols + c;
      T gmu = T(0), gls = T(0);
      math::squashed_log_prob_term_grad(mu[i], log_std[i], eps[i], &gmu, &gls);
      if (dmu) dmu[i] += dlogp[r] * gmu;
      if (dlog_std) dlog_std[i] += dlogp[r] * gls;
    }
}

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, int64_t n, T lr, T beta1, T beta2, T eps, T bc1, T bc2,
                 T weight_decay) {
  for (int64_t i = 0; i < n; ++i) math::adam_step(p + i, g[i], m + i, v + i, lr, beta1, beta2, eps, bc1, bc2, weight_decay);
}

template <class T>
void polyak_update(T* target, const T* source, int64_t n, T tau) {
  for (int64_t i = 0; i < n; ++i) target[i] = math::polyak(target[i], source[i], tau);
}

// y = c x + d (scale, add_scalar). x may equal y.
template <class T> void affine(const T* x, T* y, int64_t n, T c, T d) {
  for (int64_t i = 0; i < n; ++i) y[i] = c * x[i] + d;
}

// y += c x (the gradient of affine; a backward seed with c = 1).
template <class T> void axpy(T c, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += c * x[i];
}

// y = min(max(x, lo), hi);  dx += dy where lo < x < hi.
template <class T> void clamp_forward(const T* x, T* y, int64_t n, T lo, T hi) {
  for (int64_t i = 0; i < n; ++i) y[i] = math::clamp(x[i], lo, hi);
}
template <class T> void clamp_backward(const T* x, const T* dy, T* dx, int64_t n, T lo, T hi) {
  for (int64_t i = 0; i < n; ++i)
    if (x[i] > lo && x[i] < hi) dx[i] += dy[i];
}

// y = math::inside(x, lo, hi, closed): a 0/1 mask.
template <class T> void inside(const T* x, T* y, int64_t n, double lo, double hi, bool closed) {
  for (int64_t i = 0; i < n; ++i) y[i] = math::inside(x[i], lo, hi, closed);
}

// *out += sum_i x[i]^2, in double, in index order.
template <class T> void sum_squares_add(const T* x, int64_t n, double* out) {
  double acc = *out;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * x[i];
  *out = acc;
}

// g = math::clip_scaled(g, math::clip_factor(*squared_norm, max_norm)); nothing when the
// factor is 1 (norm within bounds, or not finite).
template <class T> void clip_scale(T* g, int64_t n, const double* squared_norm, double max_norm) {
  const double factor = math::clip_factor(*squared_norm, max_norm);
  if (factor == 1.0) return;
  for (int64_t i = 0; i < n; ++i) g[i] = math::clip_scaled(g[i], factor);
}

}  // namespace maac::cpu
