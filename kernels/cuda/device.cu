#include "kernels/cuda/check.cuh"
#include "kernels/cuda/device.hpp"

namespace maac::cuda {

int device_count() {
  // Without a driver this returns cudaErrorInsufficientDriver, not 0 devices.
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error for later calls
    return 0;
  }
  return n;
}

std::string device_description() {
  if (device_count() == 0) throw std::runtime_error("device_description: no CUDA GPU is available");
  cudaDeviceProp p{};
  MAAC_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  return std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
         std::to_string(p.totalGlobalMem >> 20) + " MiB)";
}

}  // namespace maac::cuda
