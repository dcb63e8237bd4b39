#include "kernels/cpu/activations.hpp"

#include <Eigen/Core>
#include <algorithm>

#include "kernels/cpu/elementwise.hpp"
#include "kernels/cpu/parallel.hpp"

namespace maac::cpu {
namespace {

template <class T> using ConstArray = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T> using Array = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

// Large arrays are split across the CPU threads in cache-sized blocks.
constexpr int64_t kBlock = 16384;

template <class Fn> void for_blocks(int64_t n, Fn&& fn) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  parallel_range(blocks, n > 2 * kBlock ? kBlock : 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b * kBlock, std::min(kBlock, n - b * kBlock));
  });
}

// 1 / (1 + e^-x) through Eigen's accurate SIMD exp (Eigen's own logistic() trades up
// to 5e-5 relative error for speed); e^-x = inf for very negative x gives exactly 0.
template <class T, class E> auto sigmoid(const E& x) { return (T(1) + (-x).exp()).inverse(); }

template <class T> void forward_block(math::Unary f, const T* xp, T* yp, int64_t n) {
  ConstArray<T> x(xp, n);
  Array<T> y(yp, n);
  switch (f) {
    case math::Unary::identity: y = x; return;
    case math::Unary::relu: y = x.max(T(0)); return;
    case math::Unary::tanh: y = x.tanh(); return;
    case math::Unary::silu: y = x * sigmoid<T>(x); return;
    case math::Unary::sigmoid: y = sigmoid<T>(x); return;
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
      s = sigmoid<T>(x);
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

// log(1 + e^v) = max(v, 0) + log1p(e^-|v|), as math::softplus, on whole arrays.
template <class T, class E> auto softplus(const E& v) { return v.max(T(0)) + (-v.abs()).exp().log1p(); }

// Per-thread scratch arrays, grown once to a block: no allocation in steady state.
template <class T> struct SoftClampScratch {
  Eigen::Array<T, Eigen::Dynamic, 1> lo, hi, u, s_lo, s_hi;
  void fit(int64_t n) {
    if (lo.size() >= n) return;
    for (auto* a : {&lo, &hi, &u, &s_lo, &s_hi}) a->resize(std::max(n, kBlock));
  }
};
template <class T> SoftClampScratch<T>& soft_clamp_scratch(int64_t n) {
  thread_local SoftClampScratch<T> s;
  s.fit(n);
  return s;
}

// The bounds of elements start .. start+len of the full tensor, laid out like x.
template <class T>
void expand_bounds(const Broadcast& bc, const T* lo, const T* hi, int64_t start, int64_t len, T* lo_out, T* hi_out) {
  for (int64_t k = 0; k < len; ++k) {
    const int64_t j = bc.at(start + k);
    lo_out[k] = lo[j];
    hi_out[k] = hi[j];
  }
}

// u = hi - softplus(hi - x) into s.u, the first (upper) stage of the clamp.
template <class T> void upper_stage(SoftClampScratch<T>& s, const ConstArray<T>& x, int64_t n) {
  s.u.head(n) = s.hi.head(n) - x;                        // hi - x
  s.u.head(n) = s.hi.head(n) - softplus<T>(s.u.head(n));  // each element read before written
}

// Whole rows at a time (the log-prob sums along them), about one block's elements each.
template <class Fn> void for_row_blocks(int64_t rows, int64_t cols, Fn&& fn) {
  const int64_t per_block = std::max<int64_t>(1, kBlock / std::max<int64_t>(cols, 1));
  const int64_t blocks = (rows + per_block - 1) / per_block;
  parallel_range(blocks, rows * cols > 2 * kBlock ? kBlock : 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b * per_block, std::min(per_block, rows - b * per_block));
  });
}

// u = mu + exp(log_std) eps into `u`, and exp(log_std) into `std_out` when given.
template <class T>
void pre_squash(const T* mu, const T* log_std, const T* eps, int64_t n, Eigen::Array<T, Eigen::Dynamic, 1>& u,
                Eigen::Array<T, Eigen::Dynamic, 1>* std_out) {
  const ConstArray<T> m(mu, n), ls(log_std, n), e(eps, n);
  if (std_out) {
    std_out->head(n) = ls.exp();
    u.head(n) = m + std_out->head(n) * e;
  } else {
    u.head(n) = m + ls.exp() * e;
  }
}

template <class T> struct SquashScratch {
  Eigen::Array<T, Eigen::Dynamic, 1> u, std, term;
  void fit(int64_t n) {
    if (u.size() >= n) return;
    for (auto* a : {&u, &std, &term}) a->resize(std::max(n, kBlock));
  }
};
template <class T> SquashScratch<T>& squash_scratch(int64_t n) {
  thread_local SquashScratch<T> s;
  s.fit(n);
  return s;
}

}  // namespace

template <class T> void vector_soft_clamp_forward(const Broadcast& bc, const T* x, const T* lo, const T* hi, T* y) {
  for_blocks(bc.numel(), [&](int64_t start, int64_t n) {
    SoftClampScratch<T>& s = soft_clamp_scratch<T>(n);
    expand_bounds(bc, lo, hi, start, n, s.lo.data(), s.hi.data());
    upper_stage(s, ConstArray<T>(x + start, n), n);
    s.u.head(n) -= s.lo.head(n);  // u - lo
    Array<T>(y + start, n) = s.lo.head(n) + softplus<T>(s.u.head(n));
  });
}

// dx = s_lo s_hi, dhi = s_lo (1 - s_hi), dlo = 1 - s_lo with s_hi = sigmoid(hi - x) and
// s_lo = sigmoid(u - lo) (math::soft_clamp_grad). The bound gradients add many elements
// into each bound, so blocks then run one after another.
template <class T>
void vector_soft_clamp_backward(const Broadcast& bc, const T* x, const T* lo, const T* hi, const T* dy, T* dx, T* dlo,
                                T* dhi) {
  auto block = [&](int64_t start, int64_t n) {
    SoftClampScratch<T>& s = soft_clamp_scratch<T>(n);
    expand_bounds(bc, lo, hi, start, n, s.lo.data(), s.hi.data());
    const ConstArray<T> xs(x + start, n), dys(dy + start, n);
    s.s_hi.head(n) = sigmoid<T>(ConstArray<T>(s.hi.data(), n) - xs);
    upper_stage(s, xs, n);
    s.s_lo.head(n) = sigmoid<T>(ConstArray<T>(s.u.data(), n) - s.lo.head(n));
    if (dx) Array<T>(dx + start, n) += dys * s.s_lo.head(n) * s.s_hi.head(n);
    if (!dlo && !dhi) return;
    // Per element: dlo into s.lo, dhi into s.hi (the bounds are no longer needed), then
    // each is added into the bound element it came from.
    s.lo.head(n) = dys * (T(1) - s.s_lo.head(n));
    s.hi.head(n) = dys * s.s_lo.head(n) * (T(1) - s.s_hi.head(n));
    for (int64_t k = 0; k < n; ++k) {
      const int64_t j = bc.at(start + k);
      if (dlo) dlo[j] += s.lo[k];
      if (dhi) dhi[j] += s.hi[k];
    }
  };
  const int64_t total = bc.numel();
  if (dlo || dhi) {
    for (int64_t start = 0; start < total; start += kBlock) block(start, std::min(kBlock, total - start));
  } else {
    for_blocks(total, block);
  }
}

template <class T>
void vector_squashed_gaussian_forward(const T* mu, const T* log_std, const T* eps, T* a, T* logp, int64_t rows,
                                      int64_t cols) {
  for_row_blocks(rows, cols, [&](int64_t r0, int64_t nr) {
    const int64_t o = r0 * cols, n = nr * cols;
    SquashScratch<T>& s = squash_scratch<T>(n);
    pre_squash<T>(mu + o, log_std + o, eps + o, n, s.u, nullptr);
    const auto u = s.u.head(n);
    if (a) Array<T>(a + o, n) = u.tanh();
    if (!logp) return;
    // math::squashed_log_prob_term: -eps^2/2 - log_std - log(2 pi)/2 - log(1 - tanh(u)^2)
    const ConstArray<T> e(eps + o, n), ls(log_std + o, n);
    s.term.head(n) = T(-0.5) * e.square() - ls - math::half_log_2pi<T>() -
                     T(2) * (T(0.69314718055994530942) - u - softplus<T>(T(-2) * u));
    for (int64_t r = 0; r < nr; ++r) {
      T acc = T(0);
      for (int64_t c = 0; c < cols; ++c) acc += s.term[r * cols + c];
      logp[r0 + r] = acc;
    }
  });
}

template <class T>
void vector_squashed_sample_backward(const T* log_std, const T* eps, const T* a, const T* da, T* dmu, T* dlog_std,
                                     int64_t n) {
  for_blocks(n, [&](int64_t o, int64_t len) {
    SquashScratch<T>& s = squash_scratch<T>(len);
    const ConstArray<T> as(a + o, len), das(da + o, len);
    s.u.head(len) = das * (T(1) - as.square());  // du
    if (dmu) Array<T>(dmu + o, len) += s.u.head(len);
    if (dlog_std)
      Array<T>(dlog_std + o, len) += s.u.head(len) * ConstArray<T>(log_std + o, len).exp() * ConstArray<T>(eps + o, len);
  });
}

// With g = 2 tanh(u): dmu += dlogp g;  dlog_std += dlogp (g exp(log_std) eps - 1).
template <class T>
void vector_squashed_log_prob_backward(const T* mu, const T* log_std, const T* eps, const T* dlogp, T* dmu,
                                       T* dlog_std, int64_t rows, int64_t cols) {
  for_row_blocks(rows, cols, [&](int64_t r0, int64_t nr) {
    const int64_t o = r0 * cols, n = nr * cols;
    SquashScratch<T>& s = squash_scratch<T>(n);
    pre_squash(mu + o, log_std + o, eps + o, n, s.u, &s.std);
    for (int64_t r = 0; r < nr; ++r)  // each row's dlogp, repeated along the row
      for (int64_t c = 0; c < cols; ++c) s.term[r * cols + c] = dlogp[r0 + r];
    s.u.head(n) = T(2) * s.u.head(n).tanh();  // g
    if (dmu) Array<T>(dmu + o, n) += s.term.head(n) * s.u.head(n);
    if (dlog_std)
      Array<T>(dlog_std + o, n) +=
          s.term.head(n) * (s.u.head(n) * s.std.head(n) * ConstArray<T>(eps + o, n) - T(1));
  });
}

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
template void vector_soft_clamp_forward<float>(const Broadcast&, const float*, const float*, const float*, float*);
template void vector_soft_clamp_forward<double>(const Broadcast&, const double*, const double*, const double*, double*);
template void vector_soft_clamp_backward<float>(const Broadcast&, const float*, const float*, const float*,
                                                const float*, float*, float*, float*);
template void vector_soft_clamp_backward<double>(const Broadcast&, const double*, const double*, const double*,
                                                 const double*, double*, double*, double*);
#define MAAC_INSTANTIATE(T)                                                                                         \
  template void vector_squashed_gaussian_forward<T>(const T*, const T*, const T*, T*, T*, int64_t, int64_t);      \
  template void vector_squashed_sample_backward<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t);      \
  template void vector_squashed_log_prob_backward<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac::cpu
