// oneDNN 2.6 (Debian libdnnl-dev, OpenMP runtime): the matmul primitive.
//
// A primitive is created once per shape (and thread count) and kept in this library's
// own cache; each call looks it up, points its memory objects at the operands and
// executes on a CPU stream. Transposes are strides in the memory descriptors; strided
// batches are a leading batch dimension (one primitive for the whole batch). The
// scratchpad is user-owned (one per library instance), so two threads with their own
// instances never share one.
#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "bench/gemm_libraries.hpp"

namespace maac::bench::gemmlib {
namespace {

using dnnl::memory;
using Dims = memory::dims;

// op(X) [rows, cols] of X stored [rows, cols] (no) or [cols, rows] (yes), `batch` of them.
memory::desc operand(Trans t, int64_t batch, int64_t rows, int64_t cols) {
  const Dims strides = t == Trans::no ? Dims{rows * cols, cols, 1} : Dims{rows * cols, 1, rows};
  if (batch == 1) return memory::desc({rows, cols}, memory::data_type::f32, Dims{strides[1], strides[2]});
  return memory::desc({batch, rows, cols}, memory::data_type::f32, strides);
}

// A primitive with its memory objects (handles set per call) and scratchpad.
struct Prepared {
  dnnl::matmul prim;
  memory a, b, c, bias, scratch;
  std::unordered_map<int, memory> args;  // handles to the same memory objects
  std::string impl;
};

Prepared make_prepared(const dnnl::engine& eng, const memory::desc& a, const memory::desc& b,
                       const memory::desc* bias, const memory::desc& c, const dnnl::post_ops* post) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (post) attr.set_post_ops(*post);
  const dnnl::matmul::desc d = bias ? dnnl::matmul::desc(a, b, *bias, c) : dnnl::matmul::desc(a, b, c);
  const dnnl::matmul::primitive_desc pd(d, attr, eng);
  Prepared p;
  p.prim = dnnl::matmul(pd);
  p.impl = pd.impl_info_str();
  p.a = memory(a, eng, DNNL_MEMORY_NONE);
  p.b = memory(b, eng, DNNL_MEMORY_NONE);
  p.c = memory(c, eng, DNNL_MEMORY_NONE);
  if (bias) p.bias = memory(*bias, eng, DNNL_MEMORY_NONE);
  p.scratch = memory(pd.scratchpad_desc(), eng);  // allocated here, owned by p
  p.args = {{DNNL_ARG_SRC, p.a}, {DNNL_ARG_WEIGHTS, p.b}, {DNNL_ARG_DST, p.c}, {DNNL_ARG_SCRATCHPAD, p.scratch}};
  if (bias) p.args.emplace(DNNL_ARG_BIAS, p.bias);
  return p;
}

void execute(Prepared& p, dnnl::stream& s, const float* A, const float* B, const float* bias, float* C) {
  p.a.set_data_handle(const_cast<float*>(A));
  p.b.set_data_handle(const_cast<float*>(B));
  p.c.set_data_handle(C);
  if (bias) p.bias.set_data_handle(const_cast<float*>(bias));
  p.prim.execute(s, p.args);
  s.wait();
}

class Dnnl : public Library {
 public:
  Dnnl() : eng_(dnnl::engine::kind::cpu, 0), stream_(eng_) {}
  std::string name() const override { return "onednn"; }
  std::string how() const override {
    const dnnl_version_t* v = dnnl_version();
    return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
           " matmul primitive, created once per shape, looked up per call (strides for transposes, a batch dim "
           "for strided batches; user scratchpad; OpenMP threads)";
  }
  bool threads_supported(int) const override { return true; }
  void set_threads(int n) override {
    if (n != threads_) cache_.clear();  // blocking is chosen for the thread count at creation
    threads_ = n;
  }
  void prepare(const std::vector<GemmCall>& shapes) override {
    for (const GemmCall& c : shapes) find(c);
  }
  void run(const GemmCall& c, const float* A, const float* B, float* C) override {
    execute(find(c), stream_, A, B, nullptr, C);
  }
  std::string notes() const override {
    std::map<std::string, int> count;
    for (const auto& [key, p] : cache_) ++count[p.impl];
    std::string s = "implementation picked (primitives now cached, last thread count): ";
    for (const auto& [impl, n] : count) s += impl + " (" + std::to_string(n) + ") ";
    return s;
  }

 private:
  using Key = std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t>;
  Prepared& find(const GemmCall& c) {
    const Key key{c.ta == Trans::yes, c.tb == Trans::yes, c.m, c.n, c.k, c.batch};
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const memory::desc a = operand(c.ta, c.batch, c.m, c.k), b = operand(c.tb, c.batch, c.k, c.n),
                       out = operand(Trans::no, c.batch, c.m, c.n);
    return cache_.emplace(key, make_prepared(eng_, a, b, nullptr, out, nullptr)).first->second;
  }
  dnnl::engine eng_;
  dnnl::stream stream_;
  int threads_ = 1;
  std::map<Key, Prepared> cache_;
};

}  // namespace

void add_dnnl(std::vector<NamedFactory>& out) {
  out.push_back({"onednn", [] { return std::make_unique<Dnnl>(); }});
}

struct DnnlLayer::Impl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
  Prepared p;
};

DnnlLayer::DnnlLayer(int64_t rows, int64_t in, int64_t out, math::Unary f, Fuse fuse) : impl_(std::make_unique<Impl>()) {
  const memory::desc x = operand(Trans::no, 1, rows, in), W = operand(Trans::no, 1, in, out),
                     y = operand(Trans::no, 1, rows, out), b = operand(Trans::no, 1, 1, out);
  dnnl::post_ops post;
  if (fuse == Fuse::bias_and_activation) {
    if (f == math::Unary::relu) post.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    else if (f == math::Unary::silu) post.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.f, 0.f);
    else throw std::invalid_argument("DnnlLayer: only relu and silu are fused here");
  }
  impl_->p = make_prepared(impl_->eng, x, W, &b, y, fuse == Fuse::bias_and_activation ? &post : nullptr);
}
DnnlLayer::~DnnlLayer() = default;
void DnnlLayer::run(const float* x, const float* W, const float* b, float* y) {
  execute(impl_->p, impl_->stream, x, W, b, y);
}

}  // namespace maac::bench::gemmlib
