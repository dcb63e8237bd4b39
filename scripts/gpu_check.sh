#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds the CUDA backend into build-gpu, runs the
# `cuda`-labelled tests (which must run, not skip), then the GPU benchmarks, which end
# with one table: kernel, time, GB/s or GFLOP/s, % of this card's ceiling measured in
# the same run (device-to-device memcpy bandwidth, 8192^3 SGEMM).
# Usage: scripts/gpu_check.sh [extra benchmark flags, e.g. --benchmark_filter=gemm]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build-gpu}"
jobs="$(nproc)"

if command -v nvidia-smi >/dev/null; then nvidia-smi -L; else echo "gpu_check: nvidia-smi not found"; fi

cmake -S . -B "$build_dir" -DMAAC_CUDA=ON -DMAAC_BUILD_TESTS=ON -DMAAC_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release
# Only the CUDA layer's targets: the check does not depend on the rest of the tree building.
cuda_tests=(test_cuda_device_buffer test_cuda_gemm test_cuda_elementwise test_cuda_sampling
            test_cuda_reduce_optim test_cuda_random)
cmake --build "$build_dir" -j "$jobs" --target maac_kernels_cuda "${cuda_tests[@]}" bench_cuda_kernels

# Tests: a skipped test here means no usable GPU, which is a failure of this check.
tests_ok=1
ctest_log="$(mktemp)"
if ! ctest --test-dir "$build_dir" -L cuda --output-on-failure | tee "$ctest_log"; then tests_ok=0; fi
if grep -q "(Skipped)" "$ctest_log"; then
  echo "gpu_check: CUDA tests were skipped: no usable GPU on this machine" >&2
  exit 2
fi
rm -f "$ctest_log"

# Benchmarks (each checks its result against the CPU before timing), then the table.
MAAC_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$build_dir/bin/bench_cuda_kernels" --benchmark_min_time=0.2 "$@"

if [[ $tests_ok -eq 0 ]]; then
  echo "gpu_check: some CUDA tests FAILED (see above)" >&2
  exit 1
fi
echo "gpu_check: all CUDA tests passed"
