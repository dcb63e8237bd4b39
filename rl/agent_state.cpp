// The agent's checkpoint state: every tensor listed once, by name, in visit_state; save
// and load both walk that list (an entry cannot be saved and forgotten on load).
// Parameters are stored as "<prefix>.<index>.<name>" and Adam moments as
// "<prefix>.{m,v}.<index>" with "<prefix>.steps", so a mismatched architecture fails
// naming the tensor.
#include <stdexcept>

#include "rl/agent.hpp"

namespace maac::rl {
namespace {

std::string param_key(const std::string& prefix, size_t i, const Parameter<float>& p) {
  return prefix + "." + std::to_string(i) + "." + p.name();
}

// Writes each entry into a Safetensors.
struct SaveState {
  Safetensors& st;
  void params(const std::string& prefix, const ParameterList<float>& ps) {
    for (size_t i = 0; i < ps.size(); ++i) {
      std::vector<int64_t> dims;
      for (int d = 0; d < ps[i]->shape().rank(); ++d) dims.push_back(ps[i]->shape()[d]);
      st.put(param_key(prefix, i, *ps[i]), dims, ps[i]->value());
    }
  }
  void adam(const std::string& prefix, Adam<float>& adam) {
    for (size_t i = 0; i < adam.first_moments().size(); ++i) {
      st.put(prefix + ".m." + std::to_string(i), {adam.first_moments()[i].numel()}, adam.first_moments()[i]);
      st.put(prefix + ".v." + std::to_string(i), {adam.second_moments()[i].numel()}, adam.second_moments()[i]);
    }
    st.put<int64_t>(prefix + ".steps", {adam.steps()});
  }
  void table(const std::string& name, std::vector<float>& values) { st.put(name, values); }
  void elites(const std::string& name, DynamicsModel<float>& model) {
    const std::vector<int32_t>& m = model.sampling_members();
    st.put<int64_t>(name, std::vector<int64_t>(m.begin(), m.end()));
  }
  // Positions of a captured update's device noise (exact resume on cuda).
  void noise(const std::string& name, DeviceNoise& gen) {
    st.put<int64_t>(name, {int64_t(gen.normal_counter()), int64_t(gen.member_counter())});
  }
};

// Reads each entry back, checking names and sizes.
struct LoadState {
  const Safetensors& st;
  void params(const std::string& prefix, const ParameterList<float>& ps) {
    for (size_t i = 0; i < ps.size(); ++i) st.get_into(param_key(prefix, i, *ps[i]), ps[i]->value());
  }
  void adam(const std::string& prefix, Adam<float>& adam) {
    for (size_t i = 0; i < adam.first_moments().size(); ++i) {
      st.get_into(prefix + ".m." + std::to_string(i), adam.first_moments()[i]);
      st.get_into(prefix + ".v." + std::to_string(i), adam.second_moments()[i]);
    }
    adam.set_steps(st.get<int64_t>(prefix + ".steps", 1)[0]);
  }
  void table(const std::string& name, std::vector<float>& values) {
    values = st.get<float>(name, static_cast<int64_t>(values.size()));
  }
  void elites(const std::string& name, DynamicsModel<float>& model) {
    const std::vector<int64_t> e = st.get<int64_t>(name);
    model.set_elites(std::vector<int32_t>(e.begin(), e.end()));
  }
  // A checkpoint from a cpu run (or one without graphs) has no generator positions: the
  // graphs then start their noise afresh.
  void noise(const std::string& name, DeviceNoise& gen) {
    if (!st.has(name)) return;
    const std::vector<int64_t> c = st.get<int64_t>(name, 2);
    gen.set_counters(uint64_t(c[0]), uint64_t(c[1]));
  }
};

}  // namespace

template <class Visitor> void Agent::visit_state(Visitor& v) {
  v.params("policy", policy_.parameters());
  v.adam("policy_adam", policy_adam_);
  v.params("critic", critic_.parameters());
  v.params("critic_target", critic_.target_parameters());
  v.adam("critic_adam", critic_adam_);
  v.params("alpha", {&temperature_.log_alpha()});
  v.adam("alpha_adam", temperature_.optimizer());
  if (model_) {
    v.params("model", model_->parameters());
    v.adam("model_adam", model_trainer_->optimizer());
    v.table("model_norm.in_mean", model_->input_normalizer().mean);
    v.table("model_norm.in_std", model_->input_normalizer().std);
    v.table("model_norm.out_mean", model_->target_normalizer().mean);
    v.table("model_norm.out_std", model_->target_normalizer().std);
    v.elites("model.elites", *model_);
  }
  if (value_) {  // SVG(1) only: other algorithms' checkpoints have no such entries
    v.params("value", value_->parameters());
    v.params("value_target", value_->target_parameters());
    v.adam("value_adam", *value_adam_);
  }
  if (actor_graph_) v.noise("graphs.actor_noise", actor_graph_->noise());
  if (critic_graph_) v.noise("graphs.critic_noise", critic_graph_->noise());
}

void Agent::save(Safetensors& st) const {
  SaveState v{st};
  const_cast<Agent&>(*this).visit_state(v);  // the visitor only reads; the list takes references
}

void Agent::load(const Safetensors& st) {
  LoadState v{st};
  visit_state(v);
}

}  // namespace maac::rl
