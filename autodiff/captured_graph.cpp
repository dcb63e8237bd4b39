// The CUDA graph itself is kernels::StreamGraph; where the build has none, every run is
// op by op.
#include "autodiff/captured_graph.hpp"

#include <stdexcept>
#include <utility>

#include "kernels/graph.hpp"

namespace maac {

struct CapturedGraph::Graph {
  kernels::StreamGraph graph;
};

CapturedGraph::CapturedGraph(std::string who, std::string on_capture_failure, bool capture)
    : who_(std::move(who)),
      on_failure_(std::move(on_capture_failure)),
      capture_(capture && kernels::StreamGraph::available()),
      graph_(std::make_unique<Graph>()) {}

CapturedGraph::~CapturedGraph() = default;

bool CapturedGraph::run(cuda::Stream stream, const std::function<void()>& work) {
  // The legacy default stream (a cpu tape's) cannot be captured: that work runs op by op.
  if (!capture_ || stream == cuda::default_stream || runs_ < kWarmupRuns) {
    run_op_by_op(work);
    return false;
  }
  kernels::StreamGraph& graph = graph_->graph;
  if (!graph.captured()) {
    // Nothing runs while capturing: the launch below is this run's update.
    try {
      graph.capture(stream, work);
    } catch (const std::exception& e) {
      std::string message = who_ + ": capturing the update failed (" + e.what() +
                            "): something in it reads or uploads host data";
      if (!on_failure_.empty()) message += ". " + on_failure_;
      throw std::runtime_error(message);
    }
  }
  graph.launch(stream);
  ++runs_;
  return true;
}

void CapturedGraph::run_op_by_op(const std::function<void()>& work) {
  work();
  ++runs_;
}

void CapturedGraph::recapture() { graph_ = std::make_unique<Graph>(); }

bool CapturedGraph::captured() const { return graph_->graph.captured(); }

size_t CapturedGraph::graph_nodes() const { return graph_->graph.node_count(); }

}  // namespace maac
