#include "rl/dynamics_model.hpp"

#include "rl/module_device.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {
std::vector<int64_t> layer_sizes(int64_t in, const std::vector<int64_t>& hidden, int64_t out) {
  std::vector<int64_t> s{in};
  s.insert(s.end(), hidden.begin(), hidden.end());
  s.push_back(2 * out);  // mean and log-variance heads
  return s;
}
const DynamicsModelOptions& checked(const DynamicsModelOptions& o, int64_t obs, int64_t act) {
  if (obs < 1 || act < 1 || o.members < 1)
    throw std::invalid_argument("DynamicsModel: obs " + std::to_string(obs) + ", act " + std::to_string(act) +
                                ", members " + std::to_string(o.members) + ": expected all >= 1");
  if (!(o.init_min_log_var < o.init_max_log_var))
    throw std::invalid_argument("DynamicsModel: log-variance bounds min " + std::to_string(o.init_min_log_var) +
                                ", max " + std::to_string(o.init_max_log_var) + ": expected min < max");
  return o;
}
}  // namespace

template <class T>
DynamicsModel<T>::DynamicsModel(int64_t obs_dim, int64_t act_dim, DynamicsModelOptions options, Rng& rng)
    : obs_(obs_dim),
      act_(act_dim),
      options_(checked(options, obs_dim, act_dim)),
      net_("dynamics", options.members,
           layer_sizes(obs_dim + act_dim, options.hidden, obs_dim + (options.predict_reward ? 1 : 0)),
           options.activation, rng),
      max_log_var_("dynamics.max_log_var", Shape{1, obs_dim + (options.predict_reward ? 1 : 0)}),
      min_log_var_("dynamics.min_log_var", Shape{1, obs_dim + (options.predict_reward ? 1 : 0)}),
      in_norm_(options.members, obs_dim + act_dim),
      out_norm_(options.members, obs_dim + (options.predict_reward ? 1 : 0)) {
  max_log_var_.value().fill(T(options.init_max_log_var));
  min_log_var_.value().fill(T(options.init_min_log_var));
  sampling_members_.resize(static_cast<size_t>(options.members));
  std::iota(sampling_members_.begin(), sampling_members_.end(), 0);
}

template <class T>
void DynamicsModel<T>::set_elites(std::vector<int32_t> elites) {
  if (elites.empty()) throw std::invalid_argument("DynamicsModel::set_elites: empty list, expected >= 1 member");
  for (int32_t m : elites)
    if (m < 0 || m >= members())
      throw std::invalid_argument("DynamicsModel::set_elites: member " + std::to_string(m) + ", expected 0 <= m < " +
                                  std::to_string(members()));
  sampling_members_ = std::move(elites);
}

template <class T>
typename DynamicsModel<T>::Prediction DynamicsModel<T>::heads(Var<T> out) {
  Tape<T>& tape = *out.tape;
  std::vector<Var<T>> parts = split_cols(out, {out_dim(), out_dim()});
  // Soft bounds keep the variance away from 0 and infinity while staying differentiable.
  Var<T> log_var = soft_clamp(parts[1], tape.param(min_log_var_), tape.param(max_log_var_));
  return {parts[0], log_var};
}

template <class T>
Var<T> DynamicsModel<T>::noise_scale(Var<T> log_var, ModelNoiseScale noise) {
  return noise == ModelNoiseScale::std_dev ? scale(log_var, 0.5) : log_var;
}

template <class T>
typename DynamicsModel<T>::Prediction DynamicsModel<T>::predict_all(Tape<T>& tape, Var<T> x) {
  const int64_t M = members();
  if (x.cols() != in_dim() || (x.shape().rank() == 3 && x.shape()[0] != M) || x.shape().rank() == 1)
    throw std::invalid_argument("DynamicsModel::predict_all: x " + x.shape().str() + ", expected [n, " +
                                std::to_string(in_dim()) + "] or [" + std::to_string(M) + ", n, " +
                                std::to_string(in_dim()) + "]");
  // x: [M, n, in], each member normalised with its own statistics.
  if (x.shape().rank() == 2) x = reshape(tile_rows(x, M), Shape{M, x.rows(), in_dim()});
  Var<T> xn = mul(sub(x, in_norm_.mean_all(tape)), in_norm_.inv_std_all(tape));
  return heads(net_.forward_all(tape, xn));
}

template <class T>
typename DynamicsModel<T>::Prediction DynamicsModel<T>::predict_rows(Tape<T>& tape, Var<T> x,
                                                                     const std::vector<int32_t>& member_of_row,
                                                                     EnsembleEvaluation evaluation) {
  const int64_t n = x.rows(), M = members();
  if (x.shape().rank() != 2 || x.cols() != in_dim() || static_cast<int64_t>(member_of_row.size()) != n)
    throw std::invalid_argument("DynamicsModel::predict_rows: x " + x.shape().str() + " with " +
                                std::to_string(member_of_row.size()) + " member choices, expected [n, " +
                                std::to_string(in_dim()) + "] and n choices");
  if (evaluation == EnsembleEvaluation::routed) {
    // x: [n, in] normalised row by row with the statistics of the row's member.
    Var<T> xn = mul(sub(x, in_norm_.mean_rows(tape, member_of_row)), in_norm_.inv_std_rows(tape, member_of_row));
    return heads(net_.forward_routed(tape, xn, route_rows(member_of_row, M)));
  }
  // All members on all rows, then each row keeps its member's output: the graph-mode
  // code with the host ids copied to the tape's device (checked here, where they are read).
  for (int64_t i = 0; i < n; ++i)
    if (member_of_row[i] < 0 || member_of_row[i] >= M)
      throw std::invalid_argument("DynamicsModel::predict_rows: row " + std::to_string(i) + " has member " +
                                  std::to_string(member_of_row[i]) + ", expected < " + std::to_string(M));
  return predict_selected(tape, x, tape.upload_indices(member_of_row.data(), n));
}

template <class T>
typename DynamicsModel<T>::Prediction DynamicsModel<T>::predict_selected(Tape<T>& tape, Var<T> x,
                                                                         const int32_t* member) {
  const int64_t n = x.rows(), M = members();
  if (x.shape().rank() != 2 || x.cols() != in_dim() || member == nullptr)
    throw std::invalid_argument("DynamicsModel::predict_selected: x " + x.shape().str() +
                                (member ? "" : " without member ids") + ", expected [n, " + std::to_string(in_dim()) +
                                "] and n member ids");
  Var<T> xt = reshape(tile_rows(x, M), Shape{M, n, in_dim()});
  Var<T> xn = mul(sub(xt, in_norm_.mean_all(tape)), in_norm_.inv_std_all(tape));
  Var<T> out = net_.forward_all(tape, xn);  // [M, n, 2 out]
  return heads(select_members(out, member));
}

template <class T>
void DynamicsModel<T>::check_sample(const char* who, Var<T> s, Var<T> a, Var<T> eps) const {
  if (s.shape() != Shape{s.rows(), obs_} || a.shape() != Shape{s.rows(), act_} ||
      eps.shape() != Shape{s.rows(), out_dim()} || eps.requires_grad())
    throw std::invalid_argument(std::string("DynamicsModel::") + who + ": s " + s.shape().str() + ", a " +
                                a.shape().str() + ", eps " + eps.shape().str() + ": expected [n, " +
                                std::to_string(obs_) + "], [n, " + std::to_string(act_) + "] and constant [n, " +
                                std::to_string(out_dim()) + "]");
}

template <class T>
Var<T> DynamicsModel<T>::sample_selected(Tape<T>& tape, Var<T> s, Var<T> a, const int32_t* member, Var<T> eps,
                                         ModelNoiseScale noise) {
  check_sample("sample_selected", s, a, eps);
  Prediction p = predict_selected(tape, concat_cols<T>({s, a}), member);
  Var<T> z = gaussian_sample(p.mean, noise_scale(p.log_var, noise), eps);
  return add(mul(z, out_norm_.std_selected(tape, member, s.rows())), out_norm_.mean_selected(tape, member, s.rows()));
}

template <class T>
Var<T> DynamicsModel<T>::next_state_selected(Tape<T>& tape, Var<T> s, Var<T> a, const int32_t* member, Var<T> eps,
                                             ModelNoiseScale noise) {
  Var<T> y = sample_selected(tape, s, a, member, eps, noise);
  return add(s, out_dim() == obs_ ? y : slice_cols(y, 0, obs_));
}

template <class T>
bool DynamicsModel<T>::sync_device() const {
  const bool in = in_norm_.sync_device();
  const bool out = out_norm_.sync_device();
  return in || out;
}

template <class T>
Var<T> DynamicsModel<T>::sample_rows(Tape<T>& tape, Var<T> s, Var<T> a, const std::vector<int32_t>& member_of_row,
                                     Var<T> eps, EnsembleEvaluation evaluation, ModelNoiseScale noise) {
  check_sample("sample_rows", s, a, eps);
  Prediction p = predict_rows(tape, concat_cols<T>({s, a}), member_of_row, evaluation);
  // z: [n, out] in normalised space, then mapped back with the row's member statistics.
  Var<T> z = gaussian_sample(p.mean, noise_scale(p.log_var, noise), eps);
  return add(mul(z, out_norm_.std_rows(tape, member_of_row)), out_norm_.mean_rows(tape, member_of_row));
}

template <class T>
Var<T> DynamicsModel<T>::next_state_rows(Tape<T>& tape, Var<T> s, Var<T> a, const std::vector<int32_t>& member_of_row,
                                         Var<T> eps, EnsembleEvaluation evaluation, ModelNoiseScale noise) {
  Var<T> y = sample_rows(tape, s, a, member_of_row, eps, evaluation, noise);
  return add(s, out_dim() == obs_ ? y : slice_cols(y, 0, obs_));
}

template <class T>
Var<T> DynamicsModel<T>::infer_noise_rows(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> y,
                                          const std::vector<int32_t>& member_of_row, EnsembleEvaluation evaluation,
                                          ModelNoiseScale noise) {
  if (y.shape() != Shape{s.rows(), out_dim()})
    throw std::invalid_argument("DynamicsModel::infer_noise_rows: y " + y.shape().str() + ", expected [" +
                                std::to_string(s.rows()) + ", " + std::to_string(out_dim()) + "]");
  check_sample("infer_noise_rows", s, a, tape.filled(Shape{s.rows(), out_dim()}, T(0)));
  // The noise is data, not a function of any parameter: no gradient flows through it.
  NoGrad<T> off(tape);
  Prediction p = predict_rows(tape, concat_cols<T>({s, a}), member_of_row, evaluation);
  Var<T> z = mul(sub(y, out_norm_.mean_rows(tape, member_of_row)), out_norm_.inv_std_rows(tape, member_of_row));
  return mul(sub(z, p.mean), exp(scale(noise_scale(p.log_var, noise), -1.0)));
}

template <class T>
Var<T> DynamicsModel<T>::next_state_all(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> eps, ModelNoiseScale noise) {
  const int64_t M = members();
  const int64_t n = s.rows();
  const bool shared = s.shape().rank() == 2;
  const bool inputs_ok = shared ? s.shape() == Shape{n, obs_} && a.shape() == Shape{n, act_}
                                : s.shape() == Shape{M, n, obs_} && a.shape() == Shape{M, n, act_};
  if (!inputs_ok || eps.shape() != Shape{M, n, out_dim()} || eps.requires_grad())
    throw std::invalid_argument("DynamicsModel::next_state_all: s " + s.shape().str() + ", a " + a.shape().str() +
                                ", eps " + eps.shape().str() +
                                ": expected [M, n, obs] and [M, n, act] (or [n, obs] and [n, act] shared by every"
                                " member), constant [M, n, out] with M = " +
                                std::to_string(M));
  // Shared rows: one [n, in] input that predict_all spreads over the members.
  Prediction p = predict_all(tape, concat_cols<T>({s, a}));
  Var<T> z = gaussian_sample(p.mean, noise_scale(p.log_var, noise), eps);
  Var<T> y = add(mul(z, out_norm_.std_all(tape)), out_norm_.mean_all(tape));  // [M, n, out]
  // y + s: a shared s broadcasts over the members.
  return add(out_dim() == obs_ ? y : slice_cols(y, 0, obs_), s);
}

template <class T>
Var<T> DynamicsModel<T>::training_loss(Tape<T>& tape, Var<T> x, Var<T> y) {
  const int64_t M = members();
  if (x.shape().rank() != 3 || x.shape()[0] != M || x.cols() != in_dim() || y.shape() != Shape{M, x.rows(), out_dim()})
    throw std::invalid_argument("DynamicsModel::training_loss: x " + x.shape().str() + ", y " + y.shape().str() +
                                ": expected [M, B, " + std::to_string(in_dim()) + "] and [M, B, " +
                                std::to_string(out_dim()) + "] with M = " + std::to_string(M));
  Prediction p = predict_all(tape, x);
  Var<T> yn = mul(sub(y, out_norm_.mean_all(tape)), out_norm_.inv_std_all(tape));
  // Gaussian NLL per element, without the constant: (log var + (y - mu)^2 / var) / 2.
  Var<T> nll = scale(add(p.log_var, mul(square(sub(p.mean, yn)), exp(scale(p.log_var, -1.0)))), 0.5);
  // Members train on their own batches, so their losses add (each a mean over B x out).
  Var<T> loss = scale(mean(nll), double(M));
  Var<T> bounds = sub(sum(tape.param(max_log_var_)), sum(tape.param(min_log_var_)));
  return add(loss, scale(bounds, options_.bound_penalty));
}

template <class T>
std::vector<double> DynamicsModel<T>::member_nll(const T* x, const T* y, int64_t n) {
  return member_errors(x, y, n).nll;
}

template <class T>
typename DynamicsModel<T>::MemberErrors DynamicsModel<T>::member_errors(const T* x, const T* y, int64_t n) {
  const int64_t M = members(), d = out_dim();
  Tape<T> tape(device_of(*this));
  NoGrad<T> off(tape);
  Prediction p = predict_all(tape, tape.constant(Shape{n, in_dim()}, x));
  const std::vector<T> log_var = p.log_var.to_host(), mean = p.mean.to_host();
  MemberErrors e{std::vector<double>(static_cast<size_t>(M), 0.0), std::vector<double>(static_cast<size_t>(M), 0.0)};
  for (int64_t m = 0; m < M; ++m) {
    double s = 0.0, se = 0.0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < d; ++c) {
        int64_t k = (m * n + i) * d + c;
        const double sd = out_norm_.std[m * d + c];
        double yn = (double(y[i * d + c]) - out_norm_.mean[m * d + c]) / sd;
        double lv = log_var[k], diff = yn - double(mean[k]);
        s += 0.5 * (lv + diff * diff * std::exp(-lv)) + 0.91893853320467274;
        se += diff * diff * sd * sd;  // back in raw units
      }
    e.nll[m] = s / double(n * d);
    e.mse[m] = se / double(n * d);
  }
  return e;
}

template <class T>
ParameterList<T> DynamicsModel<T>::parameters() {
  ParameterList<T> ps = net_.parameters();
  ps.push_back(&max_log_var_);
  ps.push_back(&min_log_var_);
  return ps;
}

template <class T>
void make_model_rows(const DynamicsModel<T>& model, const T* s, const T* a, const T* s_next, const T* r, int64_t n,
                     std::vector<T>& x, std::vector<T>& y) {
  const int64_t obs = model.obs_dim(), act = model.act_dim(), out = model.out_dim();
  if (model.options().predict_reward && r == nullptr)
    throw std::invalid_argument("make_model_rows: the model predicts reward, expected rewards r (got none)");
  x.resize(static_cast<size_t>(n * (obs + act)));
  y.resize(static_cast<size_t>(n * out));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < obs; ++c) x[i * (obs + act) + c] = s[i * obs + c];
    for (int64_t c = 0; c < act; ++c) x[i * (obs + act) + obs + c] = a[i * act + c];
    for (int64_t c = 0; c < obs; ++c) y[i * out + c] = s_next[i * obs + c] - s[i * obs + c];
    if (out > obs) y[i * out + obs] = r[i];
  }
}

template class DynamicsModel<float>;
template class DynamicsModel<double>;
template void make_model_rows(const DynamicsModel<float>&, const float*, const float*, const float*, const float*,
                              int64_t, std::vector<float>&, std::vector<float>&);
template void make_model_rows(const DynamicsModel<double>&, const double*, const double*, const double*, const double*,
                              int64_t, std::vector<double>&, std::vector<double>&);

}  // namespace maac::rl
