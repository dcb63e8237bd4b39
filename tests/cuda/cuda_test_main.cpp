// Test runner for the CUDA tests: exit 77 (ctest: skipped) when no GPU is usable, so a
// GPU-less machine reports these tests as skipped rather than passed or failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "kernels/cuda/device.hpp"

int main(int argc, char* argv[]) {
  if (maac::cuda::device_count() == 0) {
    std::printf("no CUDA GPU available (%s): skipping (exit 77)\n", maac::cuda::device_unavailable_reason().c_str());
    return 77;
  }
  std::printf("running on %s\n", maac::cuda::device_description().c_str());
  return Catch::Session().run(argc, argv);
}
