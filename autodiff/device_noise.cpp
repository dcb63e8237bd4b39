#include "autodiff/device_noise.hpp"

#include <stdexcept>
#include <string>

#include "kernels/random.hpp"

namespace maac {
namespace {
template <class T> void require_cuda_tape(const Tape<T>& tape, const char* what) {
  if (tape.device() != Device::cuda)
    throw std::invalid_argument(std::string("DeviceNoise::") + what + ": the tape is on " + device_name(tape.device()) +
                                ", expected cuda (cpu noise comes from Rng on the host)");
}
}  // namespace

DeviceNoise::DeviceNoise(uint64_t seed) : seed_(seed) {
  device::require(Device::cuda, "DeviceNoise");
  counters_ = static_cast<uint64_t*>(device::allocate(2 * sizeof(uint64_t), Device::cuda));
  device::zero(counters_, Device::cuda, 2 * sizeof(uint64_t), cuda::default_stream);
}

DeviceNoise::~DeviceNoise() { device::release(counters_, Device::cuda); }

template <class T> Var<T> DeviceNoise::normal(Tape<T>& tape, Shape shape) {
  require_cuda_tape(tape, "normal");
  Var<T> v = tape.result(shape, false);
  kernels::fill_normal(tape.where(), v.value(), shape.numel(), seed_, counters_);
  return v;
}

template <class T>
const int32_t* DeviceNoise::members(Tape<T>& tape, int64_t n, const int32_t* pool, int64_t pool_size) {
  require_cuda_tape(tape, "members");
  int32_t* out = tape.indices(n);
  // A different key from the normals' keeps the two streams of numbers apart.
  kernels::draw_members(tape.where(), out, n, pool, pool_size, ~seed_, counters_ + 1);
  return out;
}

uint64_t DeviceNoise::normal_counter() const {
  uint64_t c = 0;
  device::copy(&c, Device::cpu, counters_, Device::cuda, sizeof c, cuda::default_stream);
  return c;
}
uint64_t DeviceNoise::member_counter() const {
  uint64_t c = 0;
  device::copy(&c, Device::cpu, counters_ + 1, Device::cuda, sizeof c, cuda::default_stream);
  return c;
}
void DeviceNoise::set_counters(uint64_t normal, uint64_t member) {
  const uint64_t both[2] = {normal, member};
  device::copy(counters_, Device::cuda, both, Device::cpu, sizeof both, cuda::default_stream);
}

template Var<float> DeviceNoise::normal<float>(Tape<float>&, Shape);
template Var<double> DeviceNoise::normal<double>(Tape<double>&, Shape);
template const int32_t* DeviceNoise::members<float>(Tape<float>&, int64_t, const int32_t*, int64_t);
template const int32_t* DeviceNoise::members<double>(Tape<double>&, int64_t, const int32_t*, int64_t);

}  // namespace maac
