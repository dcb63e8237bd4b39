#include "rl/dynamics_trainer.hpp"

#include "rl/module_device.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {
void shuffle(std::vector<int32_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(rng.below(int64_t(i)))]);
}
double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

// Copies member m's slice of every ensemble parameter [M, ...] between the network and a
// snapshot (host vectors, one per parameter); shared parameters (the bounds) are not per
// member. Device parameters go through a host copy (model fits are not graph-captured).
template <class T>
void copy_member(EnsembleMLP<T>& net, std::vector<std::vector<T>>& snap, int64_t m, bool save) {
  ParameterList<T> ps = net.parameters();
  if (snap.size() != ps.size()) snap.resize(ps.size());
  for (size_t k = 0; k < ps.size(); ++k) {
    Buffer<T>& value = ps[k]->value();
    const bool on_host = value.device() == Device::cpu;
    std::vector<T> staged = on_host ? std::vector<T>() : value.to_host();
    std::vector<T>& v = on_host ? value.host() : staged;
    const size_t per = v.size() / size_t(net.members());
    if (snap[k].size() != v.size()) snap[k] = v;
    T* from = save ? &v[m * per] : &snap[k][m * per];
    T* to = save ? &snap[k][m * per] : &v[m * per];
    std::copy_n(from, per, to);
    if (!save && !on_host) value.copy_from_host(v);
  }
}
}  // namespace

template <class T>
DynamicsTrainer<T>::DynamicsTrainer(DynamicsModel<T>& model, DynamicsTrainingOptions options)
    : model_(model),
      options_(options),
      adam_(model.parameters(), AdamOptions{options.lr, 0.9, 0.999, 1e-8, options.weight_decay}),
      tape_(device_of(model)) {
  if (options.batch < 1 || options.max_epochs < 1 || options.patience < 1 || !(options.holdout_fraction > 0.0) ||
      !(options.holdout_fraction < 1.0) || options.elites < 0 || options.elites > model.members() ||
      !(options.weight_decay >= 0.0))
    throw std::invalid_argument("DynamicsTrainer: batch " + std::to_string(options.batch) + ", max_epochs " +
                                std::to_string(options.max_epochs) + ", patience " + std::to_string(options.patience) +
                                ", holdout_fraction " + std::to_string(options.holdout_fraction) + ", elites " +
                                std::to_string(options.elites) + ", weight_decay " +
                                std::to_string(options.weight_decay) +
                                ": expected batch, epochs, patience >= 1, "
                                "0 < holdout < 1, 0 <= elites <= members and weight_decay >= 0");
}

template <class T>
DynamicsTrainingReport DynamicsTrainer<T>::fit(const T* s, const T* a, const T* s_next, const T* r, int64_t n,
                                               Rng& rng) {
  const int64_t M = model_.members(), in = model_.in_dim(), out = model_.out_dim();
  int64_t n_hold = std::min(options_.max_holdout, static_cast<int64_t>(std::floor(options_.holdout_fraction * n)));
  if (n_hold < 1 || n - n_hold < 1)
    throw std::invalid_argument("DynamicsTrainer::fit: " + std::to_string(n) +
                                " transitions, expected enough for at least one held-out and one training row");
  std::vector<T> x, y;
  make_model_rows(model_, s, a, s_next, r, n, x, y);

  // One shuffled split; the held-out rows are shared so members' losses compare.
  std::vector<int32_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  shuffle(perm, rng);
  std::vector<int32_t> train(perm.begin() + n_hold, perm.end());
  const int64_t n_train = static_cast<int64_t>(train.size());
  std::vector<T> xh(static_cast<size_t>(n_hold * in)), yh(static_cast<size_t>(n_hold * out));
  for (int64_t i = 0; i < n_hold; ++i) {
    std::copy_n(&x[perm[i] * in], in, &xh[i * in]);
    std::copy_n(&y[perm[i] * out], out, &yh[i * out]);
  }

  // Member m trains on its own bootstrap sample, normalised with its own statistics.
  std::vector<std::vector<int32_t>> rows(static_cast<size_t>(M));
  for (int64_t m = 0; m < M; ++m) {
    rows[m].resize(static_cast<size_t>(n_train));
    for (int64_t i = 0; i < n_train; ++i) rows[m][i] = options_.bootstrap ? train[rng.below(n_train)] : train[i];
    model_.input_normalizer().fit(m, x.data(), n, rows[m]);
    model_.target_normalizer().fit(m, y.data(), n, rows[m]);
  }

  DynamicsTrainingReport report;
  report.initial_holdout_nll = model_.member_nll(xh.data(), yh.data(), n_hold);
  std::vector<double> best = report.initial_holdout_nll;
  std::vector<std::vector<T>> snapshot;  // each member's parameters at its best held-out NLL
  for (int64_t m = 0; m < M; ++m) copy_member(model_.network(), snapshot, m, /*save=*/true);
  int64_t stale = 0;
  std::vector<T> xb(static_cast<size_t>(M * options_.batch * in)), yb(static_cast<size_t>(M * options_.batch * out));
  for (int64_t epoch = 0; epoch < options_.max_epochs; ++epoch) {
    for (auto& r_m : rows) shuffle(r_m, rng);
    for (int64_t start = 0; start < n_train; start += options_.batch) {
      const int64_t B = std::min(options_.batch, n_train - start);
      // xb: [M, B, in], yb: [M, B, out], member m's rows from its own sample.
      for (int64_t m = 0; m < M; ++m)
        for (int64_t i = 0; i < B; ++i) {
          int32_t src = rows[m][start + i];
          std::copy_n(&x[src * in], in, &xb[(m * B + i) * in]);
          std::copy_n(&y[src * out], out, &yb[(m * B + i) * out]);
        }
      tape_.reset();
      Var<T> loss = model_.training_loss(tape_, tape_.constant(Shape{M, B, in}, xb.data()),
                                         tape_.constant(Shape{M, B, out}, yb.data()));
      if (!std::isfinite(double(loss.item())))
        throw std::runtime_error("DynamicsTrainer::fit: non-finite training loss at epoch " + std::to_string(epoch));
      adam_.zero_grad();
      tape_.backward(loss);
      adam_.step();
    }
    report.epochs = epoch + 1;
    // Early stopping: some member must improve its best held-out NLL by the margin.
    std::vector<double> nll = model_.member_nll(xh.data(), yh.data(), n_hold);
    report.epoch_mean_holdout_nll.push_back(mean_of(nll));
    bool improved = false;
    for (int64_t m = 0; m < M; ++m)
      if ((best[m] - nll[m]) / std::max(std::fabs(best[m]), 1e-12) > options_.min_relative_improvement) {
        best[m] = nll[m];
        copy_member(model_.network(), snapshot, m, /*save=*/true);
        improved = true;
      }
    stale = improved ? 0 : stale + 1;
    report.holdout_nll = nll;
    if (stale >= options_.patience) {
      report.early_stopped = true;
      break;
    }
  }

  // Each member goes back to its best epoch (as MBPO); the shared bounds stay as trained.
  if (options_.restore_best) {
    for (int64_t m = 0; m < M; ++m) copy_member(model_.network(), snapshot, m, /*save=*/false);
    report.holdout_nll = model_.member_nll(xh.data(), yh.data(), n_hold);
  }

  // Elites: the K members with the lowest final held-out NLL.
  std::vector<int32_t> order(static_cast<size_t>(M));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t p, int32_t q) { return report.holdout_nll[p] < report.holdout_nll[q]; });
  order.resize(static_cast<size_t>(options_.elites > 0 ? options_.elites : M));
  std::sort(order.begin(), order.end());
  model_.set_elites(order);
  report.elites = order;
  return report;
}

template class DynamicsTrainer<float>;
template class DynamicsTrainer<double>;

}  // namespace maac::rl
