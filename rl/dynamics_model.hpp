// Probabilistic dynamics ensemble: M members, each a Gaussian over the normalised
// target y = [s' - s (, r)] with a mean and a log-variance head. The log-variance is
// soft-clamped between learnable bounds (the authors' and PETS' parameterisation:
// init max 0.5, min -10 in log-variance, penalty 0.01 (sum max - sum min)).
#pragma once
#include <memory>
#include <vector>

#include "autodiff/modules/ensemble_mlp.hpp"
#include "rl/ensemble_normalizer.hpp"

namespace maac::rl {

struct DynamicsModelOptions {
  int64_t members = 7;
  std::vector<int64_t> hidden{200, 200, 200, 200};
  Unary activation = Unary::silu;
  bool predict_reward = false;  // appends r to the target
  double init_max_log_var = 0.5;
  double init_min_log_var = -10.0;
  double bound_penalty = 0.01;
};

// How a differentiable model step scales its noise: by the standard deviation (the
// paper, default) or by the variance, as the authors' code does (mu + eps exp(logvar)).
enum class ModelNoiseScale { std_dev, variance };
// Routed: each row runs through its member only. All members then select: every member
// runs every row and one output per row is kept (identical values, M times the work).
enum class EnsembleEvaluation { routed, all_then_select };

template <class T>
class DynamicsModel {
 public:
  DynamicsModel(int64_t obs_dim, int64_t act_dim, DynamicsModelOptions options, Rng& rng);

  // Normalised-space prediction: mean and bounded log-variance.
  struct Prediction {
    Var<T> mean;     // [.., n, out]
    Var<T> log_var;  // [.., n, out]
  };
  // x: raw inputs [n, in] (shared by all members) or [M, n, in] (member m its own rows) -> [M, n, out]
  Prediction predict_all(Tape<T>& tape, Var<T> x);
  // x: raw inputs [n, in]; row i through member member_of_row[i] only -> [n, out]
  Prediction predict_rows(Tape<T>& tape, Var<T> x, const std::vector<int32_t>& member_of_row,
                          EnsembleEvaluation evaluation = EnsembleEvaluation::routed);

  // Graph mode: every member on every row, then row i keeps member[i]'s output
  // (select_members). member: n ids in the tape's device memory (host memory on a cpu
  // tape), valid until backward. No host data is read or uploaded, so a cuda tape can
  // capture it in a CUDA graph; M times the work of routed evaluation.
  Prediction predict_selected(Tape<T>& tape, Var<T> x, const int32_t* member);
  Var<T> sample_selected(Tape<T>& tape, Var<T> s, Var<T> a, const int32_t* member, Var<T> eps,
                         ModelNoiseScale noise = ModelNoiseScale::std_dev);
  Var<T> next_state_selected(Tape<T>& tape, Var<T> s, Var<T> a, const int32_t* member, Var<T> eps,
                             ModelNoiseScale noise = ModelNoiseScale::std_dev);
  // Brings the normalisers' device copies up to date (see EnsembleNormalizer): call it
  // before replaying a graph that reads them. Returns whether anything was uploaded.
  bool sync_device() const;

  // Differentiable sample of the raw target: denorm(mu + scale * eps) for each row's member.
  // s: [n, obs], a: [n, act], eps: constant [n, out] -> [n, out]
  Var<T> sample_rows(Tape<T>& tape, Var<T> s, Var<T> a, const std::vector<int32_t>& member_of_row, Var<T> eps,
                     EnsembleEvaluation evaluation = EnsembleEvaluation::routed,
                     ModelNoiseScale noise = ModelNoiseScale::std_dev);
  // s' = s + the state part of that sample.  -> [n, obs]
  Var<T> next_state_rows(Tape<T>& tape, Var<T> s, Var<T> a, const std::vector<int32_t>& member_of_row, Var<T> eps,
                         EnsembleEvaluation evaluation = EnsembleEvaluation::routed,
                         ModelNoiseScale noise = ModelNoiseScale::std_dev);
  // The inverse of sample_rows: the noise with which row i's member reproduces an observed
  // raw target y [n, out] (e.g. [s' - s (, r)] of a real transition), eps = (norm_m(y) -
  // mu_m(s, a)) / scale_m(s, a) in the normalised target space. Built under NoGrad, so it
  // is a constant: sample_rows with it returns y (to rounding).  -> [n, out]
  Var<T> infer_noise_rows(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> y, const std::vector<int32_t>& member_of_row,
                          EnsembleEvaluation evaluation = EnsembleEvaluation::routed,
                          ModelNoiseScale noise = ModelNoiseScale::std_dev);
  // Every member on its own rows: s [M, n, obs], a [M, n, act], eps [M, n, out] -> s' [M, n, obs];
  // or s [n, obs], a [n, act] read by every member (the same rows for all).
  Var<T> next_state_all(Tape<T>& tape, Var<T> s, Var<T> a, Var<T> eps,
                        ModelNoiseScale noise = ModelNoiseScale::std_dev);

  // Training loss on per-member batches: x [M, B, in], y [M, B, out] (raw) -> [1, 1]:
  // sum over members of the mean Gaussian NLL per element, plus the bound penalty.
  Var<T> training_loss(Tape<T>& tape, Var<T> x, Var<T> y);
  // Mean Gaussian NLL per element of each member on shared rows x [n, in], y [n, out]
  // (normalised space, with the log(2 pi)/2 constant), without gradient.
  std::vector<double> member_nll(const T* x, const T* y, int64_t n);
  // Both held-out measures per member: that NLL, and the mean squared error of the
  // predicted mean in raw target units (averaged over rows and target columns).
  struct MemberErrors {
    std::vector<double> nll, mse;
  };
  MemberErrors member_errors(const T* x, const T* y, int64_t n);

  ParameterList<T> parameters();
  EnsembleMLP<T>& network() { return net_; }
  Parameter<T>& max_log_var() { return max_log_var_; }
  Parameter<T>& min_log_var() { return min_log_var_; }
  EnsembleNormalizer<T>& input_normalizer() { return in_norm_; }
  EnsembleNormalizer<T>& target_normalizer() { return out_norm_; }
  const DynamicsModelOptions& options() const { return options_; }
  int64_t members() const { return options_.members; }
  int64_t obs_dim() const { return obs_; }
  int64_t act_dim() const { return act_; }
  int64_t in_dim() const { return obs_ + act_; }
  int64_t out_dim() const { return obs_ + (options_.predict_reward ? 1 : 0); }
  // Members that rollouts draw from: the elites when set, else all.
  const std::vector<int32_t>& sampling_members() const { return sampling_members_; }
  void set_elites(std::vector<int32_t> elites);

 private:
  Prediction heads(Var<T> out);  // [.., n, 2 out] -> mean, bounded log-variance
  Var<T> noise_scale(Var<T> log_var, ModelNoiseScale noise);
  void check_sample(const char* who, Var<T> s, Var<T> a, Var<T> eps) const;

  int64_t obs_, act_;
  DynamicsModelOptions options_;
  EnsembleMLP<T> net_;
  Parameter<T> max_log_var_, min_log_var_;  // [1, out]
  EnsembleNormalizer<T> in_norm_, out_norm_;
  std::vector<int32_t> sampling_members_;
};

// Inputs x = [s, a] and targets y = [s' - s (, r)] of a batch of transitions.
// s, s_next: [n, obs], a: [n, act], r: [n] (ignored unless the model predicts reward)
template <class T>
void make_model_rows(const DynamicsModel<T>& model, const T* s, const T* a, const T* s_next, const T* r, int64_t n,
                     std::vector<T>& x, std::vector<T>& y);

extern template class DynamicsModel<float>;
extern template class DynamicsModel<double>;

}  // namespace maac::rl
