#include "kernels/where.hpp"

#include <stdexcept>
#include <string>

namespace maac::kernels {

bool have_cuda() {
#ifdef MAAC_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

void no_cuda_backend(const char* entry) {
  throw std::runtime_error(std::string("kernels::") + entry +
                           ": device cuda requested, but this build has no CUDA backend (configure with "
                           "-DMAAC_CUDA=ON); expected cpu");
}

void cuda_only(const char* entry, Device got) {
  throw std::invalid_argument(std::string("kernels::") + entry + ": device " + device_name(got) +
                              ", expected cuda (this kernel runs on the GPU only)");
}

}  // namespace maac::kernels
