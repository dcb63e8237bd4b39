// Every CUDA, cuBLAS and cuRAND call goes through these checks (DESIGN decision 8).
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace maac::cuda {

inline void check(cudaError_t status, const char* what, const char* file, int line) {
  if (status == cudaSuccess) return;
  // Clear the runtime's last-error slot, so that a caller who catches this and goes on is
  // not blamed for it at the next launch check. (A sticky error, e.g. a kernel fault,
  // stays: every later call reports it.)
  cudaGetLastError();
  throw std::runtime_error(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
                             "): " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

}  // namespace maac::cuda

#define MAAC_CUDA_CHECK(call) ::maac::cuda::check((call), #call, __FILE__, __LINE__)
