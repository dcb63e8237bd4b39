#include <stdexcept>
#include <utility>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/graph.hpp"

namespace maac::cuda {

OwnedStream::OwnedStream() { MAAC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
OwnedStream::~OwnedStream() {
  if (stream_) cudaStreamDestroy(stream_);  // errors are swallowed: destructor
}
void OwnedStream::synchronize() const { MAAC_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

Graph::~Graph() { reset(); }
Graph::Graph(Graph&& o) noexcept
    : graph_(std::exchange(o.graph_, nullptr)), exec_(std::exchange(o.exec_, nullptr)), nodes_(std::exchange(o.nodes_, 0)) {}
Graph& Graph::operator=(Graph&& o) noexcept {
  if (this != &o) {
    reset();
    graph_ = std::exchange(o.graph_, nullptr);
    exec_ = std::exchange(o.exec_, nullptr);
    nodes_ = std::exchange(o.nodes_, 0);
  }
  return *this;
}

void Graph::reset() noexcept {
  if (exec_) cudaGraphExecDestroy(exec_);
  if (graph_) cudaGraphDestroy(graph_);
  exec_ = nullptr;
  graph_ = nullptr;
  nodes_ = 0;
}

void Graph::capture(Stream stream, const std::function<void()>& work) {
  if (stream == default_stream)
    throw std::invalid_argument("Graph::capture: the legacy default stream cannot be captured; pass an OwnedStream");
  reset();
  MAAC_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    work();
  } catch (...) {
    // End the capture so the stream is usable again, then report the original error.
    cudaGraph_t partial = nullptr;
    cudaStreamEndCapture(stream, &partial);
    if (partial) cudaGraphDestroy(partial);
    cudaGetLastError();
    throw;
  }
  cudaGraph_t graph = nullptr;
  MAAC_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  graph_ = graph;
  size_t n = 0;
  MAAC_CUDA_CHECK(cudaGraphGetNodes(graph_, nullptr, &n));
  nodes_ = n;
  cudaGraphExec_t exec = nullptr;
  // cuBLAS (12.2+) may capture its workspace as allocation nodes; should one be left
  // unfreed inside the graph, auto-free keeps the next launch legal instead of failing.
  MAAC_CUDA_CHECK(cudaGraphInstantiate(&exec, graph_, cudaGraphInstantiateFlagAutoFreeOnLaunch));
  exec_ = exec;
}

void Graph::launch(Stream stream) const {
  if (!exec_) throw std::logic_error("Graph::launch: nothing captured yet (call capture first)");
  MAAC_CUDA_CHECK(cudaGraphLaunch(exec_, stream));
}

}  // namespace maac::cuda
