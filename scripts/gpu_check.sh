#!/usr/bin/env bash
# On a machine with an NVIDIA GPU, the one script that checks and times everything GPU-side:
#   1. builds the whole project with the CUDA backend into build-gpu;
#   2. runs every `cuda`-labelled test (kernels vs the CPU, autodiff ops and training
#      steps on device vs cpu tapes, CUDA graphs, whole agent updates GPU vs CPU) and the
#      trainer's device test, which must RUN, not skip;
#   3. runs the GPU benchmarks: each kernel (time, GB/s or GFLOP/s, % of this card's
#      ceiling measured in the same run) and the whole MAAC update (op by op, as a CUDA
#      graph, and beside a cuBLAS GEMM-only replay of the same shapes).
# Usage: scripts/gpu_check.sh [extra flags for bench_cuda_kernels, e.g. --benchmark_filter=gemm]
# Exit: 0 all passed, 1 a test failed, 2 no usable GPU (tests skipped), 3 tests passed
# but a benchmark failed (its result check, a non-finite loss or a failed capture).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build-gpu}"
jobs="$(nproc)"

# The driver version matters: this CUDA runtime needs a driver at least as new, and an
# older one makes every cuda test skip as if there were no GPU.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
else
  echo "gpu_check: nvidia-smi not found"
fi

cmake -S . -B "$build_dir" -DMAAC_CUDA=ON -DMAAC_BUILD_TESTS=ON -DMAAC_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$jobs"

# Tests: a skipped test here means no usable GPU, which is a failure of this check.
tests_ok=1
ctest_log="$(mktemp)"
if ! ctest --test-dir "$build_dir" -j 4 -L cuda --output-on-failure | tee "$ctest_log"; then tests_ok=0; fi
if grep -q "(Skipped)" "$ctest_log"; then
  echo "gpu_check: CUDA tests were skipped: no usable GPU on this machine" >&2
  exit 2
fi
if ! ctest --test-dir "$build_dir" -R "run.device" --output-on-failure; then tests_ok=0; fi
rm -f "$ctest_log"

# Benchmarks (each checks its result against the CPU or for finiteness before timing).
export MAAC_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# A failing benchmark is reported after the tests' verdict, not instead of it.
bench_ok=1
"$build_dir/bin/bench_cuda_kernels" --benchmark_min_time=0.2 "$@" || bench_ok=0
if [[ -x "$build_dir/bin/bench_cuda_maac_update" ]]; then "$build_dir/bin/bench_cuda_maac_update" || bench_ok=0; fi

if [[ $tests_ok -eq 0 ]]; then
  echo "gpu_check: some CUDA tests FAILED (see above)" >&2
  exit 1
fi
echo "gpu_check: all CUDA tests passed"
if [[ $bench_ok -eq 0 ]]; then
  echo "gpu_check: a GPU benchmark FAILED (see above)" >&2
  exit 3
fi
