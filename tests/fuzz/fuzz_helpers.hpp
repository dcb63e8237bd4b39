// Seeded mutation fuzzing for the text readers: a seed (MAAC_FUZZ_SEED, printed), one
// generator per case (so a failing case is reproduced from the seed and its number alone),
// and the mutations every reader is put through.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace maac::fuzz {

// MAAC_FUZZ_SEED=<n> explores other inputs; the default keeps CI reproducible.
inline uint64_t fuzz_seed(const char* reader) {
  const char* env = std::getenv("MAAC_FUZZ_SEED");
  uint64_t seed = env ? std::strtoull(env, nullptr, 0) : 20240601;
  std::cout << "fuzz " << reader << ": seed " << seed << " (set MAAC_FUZZ_SEED to change it)" << std::endl;
  return seed;
}

// The generator of case `index`: independent of every other case.
inline std::mt19937_64 case_rng(uint64_t seed, uint64_t index) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(index),
                    static_cast<uint32_t>(index >> 32)};
  return std::mt19937_64(seq);
}

inline size_t pick(std::mt19937_64& rng, size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng) : 0; }

template <class T>
const T& pick_from(std::mt19937_64& rng, const std::vector<T>& v) { return v[pick(rng, v.size())]; }

// One random mutation of `text`: truncate, flip, insert a dictionary token, delete, repeat
// a chunk (long lines, huge lengths), or splice in a NUL.
inline std::string mutate(std::string text, std::mt19937_64& rng, const std::vector<std::string>& dictionary) {
  size_t at = pick(rng, text.size() + 1);
  switch (pick(rng, 7)) {
    case 0:  // truncation
      text.resize(at);
      break;
    case 1:  // flipped bits or whole bytes
      for (size_t k = 1 + pick(rng, 4); k > 0 && !text.empty(); --k) {
        size_t i = pick(rng, text.size());
        text[i] = static_cast<char>(pick(rng, 2) ? text[i] ^ (1 << pick(rng, 8)) : static_cast<char>(pick(rng, 256)));
      }
      break;
    case 2:  // a token from the reader's dictionary
    case 3:
      text.insert(at, pick_from(rng, dictionary));
      break;
    case 4:  // a deleted span
      text.erase(at, 1 + pick(rng, 64));
      break;
    case 5: {  // a chunk repeated, up to about a megabyte
      size_t len = 1 + pick(rng, 16);
      std::string chunk = text.substr(at, len);
      if (chunk.empty()) chunk = pick_from(rng, dictionary);
      size_t times = pick(rng, 8) ? 1 + pick(rng, 64) : 1 + pick(rng, (1 << 20) / chunk.size());
      std::string repeated;
      repeated.reserve(chunk.size() * times);
      for (size_t k = 0; k < times; ++k) repeated += chunk;
      text.insert(at, repeated);
      break;
    }
    default:  // an embedded NUL
      text.insert(at, 1, '\0');
      break;
  }
  return text;
}

// 1 to 4 mutations in a row.
inline std::string mutate_some(std::string text, std::mt19937_64& rng, const std::vector<std::string>& dictionary) {
  for (size_t k = 1 + pick(rng, 4); k > 0; --k) text = mutate(std::move(text), rng, dictionary);
  return text;
}

// `part` repeated `times` times, joined by `sep`.
inline std::string repeat(std::string_view part, size_t times, std::string_view sep = "") {
  std::string out;
  for (size_t k = 0; k < times; ++k) {
    if (k) out += sep;
    out += part;
  }
  return out;
}

}  // namespace maac::fuzz
