#include "kernels/cuda/check.cuh"
#include "kernels/cuda/device.hpp"

namespace maac::cuda {

namespace {
// cudaGetDeviceCount once: its status says why there is no GPU (no driver, a driver
// older than this runtime needs, no device).
struct DeviceQuery {
  int count = 0;
  cudaError_t status = cudaSuccess;
  DeviceQuery() {
    status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      count = 0;
      cudaGetLastError();  // clear the error for later calls
    }
  }
};
const DeviceQuery& query() {
  static const DeviceQuery q;
  return q;
}
}  // namespace

int device_count() { return query().count; }

std::string device_unavailable_reason() {
  const DeviceQuery& q = query();
  if (q.status != cudaSuccess) {
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
    const std::string drivers = driver == 0 ? "no NVIDIA driver is installed"
                                            : "the driver supports CUDA up to " + version(driver);
    return std::string(cudaGetErrorName(q.status)) + " (" + cudaGetErrorString(q.status) + "): this build's CUDA runtime is " +
           version(runtime) + ", " + drivers;
  }
  return q.count == 0 ? "the CUDA driver reports no device" : "";
}

std::string device_description() {
  if (device_count() == 0) throw std::runtime_error("device_description: no CUDA GPU is available");
  cudaDeviceProp p{};
  MAAC_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  return std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
         std::to_string(p.totalGlobalMem >> 20) + " MiB)";
}

}  // namespace maac::cuda
