#include "kernels/graph.hpp"

#include "kernels/where.hpp"

#ifdef MAAC_HAVE_CUDA
#include "kernels/cuda/graph.hpp"
#endif

namespace maac::kernels {

#ifdef MAAC_HAVE_CUDA
struct StreamGraph::Impl {
  cuda::Graph graph;
};
bool StreamGraph::available() { return true; }
void StreamGraph::capture(cuda::Stream stream, const std::function<void()>& work) { impl_->graph.capture(stream, work); }
void StreamGraph::launch(cuda::Stream stream) const { impl_->graph.launch(stream); }
bool StreamGraph::captured() const { return impl_->graph.captured(); }
size_t StreamGraph::node_count() const { return impl_->graph.node_count(); }
#else
struct StreamGraph::Impl {};
bool StreamGraph::available() { return false; }
void StreamGraph::capture(cuda::Stream, const std::function<void()>&) { no_cuda_backend("StreamGraph::capture"); }
void StreamGraph::launch(cuda::Stream) const { no_cuda_backend("StreamGraph::launch"); }
bool StreamGraph::captured() const { return false; }
size_t StreamGraph::node_count() const { return 0; }
#endif

StreamGraph::StreamGraph() : impl_(std::make_unique<Impl>()) {}
StreamGraph::~StreamGraph() = default;

}  // namespace maac::kernels
