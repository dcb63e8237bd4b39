// Device dispatch of kernels/random.hpp: one branch per call (kernels/dispatch.hpp).
#include "kernels/random.hpp"

#include "kernels/cpu/parallel.hpp"
#include "kernels/cuda/members.hpp"
#include "kernels/cuda/random.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/philox.cuh"

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

template <class T> void fill_normal_pairs(T* out, int64_t n, uint64_t seed, uint64_t counter) {
  // Box-Muller costs about 50 ns a pair: whole pairs per thread, each from its own counter.
  const int64_t pairs = (n + 1) / 2;
  cpu::parallel_range(pairs, 64, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      double z0, z1;
      philox::normal_pair(philox::generate(counter + uint64_t(j), 1, seed), &z0, &z1);
      out[2 * j] = static_cast<T>(z0);
      if (2 * j + 1 < n) out[2 * j + 1] = static_cast<T>(z1);
    }
  });
}

template void fill_normal_pairs<float>(float*, int64_t, uint64_t, uint64_t);
template void fill_normal_pairs<double>(double*, int64_t, uint64_t, uint64_t);
template void fill_normal<float>(Where, float*, int64_t, uint64_t, uint64_t*);
template void fill_normal<double>(Where, double*, int64_t, uint64_t, uint64_t*);

}  // namespace maac::kernels
