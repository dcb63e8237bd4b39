// Device dispatch of kernels/random.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/random.hpp"

#include "kernels/cuda/members.hpp"
#include "kernels/cuda/random.hpp"
#include "kernels/dispatch.hpp"

namespace maac::kernels {

template <class T> void fill_normal(Where w, T* out, int64_t n, uint64_t seed, uint64_t* device_counter) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::fill_normal(out, n, seed, device_counter, w.stream));
  cuda_only(__func__, w.device);
}

void draw_members(Where w, int32_t* out, int64_t n, const int32_t* pool, int64_t pool_size, uint64_t seed,
                  uint64_t* device_counter) {
  if (w.on_cuda()) return MAAC_ON_CUDA(cuda::draw_members(out, n, pool, pool_size, seed, device_counter, w.stream));
  cuda_only(__func__, w.device);
}

template void fill_normal<float>(Where, float*, int64_t, uint64_t, uint64_t*);
template void fill_normal<double>(Where, double*, int64_t, uint64_t, uint64_t*);

}  // namespace maac::kernels
