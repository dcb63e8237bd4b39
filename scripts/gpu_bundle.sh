#!/usr/bin/env bash
# Packs everything scripts/gpu_check.sh runs into one archive, for a GPU machine that cannot
# build the project: the lent device machines have CUDA, CMake and a compiler, but none of
# the Debian packages (Eigen, MuJoCo, Catch2, ...) and no network to fetch them.
#
# Run it HERE, on a machine set up by scripts/setup.sh (no GPU needed). It builds, in
# build-bundle/, the CUDA tests, the trainer's test binary, the trainer and the GPU
# benchmarks, portably (-DMAAC_NATIVE=OFF: no -march=native, since the GPU machine's CPU
# differs) and for sm_80 and sm_90, then writes .gpu_bundle/bundle.tar.xz holding:
#   bin/   the stripped executables;
#   lib/   the shared libraries they need beyond glibc, libstdc++ and CUDA's own
#          (MuJoCo, OpenBLAS, gfortran, fmt, ...), found with ldd;
#   tests.txt  the CUDA test executables, one per line; commit.txt  the source commit.
# On the GPU machine (see docs/cuda.md, "On a lent device machine"):
#   bash scripts/gpu_check.sh --bundle .gpu_bundle/bundle.tar.xz
# with .gpu_bundle carried beside the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build-bundle}"
out_dir=".gpu_bundle"

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DMAAC_CUDA=ON -DMAAC_NATIVE=OFF \
  -DMAAC_BUILD_TESTS=ON -DMAAC_BUILD_BENCH=ON -DCMAKE_CUDA_ARCHITECTURES="80;90" >/dev/null

# The CUDA tests: every executable that tests/cuda registers with ctest.
mapfile -t cuda_tests < <(sed -n 's|^add_test(.* "\(.*\)")$|\1|p' "$build_dir/tests/cuda/CTestTestfile.cmake" |
                          xargs -r -n1 basename | sort -u)
if [[ ${#cuda_tests[@]} -eq 0 ]]; then echo "gpu_bundle: ctest lists no cuda tests" >&2; exit 1; fi
targets=("${cuda_tests[@]}" test_trainer maac bench_cuda_kernels bench_cuda_maac_update)
nice cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
for t in "${targets[@]}"; do
  cp "$build_dir/bin/$t" "$stage/bin/"
  strip "$stage/bin/$t"
done
printf '%s\n' "${cuda_tests[@]}" >"$stage/tests.txt"
# Which source it was built from (a dirty tree is marked so).
echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!.gpu_bundle' || echo '+uncommitted changes')" >"$stage/commit.txt"

# Libraries: everything ldd resolves outside glibc, the C++ runtime and the CUDA toolkit
# (the GPU machine has its own, matched to its driver).
skip='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcurand)'
for t in "${targets[@]}"; do
  ldd "$stage/bin/$t" | awk '$3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  if [[ ! "$name" =~ $skip ]]; then cp -L "$path" "$stage/lib/$name"; fi
done

mkdir -p "$out_dir"
tar -C "$stage" -cJf "$out_dir/bundle.tar.xz" bin lib tests.txt commit.txt
echo "gpu_bundle: $out_dir/bundle.tar.xz ($(du -h "$out_dir/bundle.tar.xz" | cut -f1)):" \
  "${#targets[@]} executables, $(ls "$stage/lib" | wc -l) libraries, built from $(cat "$stage/commit.txt")"
