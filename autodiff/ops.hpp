// Every differentiable op. Each is defined with its backward beside it in
// autodiff/ops/*.cpp and its formulas are listed in docs/ops.md.
// Shapes are rank 2 [rows, cols] or rank 3 [M, rows, cols] (ensembles) unless noted.
// Every op checks its arguments and throws std::invalid_argument naming the shapes.
#pragma once
#include <vector>

#include "autodiff/tape.hpp"
#include "kernels/math.cuh"

namespace maac {

using math::Unary;

// --- linear algebra (ops/linear.cpp) ---
template <class T> Var<T> matmul(Var<T> a, Var<T> b);                 // [n,k] x [k,m] -> [n,m]
// f(x[n,in] w[in,out] + b[1,out]); an activation other than the identity is fused with
// the bias (one kernel each way on cuda, see kernels/dense.hpp).
template <class T> Var<T> linear(Var<T> x, Var<T> w, Var<T> b, Unary activation = Unary::identity);
template <class T> Var<T> add_bias(Var<T> x, Var<T> b);               // x[..,n,d] + b[..,1,d]
// linear on two column blocks without concatenating them (ops/concat_linear.cpp):
// f([x1 | x2] w + b), x1[n,d1], x2[k n,d2] (k >= 1), w[d1+d2,out], b[1,out] -> [k n,out].
// With k > 1 the rows of x1 are read once for every block of n rows of x2 (equal to
// linear(concat_cols({tile_rows(x1, k), x2}), w, b, activation) up to float rounding).
template <class T>
Var<T> concat_linear(Var<T> x1, Var<T> x2, Var<T> w, Var<T> b, Unary activation = Unary::identity);

// --- ensembles (ops/ensemble_linear.cpp); W[M,in,out], b[M,1,out] ---
// All members: x[M,n,in] (member m sees its own rows) or x[n,in] (shared) -> [M,n,out].
// activation: fused as in linear.
template <class T> Var<T> ensemble_linear(Var<T> x, Var<T> w, Var<T> b, Unary activation = Unary::identity);
// Routed: x[n,in] with rows grouped by member; member m owns rows
// offsets[m] .. offsets[m+1] (offsets has M+1 entries) -> [n,out].
template <class T> Var<T> ensemble_linear_routed(Var<T> x, Var<T> w, Var<T> b, const std::vector<int32_t>& offsets);

// --- element-wise (ops/elementwise.cpp) ---
// Binary ops broadcast b over any dimension where b has size 1 (e.g. b[1,d], b[n,1], b[1,1]).
template <class T> Var<T> add(Var<T> a, Var<T> b);
template <class T> Var<T> sub(Var<T> a, Var<T> b);
template <class T> Var<T> mul(Var<T> a, Var<T> b);
template <class T> Var<T> minimum(Var<T> a, Var<T> b);               // element-wise min (twin Q)
template <class T> Var<T> atan2(Var<T> a, Var<T> b);                 // the angle of (b, a), in (-pi, pi]
template <class T> Var<T> scale(Var<T> x, double c);                  // c * x
template <class T> Var<T> add_scalar(Var<T> x, double c);             // x + c
template <class T> Var<T> unary(Unary f, Var<T> x);
template <class T> Var<T> exp(Var<T> x) { return unary(Unary::exp, x); }
template <class T> Var<T> log(Var<T> x) { return unary(Unary::log, x); }
template <class T> Var<T> square(Var<T> x) { return unary(Unary::square, x); }
template <class T> Var<T> reciprocal(Var<T> x) { return unary(Unary::reciprocal, x); }  // 1 / x
template <class T> Var<T> tanh(Var<T> x) { return unary(Unary::tanh, x); }
template <class T> Var<T> relu(Var<T> x) { return unary(Unary::relu, x); }
template <class T> Var<T> silu(Var<T> x) { return unary(Unary::silu, x); }
template <class T> Var<T> softplus(Var<T> x) { return unary(Unary::softplus, x); }
template <class T> Var<T> sigmoid(Var<T> x) { return unary(Unary::sigmoid, x); }
template <class T> Var<T> clamp(Var<T> x, double lo, double hi);      // gradient 0 outside (lo, hi)
// A constant 0/1 mask: 1 where lo < x < hi (closed: lo <= x <= hi); NaN gives 0, and
// inside(x, -inf, inf) is "x is finite". No gradient (termination masks).
template <class T> Var<T> inside(Var<T> x, double lo, double hi, bool closed = false);
// Log-std soft clamp with learnable bounds lo, hi broadcast like b above:
//   u = hi - softplus(hi - x);  y = lo + softplus(u - lo)
template <class T> Var<T> soft_clamp(Var<T> x, Var<T> lo, Var<T> hi);

// --- shapes and rows (ops/rows.cpp) ---
template <class T> Var<T> concat_cols(const std::vector<Var<T>>& parts);   // along features, <= 4 parts
template <class T> Var<T> slice_cols(Var<T> x, int64_t start, int64_t count);
template <class T> std::vector<Var<T>> split_cols(Var<T> x, const std::vector<int64_t>& sizes);
template <class T> Var<T> gather_rows(Var<T> x, const std::vector<int32_t>& rows);            // y[i] = x[rows[i]]
template <class T> Var<T> scatter_rows(Var<T> x, const std::vector<int32_t>& rows, int64_t n); // y[rows[i]] += x[i]
// all[M,n,d] -> [n,d], y[i] = all[member[i], i]: each row keeps one member's output of an
// all-members evaluation. member: n ids in the tape's device memory (host memory on a cpu
// tape, e.g. tape.indices()), read when the op runs and again in backward, so they must
// stay valid until then. No host data, so it can be captured in a CUDA graph. On cuda an
// id outside [0, M) gives a NaN row (ids are not read back); on cpu it throws.
template <class T> Var<T> select_members(Var<T> all, const int32_t* member);
template <class T> Var<T> tile_rows(Var<T> x, int64_t times);         // [n,d] -> [times*n, d], copies stacked
template <class T> Var<T> broadcast_rows(Var<T> x, int64_t n);        // [1,d] -> [n,d]
template <class T> Var<T> reshape(Var<T> x, Shape shape);             // same storage, no copy

// --- reductions (ops/reduce.cpp) ---
template <class T> Var<T> sum(Var<T> x);                              // -> [1,1]
template <class T> Var<T> mean(Var<T> x);                             // -> [1,1]
template <class T> Var<T> sum_rows(Var<T> x);                         // [..,n,d] -> [..,1,d]
template <class T> Var<T> mean_rows(Var<T> x);
template <class T> Var<T> sum_cols(Var<T> x);                         // [..,n,d] -> [..,n,1]
template <class T> Var<T> mean_cols(Var<T> x);

// --- Gaussians (ops/gaussian.cpp); noise eps is an input (DESIGN decision 4) ---
template <class T> Var<T> gaussian_sample(Var<T> mu, Var<T> log_std, Var<T> eps);  // mu + exp(log_std) eps
// a = tanh(mu + exp(log_std) eps)
template <class T> Var<T> squashed_gaussian_sample(Var<T> mu, Var<T> log_std, Var<T> eps);
// log pi(a) [n,1] of that sample, with the tanh log-det correction.
template <class T> Var<T> squashed_gaussian_log_prob(Var<T> mu, Var<T> log_std, Var<T> eps);

}  // namespace maac
