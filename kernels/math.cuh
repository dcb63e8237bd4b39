// One definition of the per-element math (DESIGN decision 1).
// Every function here is compiled by g++ for the CPU backend and by nvcc for the
// CUDA backend, so the CPU tests exercise the exact arithmetic the GPU runs.
#pragma once
#include <cfloat>
#include <cmath>

#include "kernels/hd.cuh"

namespace maac::math {

// Element-wise functions with a derivative; the tape's unary op selects one by value.
enum class Unary : int { identity, relu, tanh, silu, softplus, sigmoid, exp, log, square, reciprocal };

template <class T> MAAC_HD T sigmoid(T x) {
  // Two branches keep exp() from overflowing for large |x|.
  if (x >= T(0)) { T z = std::exp(-x); return T(1) / (T(1) + z); }
  T z = std::exp(x);
  return z / (T(1) + z);
}

template <class T> MAAC_HD T softplus(T x) {
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exact and overflow-free.
  return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

template <class T> MAAC_HD T unary_forward(Unary f, T x) {
  switch (f) {
    case Unary::identity: return x;
    case Unary::relu: return x > T(0) ? x : T(0);
    case Unary::tanh: return std::tanh(x);
    case Unary::silu: return x * sigmoid(x);
    case Unary::softplus: return softplus(x);
    case Unary::sigmoid: return sigmoid(x);
    case Unary::exp: return std::exp(x);
    case Unary::log: return std::log(x);
    case Unary::square: return x * x;
    case Unary::reciprocal: return T(1) / x;
  }
  return x;
}

// dy/dx given the input x and the forward output y (whichever is cheaper to use).
template <class T> MAAC_HD T unary_derivative(Unary f, T x, T y) {
  switch (f) {
    case Unary::identity: return T(1);
    case Unary::relu: return x > T(0) ? T(1) : T(0);
    case Unary::tanh: return T(1) - y * y;
    case Unary::silu: { T s = sigmoid(x); return s * (T(1) + x * (T(1) - s)); }
    case Unary::softplus: return sigmoid(x);
    case Unary::sigmoid: return y * (T(1) - y);
    case Unary::exp: return y;
    case Unary::log: return T(1) / x;
    case Unary::square: return T(2) * x;
    case Unary::reciprocal: return -y * y;
  }
  return T(1);
}

// Log-std soft clamp (PETS/MBPO): first under hi, then over lo, both smooth.
//   u = hi - softplus(hi - x);  y = lo + softplus(u - lo)
template <class T> MAAC_HD T soft_clamp(T x, T lo, T hi) {
  T u = hi - softplus(hi - x);
  return lo + softplus(u - lo);
}
template <class T> MAAC_HD void soft_clamp_grad(T x, T lo, T hi, T* dx, T* dlo, T* dhi) {
  T u = hi - softplus(hi - x);
  T s_lo = sigmoid(u - lo);     // dy/du
  T s_hi = sigmoid(hi - x);     // du/dx; du/dhi = 1 - s_hi
  *dx = s_lo * s_hi;
  *dhi = s_lo * (T(1) - s_hi);
  *dlo = T(1) - s_lo;
}

template <class T> MAAC_HD T clamp(T x, T lo, T hi) { return x < lo ? lo : (x > hi ? hi : x); }

// 1 where lo < x < hi (open) or lo <= x <= hi (closed), else 0; NaN gives 0, and with
// infinite bounds the open test is "x is finite". Compared in double, as C++ compares a
// float state with a double bound. Termination masks are built from it.
template <class T> MAAC_HD T inside(T x, double lo, double hi, bool closed) {
  const double v = static_cast<double>(x);
  const bool in = closed ? (lo <= v && v <= hi) : (lo < v && v < hi);
  return in ? T(1) : T(0);
}

// 0.5 * log(2*pi)
template <class T> MAAC_HD T half_log_2pi() { return T(0.91893853320467274178); }

// log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u)), stable for large |u|.
template <class T> MAAC_HD T log1m_tanh_sq(T u) {
  return T(2) * (T(0.69314718055994530942) - u - softplus(T(-2) * u));
}
// d/du log(1 - tanh(u)^2) = -2 tanh(u)
template <class T> MAAC_HD T log1m_tanh_sq_grad(T u) { return T(-2) * std::tanh(u); }

// One element of the tanh-squashed Gaussian log-density at a = tanh(mu + exp(log_std)*eps):
//   log N(u; mu, std) - log(1 - tanh(u)^2),  with (u - mu)/std = eps.
template <class T> MAAC_HD T squashed_log_prob_term(T mu, T log_std, T eps) {
  T u = mu + std::exp(log_std) * eps;
  return T(-0.5) * eps * eps - log_std - half_log_2pi<T>() - log1m_tanh_sq(u);
}
// Its partial derivatives with eps held fixed (reparameterisation: u depends on mu, log_std).
template <class T> MAAC_HD void squashed_log_prob_term_grad(T mu, T log_std, T eps, T* dmu, T* dlog_std) {
  T std_ = std::exp(log_std);
  T g = -log1m_tanh_sq_grad(mu + std_ * eps);  // d term / du
  *dmu = g;
  *dlog_std = T(-1) + g * std_ * eps;
}

// Adam with bias correction; bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.
template <class T> MAAC_HD void adam_step(T* p, T g, T* m, T* v, T lr, T beta1, T beta2, T eps,
                                          T bc1, T bc2, T weight_decay) {
  g += weight_decay * *p;
  *m = beta1 * *m + (T(1) - beta1) * g;
  *v = beta2 * *v + (T(1) - beta2) * g * g;
  T mhat = *m / bc1;
  T vhat = *v / bc2;
  *p -= lr * mhat / (std::sqrt(vhat) + eps);
}

// Polyak averaging: target <- (1 - tau) target + tau source.
template <class T> MAAC_HD T polyak(T target, T source, T tau) { return target + tau * (source - target); }

// Global-norm gradient clipping: the factor every gradient is multiplied by, from the
// squares of all of them summed (in double). max_norm / (norm + 1e-6) when the norm
// exceeds max_norm, else 1; also 1 when the norm is not finite, so the update's finite
// check sees the gradients as they were and skips the step (nothing NaN is spread).
MAAC_HD double clip_factor(double squared_norm, double max_norm) {
  const double norm = std::sqrt(squared_norm);
  const bool finite = norm <= DBL_MAX;  // false for NaN and infinity
  return finite && norm > max_norm ? max_norm / (norm + 1e-6) : 1.0;
}
// One clipped gradient: the factor is rounded to T, as on every device.
template <class T> MAAC_HD T clip_scaled(T g, double factor) { return g * static_cast<T>(factor); }

}  // namespace maac::math

namespace maac::math {

// Binary element-wise functions and their partial derivatives.
// atan2(a, b) is the angle of the point (b, a): Pendulum's reward reads its angle that way.
enum class Binary : int { add, sub, mul, min, atan2 };

template <class T> MAAC_HD T binary_forward(Binary f, T a, T b) {
  switch (f) {
    case Binary::add: return a + b;
    case Binary::sub: return a - b;
    case Binary::mul: return a * b;
    case Binary::min: return a <= b ? a : b;
    case Binary::atan2: return std::atan2(a, b);
  }
  return a;
}
// d f / d a and d f / d b. min sends the gradient to a on ties.
template <class T> MAAC_HD void binary_partials(Binary f, T a, T b, T* da, T* db) {
  switch (f) {
    case Binary::add: *da = T(1); *db = T(1); return;
    case Binary::sub: *da = T(1); *db = T(-1); return;
    case Binary::mul: *da = b; *db = a; return;
    case Binary::min: *da = a <= b ? T(1) : T(0); *db = T(1) - *da; return;
    case Binary::atan2: {
      const T r2 = a * a + b * b;
      *da = b / r2;
      *db = -a / r2;
      return;
    }
  }
}

}  // namespace maac::math
