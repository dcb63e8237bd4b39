#include "rl/dynamics_trainer.hpp"

#include "rl/module_device.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace maac::rl {
namespace {
void shuffle(std::vector<int32_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(rng.below(int64_t(i)))]);
}
double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

// Copies the given members' slices of every ensemble parameter [M, ...] between the
// network and a snapshot (host vectors, one per parameter); shared parameters (the
// bounds) are not per member. Device parameters go through one host copy per parameter
// (model fits are not graph-captured).
template <class T>
void copy_members(EnsembleMLP<T>& net, std::vector<std::vector<T>>& snap, const std::vector<int64_t>& members,
                  bool save) {
  if (members.empty()) return;
  ParameterList<T> ps = net.parameters();
  if (snap.size() != ps.size()) snap.resize(ps.size());
  for (size_t k = 0; k < ps.size(); ++k) {
    Buffer<T>& value = ps[k]->value();
    const bool on_host = value.device() == Device::cpu;
    std::vector<T> staged = on_host ? std::vector<T>() : value.to_host();
    std::vector<T>& v = on_host ? value.host() : staged;
    const size_t per = v.size() / size_t(net.members());
    if (snap[k].size() != v.size()) snap[k] = v;
    for (int64_t m : members) {
      T* from = save ? &v[m * per] : &snap[k][m * per];
      T* to = save ? &snap[k][m * per] : &v[m * per];
      std::copy_n(from, per, to);
    }
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

DynamicsSplit capped_split(const std::vector<SplitRole>& roles, int64_t max_holdout) {
  if (max_holdout < 1)
    throw std::invalid_argument("capped_split: max_holdout " + std::to_string(max_holdout) + ", expected >= 1");
  DynamicsSplit split;
  int64_t held = 0;
  // Newest first, so the cap keeps the newest held-out rows; then back to oldest first.
  for (int64_t i = static_cast<int64_t>(roles.size()) - 1; i >= 0; --i) {
    if (roles[i] == SplitRole::unassigned)
      throw std::invalid_argument("capped_split: transition " + std::to_string(i) +
                                  " has no role yet; expected ReplayBuffer::assign_split first");
    if (roles[i] == SplitRole::holdout && held < max_holdout) {
      split.holdout.push_back(static_cast<int32_t>(i));
      ++held;
    } else {
      split.train.push_back(static_cast<int32_t>(i));
    }
  }
  std::reverse(split.holdout.begin(), split.holdout.end());
  std::reverse(split.train.begin(), split.train.end());
  return split;
}

template <class T>
DynamicsTrainingReport DynamicsTrainer<T>::fit(const T* s, const T* a, const T* s_next, const T* r, int64_t n,
                                               Rng& rng) {
  const int64_t n_hold =
      std::min(options_.max_holdout, static_cast<int64_t>(std::floor(options_.holdout_fraction * double(n))));
  std::vector<int32_t> perm(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::iota(perm.begin(), perm.end(), 0);
  shuffle(perm, rng);
  DynamicsSplit split;
  split.holdout.assign(perm.begin(), perm.begin() + std::clamp<int64_t>(n_hold, 0, n));
  split.train.assign(perm.begin() + std::clamp<int64_t>(n_hold, 0, n), perm.end());
  return fit(s, a, s_next, r, n, split, rng);
}

template <class T>
DynamicsTrainingReport DynamicsTrainer<T>::fit(const T* s, const T* a, const T* s_next, const T* r, int64_t n,
                                               const DynamicsSplit& split, Rng& rng) {
  const int64_t M = model_.members(), in = model_.in_dim(), out = model_.out_dim();
  const int64_t n_hold = static_cast<int64_t>(split.holdout.size()), n_train = static_cast<int64_t>(split.train.size());
  if (n_hold < 1 || n_train < 1)
    throw std::invalid_argument("DynamicsTrainer::fit: " + std::to_string(n) + " transitions split into " +
                                std::to_string(n_train) + " training and " + std::to_string(n_hold) +
                                " held-out rows, expected at least one of each");
  // Disjoint and in range: a held-out row must never be trained on.
  std::vector<uint8_t> seen(static_cast<size_t>(n), 0);
  for (const std::vector<int32_t>* part : {&split.train, &split.holdout})
    for (int32_t i : *part) {
      if (i < 0 || i >= n || seen[i])
        throw std::invalid_argument("DynamicsTrainer::fit: split row " + std::to_string(i) + " of " + std::to_string(n) +
                                    " transitions is out of range or listed twice, expected disjoint rows in [0, n)");
      seen[i] = 1;
    }
  std::vector<T> x, y;
  make_model_rows(model_, s, a, s_next, r, n, x, y);
  const std::vector<int32_t>& train = split.train;
  std::vector<T> xh(static_cast<size_t>(n_hold * in)), yh(static_cast<size_t>(n_hold * out));
  for (int64_t i = 0; i < n_hold; ++i) {
    std::copy_n(&x[split.holdout[i] * in], in, &xh[i * in]);
    std::copy_n(&y[split.holdout[i] * out], out, &yh[i * out]);
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
  report.train_rows = n_train;
  report.holdout_rows = n_hold;
  report.initial_holdout_nll = model_.member_nll(xh.data(), yh.data(), n_hold);
  // Best of this fit's own epochs only (as MBPO, which starts at 1e10): the pre-fit weights
  // are never a candidate; they were fitted under other normalisers and other data.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> best(static_cast<size_t>(M), inf);     // lowest held-out NLL so far (the kept weights)
  std::vector<double> stop_ref(static_cast<size_t>(M), inf);  // last value that beat its predecessor by the margin
  report.epochs_kept.assign(static_cast<size_t>(M), 0);
  std::vector<std::vector<T>> snapshot;  // each member's parameters at its best epoch
  int64_t stale = 0;
  std::vector<T> xb(static_cast<size_t>(M * options_.batch * in)), yb(static_cast<size_t>(M * options_.batch * out));
  for (int64_t epoch = 0; epoch < options_.max_epochs; ++epoch) {
    for (auto& r_m : rows) shuffle(r_m, rng);
    for (int64_t start = 0; start < n_train; start += options_.batch) {
      const int64_t B = std::min(options_.batch, n_train - start);
      // xb: [M, B, in], yb: [M, B, out], member m's rows from its own sample.
      for (int64_t m = 0; m < M; ++m) {
        if (batch_observer_) batch_observer_(m, &rows[m][start], B);
        for (int64_t i = 0; i < B; ++i) {
          int32_t src = rows[m][start + i];
          std::copy_n(&x[src * in], in, &xb[(m * B + i) * in]);
          std::copy_n(&y[src * out], out, &yb[(m * B + i) * out]);
        }
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
    std::vector<double> nll = model_.member_nll(xh.data(), yh.data(), n_hold);
    report.epoch_mean_holdout_nll.push_back(mean_of(nll));
    // Kept weights: each member's lowest held-out NLL of this fit. Early stopping: some
    // member must beat its reference by the relative margin (MBPO's 1 %).
    bool improved = false;
    std::vector<int64_t> new_best;
    for (int64_t m = 0; m < M; ++m) {
      if (nll[m] < best[m]) {
        best[m] = nll[m];
        report.epochs_kept[m] = epoch + 1;
        new_best.push_back(m);
      }
      if (std::isfinite(nll[m]) &&
          (stop_ref[m] == inf ||
           (stop_ref[m] - nll[m]) / std::max(std::fabs(stop_ref[m]), 1e-12) > options_.min_relative_improvement)) {
        stop_ref[m] = nll[m];
        improved = true;
      }
    }
    if (options_.restore_best) copy_members(model_.network(), snapshot, new_best, /*save=*/true);
    stale = improved ? 0 : stale + 1;
    if (stale >= options_.patience) {
      report.early_stopped = epoch + 1 < options_.max_epochs;
      break;
    }
  }

  // Each member ends on its best epoch of this fit; the shared bounds stay as trained. A
  // member whose held-out NLL was never finite keeps its last weights.
  std::vector<int64_t> restore;
  for (int64_t m = 0; m < M; ++m) {
    if (options_.restore_best && report.epochs_kept[m] > 0) {
      if (report.epochs_kept[m] < report.epochs) restore.push_back(m);
    } else {
      report.epochs_kept[m] = report.epochs;
    }
  }
  copy_members(model_.network(), snapshot, restore, /*save=*/false);
  const auto errors = model_.member_errors(xh.data(), yh.data(), n_hold);
  report.holdout_nll = errors.nll;
  report.holdout_mse = errors.mse;

  // Elites: the K members with the lowest final held-out NLL (a non-finite one last).
  auto key = [&](int32_t m) { return std::isnan(report.holdout_nll[m]) ? inf : report.holdout_nll[m]; };
  std::vector<int32_t> order(static_cast<size_t>(M));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t p, int32_t q) { return key(p) < key(q); });
  order.resize(static_cast<size_t>(options_.elites > 0 ? options_.elites : M));
  std::sort(order.begin(), order.end());
  model_.set_elites(order);
  report.elites = order;
  return report;
}

template class DynamicsTrainer<float>;
template class DynamicsTrainer<double>;

}  // namespace maac::rl
