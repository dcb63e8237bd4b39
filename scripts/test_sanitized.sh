#!/usr/bin/env bash
# Builds the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer (CPU only, no
# benchmarks) in a separate build folder and runs them; any sanitizer report fails its test.
# The learning, soak, cuda, python and slurm labels are left out (minutes long, need a GPU,
# test Python reading files back, or start Slurm daemons: the normal run does those).
# Usage: scripts/test_sanitized.sh [extra cmake -D options...]
#        (ASAN_BUILD_DIR=build-asan by default: not BUILD_DIR, which names the main build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${ASAN_BUILD_DIR:-build-asan}

# Exported before the build too: catch_discover_tests runs each test binary at build time.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:print_stacktrace=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAAC_SANITIZE=ON -DMAAC_CUDA=OFF \
  -DMAAC_BUILD_BENCH=OFF "${launcher[@]}" "$@"
cmake --build "$build_dir" -j "$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" -LE 'learning|soak|cuda|python|slurm'
