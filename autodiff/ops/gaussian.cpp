// Reparameterised Gaussian samples; eps is an input (DESIGN decision 4).
#include <algorithm>

#include "autodiff/ops/common.hpp"
#include "kernels/sampling.hpp"

namespace maac {
using detail::fail;

namespace {
template <class T> void check_gaussian(const char* op, Var<T> mu, Var<T> log_std, Var<T> eps) {
  detail::check_inputs<T>(op, {{"mu", mu}, {"log_std", log_std}, {"eps", eps}});
  if (mu.shape() != log_std.shape() || mu.shape() != eps.shape())
    fail(op, "mu " + mu.shape().str() + ", log_std " + log_std.shape().str() + ", eps " + eps.shape().str() +
                 ": expected equal shapes");
}
}  // namespace

// y = mu + exp(log_std) eps;  dmu += dy;  dlog_std += dy exp(log_std) eps;  deps += dy exp(log_std)
template <class T> static void gaussian_sample_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& y = t.node(r.out);
  auto& mu = t.node(r.in[0]);
  auto& ls = t.node(r.in[1]);
  auto& eps = t.node(r.in[2]);
  kernels::gaussian_sample_backward(t.where(), mu.value, ls.value, eps.value, y.grad, mu.grad, ls.grad, eps.grad,
                                    y.shape.numel());
}

template <class T> Var<T> gaussian_sample(Var<T> mu, Var<T> log_std, Var<T> eps) {
  check_gaussian("gaussian_sample", mu, log_std, eps);
  Var<T> y = mu.tape->result(mu.shape(), detail::any_grad(mu, log_std, eps));
  kernels::gaussian_sample_forward(mu.tape->where(), mu.value(), log_std.value(), eps.value(), y.value(), mu.numel());
  if (y.requires_grad()) mu.tape->record({&gaussian_sample_backward<T>, y.id, {mu.id, log_std.id, eps.id, -1}});
  return y;
}

// a = tanh(u), u = mu + exp(log_std) eps;  du = da (1 - a^2);  dmu += du;  dlog_std += du exp(log_std) eps
template <class T> static void squashed_sample_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& a = t.node(r.out);
  auto& mu = t.node(r.in[0]);
  auto& ls = t.node(r.in[1]);
  auto& eps = t.node(r.in[2]);
  kernels::squashed_sample_backward(t.where(), ls.value, eps.value, a.value, a.grad, mu.grad, ls.grad,
                                    a.shape.numel());
}

template <class T> Var<T> squashed_gaussian_sample(Var<T> mu, Var<T> log_std, Var<T> eps) {
  check_gaussian("squashed_gaussian_sample", mu, log_std, eps);
  if (eps.requires_grad()) fail("squashed_gaussian_sample", "eps requires a gradient: expected noise as a constant");
  Var<T> a = mu.tape->result(mu.shape(), detail::any_grad(mu, log_std));
  // Element-wise: every leading dimension (an ensemble's M too) counts as rows.
  const int64_t rows = mu.numel() / std::max<int64_t>(mu.cols(), 1);
  kernels::squashed_gaussian_forward<T>(mu.tape->where(), mu.value(), log_std.value(), eps.value(), a.value(), nullptr,
                                        rows, mu.cols());
  if (a.requires_grad()) mu.tape->record({&squashed_sample_backward<T>, a.id, {mu.id, log_std.id, eps.id, -1}});
  return a;
}

// logp[r] = sum_c -eps^2/2 - log_std - log(2 pi)/2 - log(1 - tanh(u)^2)
//   dmu += dlogp 2 tanh(u);  dlog_std += dlogp (-1 + 2 tanh(u) exp(log_std) eps)
template <class T> static void squashed_log_prob_backward(Tape<T>& t, const typename Tape<T>::Record& r) {
  auto& lp = t.node(r.out);
  auto& mu = t.node(r.in[0]);
  auto& ls = t.node(r.in[1]);
  auto& eps = t.node(r.in[2]);
  kernels::squashed_log_prob_backward(t.where(), mu.value, ls.value, eps.value, lp.grad, mu.grad, ls.grad,
                                      mu.shape.rows(), mu.shape.cols());
}

template <class T> Var<T> squashed_gaussian_log_prob(Var<T> mu, Var<T> log_std, Var<T> eps) {
  check_gaussian("squashed_gaussian_log_prob", mu, log_std, eps);
  if (eps.requires_grad()) fail("squashed_gaussian_log_prob", "eps requires a gradient: expected noise as a constant");
  if (mu.shape().rank() != 2) fail("squashed_gaussian_log_prob", "mu " + mu.shape().str() + ": expected [n,d]");
  Var<T> lp = mu.tape->result(Shape{mu.rows(), 1}, detail::any_grad(mu, log_std));
  kernels::squashed_gaussian_forward<T>(mu.tape->where(), mu.value(), log_std.value(), eps.value(), nullptr,
                                        lp.value(), mu.rows(), mu.cols());
  if (lp.requires_grad()) mu.tape->record({&squashed_log_prob_backward<T>, lp.id, {mu.id, log_std.id, eps.id, -1}});
  return lp;
}

#define MAAC_INSTANTIATE(T)                                              \
  template Var<T> gaussian_sample(Var<T>, Var<T>, Var<T>);              \
  template Var<T> squashed_gaussian_sample(Var<T>, Var<T>, Var<T>);     \
  template Var<T> squashed_gaussian_log_prob(Var<T>, Var<T>, Var<T>);
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
#undef MAAC_INSTANTIATE

}  // namespace maac
