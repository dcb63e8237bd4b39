// The CUDA graph itself lives in kernels/cuda/graph.hpp; without the CUDA backend this
// file is the op-by-op fallback (like autodiff/device.cpp, it asks the build).
#include "autodiff/captured_graph.hpp"

#include <stdexcept>
#include <utility>

#ifdef MAAC_HAVE_CUDA
#include "kernels/cuda/graph.hpp"
#endif

namespace maac {

#ifdef MAAC_HAVE_CUDA
struct CapturedGraph::Graph {
  cuda::Graph graph;
};
#else
struct CapturedGraph::Graph {};
#endif

CapturedGraph::CapturedGraph(std::string who, std::string on_capture_failure, bool capture)
    : who_(std::move(who)),
      on_failure_(std::move(on_capture_failure)),
      capture_(capture && device::have_cuda),
      graph_(std::make_unique<Graph>()) {}

CapturedGraph::~CapturedGraph() = default;

bool CapturedGraph::run(cuda::Stream stream, const std::function<void()>& work) {
  // The legacy default stream (a cpu tape's) cannot be captured: that work runs op by op.
  if (!capture_ || stream == cuda::default_stream || runs_ < kWarmupRuns) {
    run_op_by_op(work);
    return false;
  }
#ifdef MAAC_HAVE_CUDA
  cuda::Graph& graph = graph_->graph;
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
#else
  (void)stream;
  throw std::logic_error(who_ + ": capture is on in a build without CUDA");  // unreachable: capture_ is false
#endif
}

void CapturedGraph::run_op_by_op(const std::function<void()>& work) {
  work();
  ++runs_;
}

void CapturedGraph::recapture() { graph_ = std::make_unique<Graph>(); }

bool CapturedGraph::captured() const {
#ifdef MAAC_HAVE_CUDA
  return graph_->graph.captured();
#else
  return false;
#endif
}

size_t CapturedGraph::graph_nodes() const {
#ifdef MAAC_HAVE_CUDA
  return graph_->graph.node_count();
#else
  return 0;
#endif
}

}  // namespace maac
