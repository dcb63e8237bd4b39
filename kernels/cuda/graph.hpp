// CUDA graphs: a stream's work captured once and replayed (DESIGN decision 2: an update
// has static shapes, so its launches can be recorded once). Plain C++ header.
//
// Rules for code that is captured (docs/cuda.md, "CUDA graphs"):
// - it runs on an OwnedStream, never the legacy default stream;
// - it allocates nothing (run it once uncaptured first, so arenas reach their size);
// - it does not synchronise with the host or read device values on the host;
// - inputs that change between replays live at fixed device addresses, written before
//   each launch; noise comes from generators whose counter is on the device.
#pragma once
#include <functional>

#include "kernels/cuda/stream.hpp"

struct CUgraph_st;
struct CUgraphExec_st;

namespace maac::cuda {

// A non-blocking stream created on construction and destroyed with the object.
class OwnedStream {
 public:
  OwnedStream();
  ~OwnedStream();
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  Stream get() const { return stream_; }
  // Blocks the host until everything queued on the stream has run (checked).
  void synchronize() const;

 private:
  Stream stream_ = nullptr;
};

class Graph {
 public:
  Graph() = default;
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&& o) noexcept;
  Graph& operator=(Graph&& o) noexcept;

  // Runs `work` with `stream` in capture mode and instantiates what it queued. The
  // capture is thread-local: an allocation or a host synchronisation inside `work`
  // fails the capture with a CUDA error instead of being silently baked in. Throws
  // std::invalid_argument for the legacy default stream; a failed capture leaves the
  // graph empty and the stream usable.
  void capture(Stream stream, const std::function<void()>& work);
  // Queues one replay of the captured work on `stream` (asynchronous).
  void launch(Stream stream) const;
  bool captured() const { return exec_ != nullptr; }
  // Number of kernel, memcpy and other nodes in the captured graph.
  size_t node_count() const { return nodes_; }

 private:
  void reset() noexcept;
  CUgraph_st* graph_ = nullptr;
  CUgraphExec_st* exec_ = nullptr;
  size_t nodes_ = 0;
};

}  // namespace maac::cuda
