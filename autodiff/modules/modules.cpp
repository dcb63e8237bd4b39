// Linear, MLP and EnsembleMLP: parameter set-up and forward passes built from ops.
#include <stdexcept>

#include "autodiff/modules/ensemble_mlp.hpp"
#include "autodiff/modules/init.hpp"
#include "autodiff/modules/mlp.hpp"

namespace maac {
namespace {
void check_sizes(const char* what, const std::vector<int64_t>& sizes) {
  bool ok = sizes.size() >= 2;
  for (int64_t s : sizes) ok = ok && s >= 1;
  if (!ok) {
    std::string list;
    for (int64_t s : sizes) list += (list.empty() ? "" : ", ") + std::to_string(s);
    throw std::invalid_argument(std::string(what) + ": layer sizes {" + list +
                                "}, expected at least {in, out}, all >= 1");
  }
}
// Apply an activation unless it is the identity (which would only copy).
template <class T> Var<T> activate(Unary f, Var<T> x) { return f == Unary::identity ? x : unary(f, x); }
}  // namespace

template <class T>
Linear<T>::Linear(const std::string& name, int64_t in, int64_t out, Rng& rng)
    : weight_(name + ".weight", Shape{in, out}), bias_(name + ".bias", Shape{1, out}) {
  init_uniform_fan_in(weight_, in, rng);
  init_uniform_fan_in(bias_, in, rng);
}

template <class T>
MLP<T>::MLP(const std::string& name, const std::vector<int64_t>& sizes, Unary hidden, Rng& rng, Unary output)
    : hidden_(hidden), output_(output) {
  check_sizes("MLP", sizes);
  for (size_t l = 0; l + 1 < sizes.size(); ++l)
    layers_.emplace_back(name + "." + std::to_string(l), sizes[l], sizes[l + 1], rng);
}

template <class T> Var<T> MLP<T>::forward(Tape<T>& tape, Var<T> x) {
  for (size_t l = 0; l < layers_.size(); ++l) x = layers_[l].forward(tape, x, l + 1 == layers_.size() ? output_ : hidden_);
  return x;
}

template <class T> Var<T> MLP<T>::forward_concat(Tape<T>& tape, Var<T> x1, Var<T> x2) {
  Linear<T>& first = layers_.front();
  Var<T> x = concat_linear(x1, x2, tape.param(first.weight()), tape.param(first.bias()),
                           layers_.size() == 1 ? output_ : hidden_);
  for (size_t l = 1; l < layers_.size(); ++l)
    x = layers_[l].forward(tape, x, l + 1 == layers_.size() ? output_ : hidden_);
  return x;
}

template <class T> ParameterList<T> MLP<T>::parameters() {
  ParameterList<T> ps;
  for (Linear<T>& l : layers_) for (Parameter<T>* p : l.parameters()) ps.push_back(p);
  return ps;
}

template <class T>
EnsembleMLP<T>::EnsembleMLP(const std::string& name, int64_t members, const std::vector<int64_t>& sizes,
                            Unary hidden, Rng& rng, Unary output)
    : members_(members), sizes_(sizes), hidden_(hidden), output_(output) {
  check_sizes("EnsembleMLP", sizes);
  if (members < 1) throw std::invalid_argument("EnsembleMLP: members = " + std::to_string(members) + ", expected >= 1");
  weights_.reserve(sizes.size());
  biases_.reserve(sizes.size());
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    std::string layer = name + "." + std::to_string(l);
    weights_.emplace_back(layer + ".weight", Shape{members, sizes[l], sizes[l + 1]});
    biases_.emplace_back(layer + ".bias", Shape{members, 1, sizes[l + 1]});
    init_uniform_fan_in(weights_.back(), sizes[l], rng);
    init_uniform_fan_in(biases_.back(), sizes[l], rng);
  }
}

template <class T> Var<T> EnsembleMLP<T>::forward_all(Tape<T>& tape, Var<T> x) {
  for (size_t l = 0; l < weights_.size(); ++l)
    x = ensemble_linear(x, tape.param(weights_[l]), tape.param(biases_[l]), activation(l));
  return x;
}

template <class T> Var<T> EnsembleMLP<T>::forward_routed(Tape<T>& tape, Var<T> x, const MemberRouting& routing) {
  if (routing.members != members_ || static_cast<int64_t>(routing.order.size()) != x.rows())
    throw std::invalid_argument("EnsembleMLP::forward_routed: routing for " + std::to_string(routing.members) +
                                " members and " + std::to_string(routing.order.size()) + " rows, x " +
                                x.shape().str() + ": expected " + std::to_string(members_) + " members and " +
                                std::to_string(x.rows()) + " rows");
  // Group rows by member, run each member on its block, then put rows back in order.
  // (Not fused: the routed bias differs per row block; routed runs op by op anyway.)
  Var<T> h = gather_rows(x, routing.order);
  for (size_t l = 0; l < weights_.size(); ++l)
    h = activate(activation(l),
                 ensemble_linear_routed(h, tape.param(weights_[l]), tape.param(biases_[l]), routing.offsets));
  return scatter_rows(h, routing.order, x.rows());
}

template <class T> ParameterList<T> EnsembleMLP<T>::parameters() {
  ParameterList<T> ps;
  for (size_t l = 0; l < weights_.size(); ++l) {
    ps.push_back(&weights_[l]);
    ps.push_back(&biases_[l]);
  }
  return ps;
}

template class Linear<float>;
template class Linear<double>;
template class MLP<float>;
template class MLP<double>;
template class EnsembleMLP<float>;
template class EnsembleMLP<double>;

}  // namespace maac
