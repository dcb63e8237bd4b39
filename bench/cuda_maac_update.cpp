// One MAAC policy update on the GPU at the reference shapes, three ways in one run:
//   (a) op by op on a cuda tape (the graph-mode objective: all members, then select),
//   (b) the same update captured once as a CUDA graph and replayed (rl/captured_actor_update),
//   (c) a cuBLAS replay of the same GEMM shapes only (the all-members arithmetic).
// Shapes: obs 17, act 6, M = 7 members of 4 x 200 SiLU, policy and twin Q 256 x 256 ReLU,
// batch 256, H = 10, K = 1, float32. Before timing it checks that the update's loss is
// finite and that the step was taken. Without a GPU it prints one line and exits 0.
// Timing: steady_clock around each call, which ends with a device read (a and b) or an
// explicit stream synchronisation (c); median of 5 rounds.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "autodiff/tensor.hpp"
#include "kernels/cuda/device.hpp"
#include "kernels/cuda/gemm.hpp"
#include "kernels/cuda/graph.hpp"
#include "rl/captured_actor_update.hpp"

using namespace maac;
using namespace maac::rl;
using cuda::Trans;

namespace {

constexpr int64_t kObs = 17, kAct = 6, kMembers = 7, kBatch = 256, kH = 10, kK = 1;
constexpr int kRounds = 5, kReps = 20;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The GEMMs of one all-members update, each on its own device buffers: per layer the
// forward, dW where the weights train (the policy only), dX where the input needs a
// gradient; ensemble layers as one strided-batched GEMM over the members.
struct GemmReplay {
  struct Gemm {
    Trans ta, tb;
    int64_t m, n, k, batch;
  };
  std::vector<Gemm> gemms;
  std::vector<Buffer<float>> a, b, c;
  double flops = 0;

  void layer(int64_t rows, int64_t in, int64_t out, int64_t batch, bool dw, bool dx) {
    gemms.push_back({Trans::no, Trans::no, rows, out, in, batch});
    if (dw) gemms.push_back({Trans::yes, Trans::no, in, out, rows, batch});
    if (dx) gemms.push_back({Trans::no, Trans::yes, rows, in, out, batch});
  }
  void mlp(int64_t rows, const std::vector<int64_t>& sizes, int64_t batch, bool dw, bool dx_first) {
    for (size_t l = 0; l + 1 < sizes.size(); ++l) layer(rows, sizes[l], sizes[l + 1], batch, dw, l > 0 || dx_first);
  }
  GemmReplay() {
    const std::vector<int64_t> pol{kObs, 256, 256, 2 * kAct}, dyn{kObs + kAct, 200, 200, 200, 200, 2 * kObs},
        q{kObs + kAct, 256, 256, 1};
    for (int64_t t = 0; t < kH; ++t) {
      mlp(kBatch, pol, 1, true, t > 0);
      mlp(kBatch, dyn, kMembers, false, true);
    }
    mlp(kK * kBatch, pol, 1, true, kH > 0);
    for (int j = 0; j < 2; ++j) mlp(kK * kBatch, q, 1, false, true);
    for (const Gemm& g : gemms) {
      a.emplace_back(Shape{g.batch * g.m, g.k}, Device::cuda);
      b.emplace_back(Shape{g.batch * g.k, g.n}, Device::cuda);
      c.emplace_back(Shape{g.batch * g.m, g.n}, Device::cuda);
      a.back().fill(0.01f);
      b.back().fill(0.01f);
      flops += 2.0 * double(g.batch * g.m * g.n * g.k);
    }
  }
  void run(cuda::Stream stream) {
    for (size_t i = 0; i < gemms.size(); ++i) {
      const Gemm& g = gemms[i];
      const int64_t lda = g.ta == Trans::no ? g.k : g.m, ldb = g.tb == Trans::no ? g.n : g.k;
      cuda::gemm_strided_batched<float>(g.ta, g.tb, g.m, g.n, g.k, 1.f, a[i].data(), lda, g.m * g.k, b[i].data(), ldb,
                                        g.k * g.n, 0.f, c[i].data(), g.n, g.m * g.n, g.batch, stream);
    }
  }
};

}  // namespace

int main() {
  if (cuda::device_count() == 0) {
    fmt::print("bench_cuda_maac_update: no CUDA GPU available, nothing to time\n");
    return 0;
  }
  try {
    Rng rng(1);
    DynamicsModel<float> model(kObs, kAct, DynamicsModelOptions{}, rng);
    SquashedGaussianPolicy<float> policy(kObs, kAct, PolicyOptions{}, rng);
    TwinCritic<float> critic(kObs, kAct, CriticOptions{}, rng);
    to_device(model.parameters(), Device::cuda);
    to_device(policy.parameters(), Device::cuda);
    to_device(critic.parameters(), Device::cuda);
    to_device(critic.target_parameters(), Device::cuda);
    Adam<float> adam(policy.parameters(), AdamOptions{3e-4});
    QuadraticReward<float> reward(0.01, 0.1, 1.0);
    MaacObjectiveOptions o;
    o.horizon = kH;
    o.terminal_samples = kK;
    o.evaluation = EnsembleEvaluation::all_then_select;
    CapturedActorUpdate update(policy, adam, model, critic, reward, o, kBatch, 2);
    const std::vector<float> s0 = rng.normal_vector<float>(kBatch * kObs);

    // Correctness first: warm-up, capture and one replay, all finite and stepped.
    for (int i = 0; i <= CapturedActorUpdate::kWarmup; ++i) {
      CapturedActorStep r = update.run(s0.data(), 0.2);
      if (!std::isfinite(r.loss) || !r.stepped) {
        fmt::print(stderr, "bench_cuda_maac_update: call {} gave loss {} (stepped: {}), expected finite\n", i, r.loss,
                   r.stepped);
        return 1;
      }
    }
    GemmReplay replay;
    cuda::OwnedStream gemm_stream;
    replay.run(gemm_stream.get());
    gemm_stream.synchronize();

    std::vector<double> op_ms, graph_ms, gemm_ms;
    for (int round = 0; round < kRounds; ++round) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kReps; ++i) update.run_op_by_op(s0.data(), 0.2);
      op_ms.push_back(1e3 * seconds_since(t0) / kReps);
      t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kReps; ++i) update.run(s0.data(), 0.2);
      graph_ms.push_back(1e3 * seconds_since(t0) / kReps);
      t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kReps; ++i) replay.run(gemm_stream.get());
      gemm_stream.synchronize();
      gemm_ms.push_back(1e3 * seconds_since(t0) / kReps);
    }
    const double gflop = replay.flops * 1e-9, op = median(op_ms), graph = median(graph_ms), gemm = median(gemm_ms);
    const char* commit = std::getenv("MAAC_COMMIT");
    fmt::print("MAAC policy update, obs {} act {}, M {} x 4 x 200, batch {}, H {}, K {}; commit {}\n", kObs, kAct,
               kMembers, kBatch, kH, kK, commit ? commit : "(set MAAC_COMMIT)");
    fmt::print("graph: {} nodes; GEMM replay: {} GEMMs, {:.2f} GFLOP per update\n", update.graph_nodes(),
               replay.gemms.size(), gflop);
    fmt::print("| mode | ms / update | GFLOP/s | / GEMM replay |\n|---|---|---|---|\n");
    fmt::print("| op by op (cuda tape) | {:.3f} | {:.0f} | {:.2f} |\n", op, gflop / op * 1e3, op / gemm);
    fmt::print("| captured graph replay | {:.3f} | {:.0f} | {:.2f} |\n", graph, gflop / graph * 1e3, graph / gemm);
    fmt::print("| cuBLAS GEMM replay | {:.3f} | {:.0f} | 1.00 |\n", gemm, gflop / gemm * 1e3);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_cuda_maac_update: {}\n", e.what());
    return 1;
  }
}
