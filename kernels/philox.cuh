// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"), the
// counter-based generator cuRAND also offers. Counter-based means the stream is a pure
// function of (key, counter): a checkpoint stores two integers, and CPU and GPU code
// can draw the same numbers for the same counter.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/hd.cuh"

namespace maac::philox {

struct Block { uint32_t v[4]; };

MAAC_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// Four 32-bit random words for one 128-bit counter under a 64-bit key.
MAAC_HD Block generate(uint64_t counter_lo, uint64_t counter_hi, uint64_t key) {
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Block{{c0, c1, c2, c3}};
}

// Uniform in (0, 1], never 0, so log() in Box-Muller is finite.
MAAC_HD double to_unit(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);  // 53 bits
  return (static_cast<double>(bits & ((uint64_t(1) << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
}

// Two standard normals from one block (Box-Muller).
MAAC_HD void normal_pair(const Block& b, double* z0, double* z1) {
  double u1 = to_unit(b.v[0], b.v[1]);
  double u2 = to_unit(b.v[2], b.v[3]);
  double r = std::sqrt(-2.0 * std::log(u1));
  double th = 6.283185307179586476925 * u2;
  *z0 = r * std::cos(th);
  *z1 = r * std::sin(th);
}

}  // namespace maac::philox
