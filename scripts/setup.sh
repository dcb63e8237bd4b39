#!/usr/bin/env bash
# Installs every Debian package maac needs, then configures and builds (Release).
# Usage: scripts/setup.sh [--target NAME ...] [extra cmake -D options...]   (BUILD_DIR=build by default)
# Without --target it builds everything (tests and benchmarks too); the README's quick
# start builds only the command line (--target maac), about half the time.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=() cmake_options=()
while (($#)); do
  case "$1" in
    --target)
      [ $# -ge 2 ] || { echo "scripts/setup.sh: --target needs a target name (e.g. maac)" >&2; exit 2; }
      targets+=(--target "$2"); shift 2 ;;
    *) cmake_options+=("$1"); shift ;;
  esac
done

packages=(
  build-essential cmake pkg-config git
  libeigen3-dev            # CPU vector math and thin GEMMs
  libopenblas-openmp-dev   # CPU GEMMs with every dimension >= 32 (docs/benchmarks.md)
  catch2                   # unit tests (Catch2 v2)
  libbenchmark-dev         # bench/
  libcli11-dev             # command line
  libfmt-dev libspdlog-dev # formatting and logs
  nlohmann-json3-dev       # checkpoint headers
  libxxhash-dev            # checkpoint checksums (XXH3-64 over the whole file)
  python3-venv             # the venv scripts/test.sh makes for the Python readback tests
  libtomlplusplus-dev      # run configs (TOML)
  gnuplot-nox              # learning-curve PNGs
  libmujoco-dev libqhull-dev # MuJoCo 2.2.2 (its CMake config needs qhull)
  libegl-dev libegl-mesa0 libgl1-mesa-dri # maac video: offscreen EGL, llvmpipe without a GPU
  ffmpeg                   # maac video: H.264 MP4 (the ffmpeg program; ffprobe for the tests)
)

source scripts/install_packages.sh
install_packages "${packages[@]}"

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "${cmake_options[@]}"
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
