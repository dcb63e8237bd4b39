#!/usr/bin/env bash
# On a machine with an NVIDIA GPU, the one script that checks and times everything GPU-side:
#   1. builds the whole project with the CUDA backend into build-gpu, or, with
#      --bundle FILE, unpacks the executables that scripts/gpu_bundle.sh built elsewhere
#      (for GPU machines without the Debian packages, such as the lent device machines);
#   2. runs every `cuda`-labelled test (kernels vs the CPU, autodiff ops and training
#      steps on device vs cpu tapes, CUDA graphs, whole agent updates GPU vs CPU) and the
#      trainer's device test, which must RUN, not skip;
#   3. runs the GPU benchmarks: each kernel (time, GB/s or GFLOP/s, % of this card's
#      ceiling measured in the same run) and the whole MAAC update (op by op, as a CUDA
#      graph, and beside a cuBLAS GEMM-only replay of the same shapes).
# Usage: scripts/gpu_check.sh [--bundle FILE] [extra flags for bench_cuda_kernels,
#        e.g. --benchmark_filter=gemm]
# Exit: 0 all passed, 1 a test failed, 2 no usable GPU (tests skipped), 3 tests passed
# but a benchmark failed (its result check, a non-finite loss or a failed capture).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=""
if [[ "${1:-}" == "--bundle" ]]; then
  bundle="$(realpath "$2")"
  shift 2
fi
trainer_test="run.device = cuda fails clearly without a GPU and writes nothing, and trains with one"

# The driver version matters: this CUDA runtime needs a driver at least as new, and an
# older one makes every cuda test skip as if there were no GPU.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
else
  echo "gpu_check: nvidia-smi not found"
fi

tests_ok=1
skipped=0
if [[ -n "$bundle" ]]; then
  # Prebuilt: unpack, find the bundled libraries and this toolkit's CUDA libraries, and
  # the MuJoCo models in this working tree.
  unpacked="$(mktemp -d)"
  tar -C "$unpacked" -xJf "$bundle"
  bin="$unpacked/bin"
  export LD_LIBRARY_PATH="$unpacked/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export MAAC_ENVS_ASSET_DIR="$PWD/envs/assets"
  echo "gpu_check: bundle $(cat "$unpacked/commit.txt"), working tree $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if ldd "$bin"/* | grep -q "not found"; then
    ldd "$bin"/* | grep "not found" | sort -u >&2
    echo "gpu_check: the bundle needs libraries this machine lacks (above)" >&2
    exit 1
  fi
  # Each test executable: 0 passed, 77 skipped (no usable GPU), anything else failed.
  while read -r t; do
    echo "=== $t"
    rc=0
    "$bin/$t" || rc=$?
    if [[ $rc -eq 77 ]]; then skipped=1; elif [[ $rc -ne 0 ]]; then tests_ok=0; echo "gpu_check: $t FAILED ($rc)"; fi
  done <"$unpacked/tests.txt"
  if [[ $skipped -eq 0 ]]; then
    echo "=== test_trainer: $trainer_test"
    "$bin/test_trainer" "$trainer_test" || tests_ok=0
  fi
else
  build_dir="${BUILD_DIR:-build-gpu}"
  cmake -S . -B "$build_dir" -DMAAC_CUDA=ON -DMAAC_BUILD_TESTS=ON -DMAAC_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j "$(nproc)"
  bin="$build_dir/bin"
  ctest_log="$(mktemp)"
  if ! ctest --test-dir "$build_dir" -j 4 -L cuda --output-on-failure | tee "$ctest_log"; then tests_ok=0; fi
  if grep -q "(Skipped)" "$ctest_log"; then skipped=1; fi
  rm -f "$ctest_log"
  if [[ $skipped -eq 0 ]]; then
    ctest --test-dir "$build_dir" -R "run.device" --output-on-failure || tests_ok=0
  fi
fi
# A skipped test here means no usable GPU, which is a failure of this check.
if [[ $skipped -eq 1 ]]; then
  echo "gpu_check: CUDA tests were skipped: no usable GPU on this machine" >&2
  exit 2
fi

# Benchmarks (each checks its result against the CPU or for finiteness before timing).
# A failing benchmark is reported after the tests' verdict, not instead of it.
export MAAC_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
bench_ok=1
"$bin/bench_cuda_kernels" --benchmark_min_time=0.2 "$@" || bench_ok=0
if [[ -x "$bin/bench_cuda_maac_update" ]]; then "$bin/bench_cuda_maac_update" || bench_ok=0; fi

if [[ $tests_ok -eq 0 ]]; then
  echo "gpu_check: some CUDA tests FAILED (see above)" >&2
  exit 1
fi
echo "gpu_check: all CUDA tests passed"
if [[ $bench_ok -eq 0 ]]; then
  echo "gpu_check: a GPU benchmark FAILED (see above)" >&2
  exit 3
fi
