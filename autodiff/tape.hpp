// The tape: a flat list of records replayed in reverse (DESIGN decision 2).
// Recording order is a valid reverse order, so backward never recurses. Activations
// and their gradients come from an arena that reset() rewinds; parameters are aliased.
//
// A tape has one device. On cuda its nodes live in device arenas and every op, the
// gradient zeroing and the seed run on the tape's own non-blocking stream, without host
// synchronisation, so a whole step can later be captured as a CUDA graph. The calls that
// do wait for the stream are item(), to_host(), and the ops that upload host data
// (constant/input from host pointers, row indices) — see docs/cuda.md.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "autodiff/arena.hpp"
#include "autodiff/device_arena.hpp"
#include "autodiff/parameter.hpp"
#include "autodiff/tensor.hpp"

namespace maac {

template <class T> class Tape;

// A handle to one tape node. Cheap to copy; valid until the tape is reset.
template <class T>
struct Var {
  Tape<T>* tape = nullptr;
  int id = -1;

  bool valid() const { return tape != nullptr && id >= 0; }
  const Shape& shape() const;
  int64_t numel() const { return shape().numel(); }
  int64_t rows() const { return shape().rows(); }
  int64_t cols() const { return shape().cols(); }
  T* value() const;
  T* grad() const;  // nullptr when the node needs no gradient
  bool requires_grad() const;
  Device device() const;
  TensorView<T> view() const { return {value(), shape(), device()}; }
  // The scalar value of a one-element tensor (copied back from the device on cuda).
  T item() const;
  // All values in host memory (waits for the tape's stream on cuda).
  std::vector<T> to_host() const;
};

template <class T>
class Tape {
 public:
  struct Node {
    Shape shape;
    T* value = nullptr;
    T* grad = nullptr;      // arena-owned unless it aliases a parameter's gradient
    bool requires_grad = false;
    bool external_grad = false;
    Device device = Device::cpu;
  };
  struct Record;
  using BackwardFn = void (*)(Tape&, const Record&);
  // One recorded op: its backward function, output, inputs and saved arguments.
  struct Record {
    BackwardFn backward = nullptr;
    int out = -1;
    std::array<int, 4> in{-1, -1, -1, -1};
    std::array<double, 4> real{};       // scalar arguments (scale, bounds, ...)
    std::array<int64_t, 4> integer{};   // integer arguments (offsets, counts, ...)
    const int32_t* index = nullptr;     // row indices or member offsets (arena-owned)
  };

  // A cuda tape throws std::runtime_error naming the device when no GPU (or no CUDA
  // backend) is available.
  explicit Tape(Device device = Device::cpu, size_t arena_bytes = size_t(1) << 22);
  explicit Tape(size_t arena_bytes) : Tape(Device::cpu, arena_bytes) {}
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  Device device() const { return device_; }
  // The stream all of this tape's device work is ordered on (default_stream on cpu).
  cuda::Stream stream() const { return stream_.get(); }
  // Device and stream together: the first argument of every kernels/ entry an op calls.
  kernels::Where where() const { return {device_, stream_.get()}; }

  // Leaves. constant: no gradient. input: a leaf whose gradient backward() fills.
  // param: aliases the parameter's value, and backward() accumulates into its gradient;
  // the parameter must be on the tape's device.
  // Raw pointers are HOST data on every tape (a cuda tape copies them to the device);
  // views are read on their own device (copied when it differs from the tape's).
  Var<T> constant(Shape shape, const T* data);
  Var<T> input(Shape shape, const T* data);
  Var<T> param(Parameter<T>& p);
  Var<T> constant(const TensorView<T>& v);
  Var<T> input(const TensorView<T>& v);
  // A constant with every element `value`, written on the tape's device (no upload, so
  // it may sit inside a captured CUDA graph; masks of ones, for example).
  Var<T> filled(Shape shape, T value);

  // An uninitialised arena-backed node: ops write their forward result into it.
  Var<T> result(Shape shape, bool requires_grad);
  // A node that shares x's value and gradient under another shape (reshape).
  Var<T> alias(Var<T> x, Shape shape);
  // Integers and scratch values on the tape's device, valid until reset().
  int32_t* indices(int64_t count);
  T* scratch(int64_t count);
  // Host integers read by a backward that loops on the host (member offsets), valid
  // until reset(); the same arena as indices() on a cpu tape.
  int32_t* host_indices(int64_t count) { return arena_.allocate<int32_t>(count); }
  // `count` host integers copied into indices() memory (on the tape's stream).
  const int32_t* upload_indices(const int32_t* host, int64_t count);

  void record(const Record& r) { records_.push_back(r); }
  bool grad_enabled() const { return grad_enabled_; }
  void set_grad_enabled(bool on) { grad_enabled_ = on; }
  // Frozen parameters are read by param() without a gradient (their values are still
  // aliased), while gradients keep flowing through the ops to other inputs.
  bool params_frozen() const { return params_frozen_; }
  void set_params_frozen(bool on) { params_frozen_ = on; }

  // Reverse pass. A one-element output is seeded with 1; otherwise pass the seed
  // gradient (out's shape). Intermediate gradients are zeroed here, once; parameter
  // gradients accumulate (zero them with zero_grad()).
  void backward(Var<T> out);
  void backward(Var<T> out, const T* seed);

  // Forget every node and record; keeps the memory for the next step.
  void reset();

  Node& node(int id) { return nodes_[static_cast<size_t>(id)]; }
  const Node& node(int id) const { return nodes_[static_cast<size_t>(id)]; }
  Var<T> var(int id) { return Var<T>{this, id}; }
  size_t node_count() const { return nodes_.size(); }
  size_t record_count() const { return records_.size(); }
  // The host arena: every node on a cpu tape; only host_indices() on a cuda tape.
  Arena& arena() { return arena_; }
  // Bytes handed out / reserved for nodes, indices and scratch on the tape's device.
  size_t bytes_in_use() const;
  size_t capacity() const;

 private:
  struct StreamDeleter {
    void operator()(CUstream_st* s) const noexcept;
  };
  int push(Node n);
  Var<T> leaf(Shape shape, const void* data, Device from, bool requires_grad);

  Device device_;
  // Declared before the arenas so that it is destroyed after them.
  std::unique_ptr<CUstream_st, StreamDeleter> stream_;
  Arena arena_;
  // cuda only: values (with indices and scratch) and gradients, kept apart so that
  // backward() zeroes all intermediate gradients with one memset per chunk.
  std::unique_ptr<DeviceChunkArena> values_, grads_;
  std::vector<Node> nodes_;
  std::vector<Record> records_;
  std::vector<T*> zero_ptrs_;        // cpu backward: the gradients it zeroes (reused)
  std::vector<int64_t> zero_counts_;
  bool grad_enabled_ = true;
  bool params_frozen_ = false;
};

// Turns recording off for a scope (acting, target computation).
template <class T>
class NoGrad {
 public:
  explicit NoGrad(Tape<T>& t) : tape_(t), was_(t.grad_enabled()) { t.set_grad_enabled(false); }
  ~NoGrad() { tape_.set_grad_enabled(was_); }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  Tape<T>& tape_;
  bool was_;
};

// Reads parameters as constants for a scope: a model or critic used inside another
// network's objective passes gradients through but accumulates none itself.
template <class T>
class FrozenParams {
 public:
  explicit FrozenParams(Tape<T>& t) : tape_(t), was_(t.params_frozen()) { t.set_params_frozen(true); }
  ~FrozenParams() { tape_.set_params_frozen(was_); }
  FrozenParams(const FrozenParams&) = delete;
  FrozenParams& operator=(const FrozenParams&) = delete;

 private:
  Tape<T>& tape_;
  bool was_;
};

template <class T> const Shape& Var<T>::shape() const { return tape->node(id).shape; }
template <class T> T* Var<T>::value() const { return tape->node(id).value; }
template <class T> T* Var<T>::grad() const { return tape->node(id).grad; }
template <class T> bool Var<T>::requires_grad() const { return tape->node(id).requires_grad; }
template <class T> Device Var<T>::device() const { return tape->node(id).device; }

extern template class Tape<float>;
extern template class Tape<double>;

}  // namespace maac
