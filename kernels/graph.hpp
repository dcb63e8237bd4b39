// A stream's work captured once as a CUDA graph and replayed, in every build: the one
// place above kernels/cuda that knows whether graphs exist. Without the CUDA backend,
// available() is false and capture/launch throw (callers run op by op instead).
#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "kernels/cuda/stream.hpp"

namespace maac::kernels {

class StreamGraph {
 public:
  StreamGraph();
  ~StreamGraph();
  StreamGraph(const StreamGraph&) = delete;
  StreamGraph& operator=(const StreamGraph&) = delete;

  // Whether this build can capture graphs at all.
  static bool available();
  // cuda::Graph::capture / launch (kernels/cuda/graph.hpp states the rules).
  void capture(cuda::Stream stream, const std::function<void()>& work);
  void launch(cuda::Stream stream) const;
  bool captured() const;
  size_t node_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maac::kernels
