// Seeded mutation fuzzing of the safetensors reader. Every mutated file must either load
// into a consistent object or throw a std::exception naming its source: no crash, no hang,
// no allocation out of proportion to the input. With Verify::checksum every file whose
// bytes changed must be refused. MAAC_FUZZ_SEED and MAAC_FUZZ_CASES (per seed file)
// override the defaults; the seed is printed so a failure can be replayed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "autodiff/safetensors.hpp"

using namespace maac;
using namespace std::string_literals;
namespace fs = std::filesystem;

// The largest single allocation while a parse runs: a header length of 2^63 or a shape of
// 2^62 elements must be refused before anything of that size is allocated. Under
// AddressSanitizer the replacement is left out (ASan owns operator new, and mixing the two
// is an alloc-dealloc mismatch); ASan itself aborts on any allocation beyond its limit.
#if !defined(__SANITIZE_ADDRESS__)
#define MAAC_TRACK_ALLOCATIONS 1
#endif
namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};
[[maybe_unused]] void* tracked_alloc(size_t n) {
  if (g_tracking.load(std::memory_order_relaxed) && n > g_largest.load(std::memory_order_relaxed))
    g_largest.store(n, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
}  // namespace
#ifdef MAAC_TRACK_ALLOCATIONS
void* operator new(size_t n) { return tracked_alloc(n); }
void* operator new[](size_t n) { return tracked_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
#endif

namespace {

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Valid files to start from: every dtype, empty and scalar tensors, metadata only, many names.
std::vector<std::string> seed_files() {
  fs::path dir = fs::temp_directory_path() / ("maac_st_fuzz_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<Safetensors> seeds(5);
  std::vector<float> w{1.5f, -2.f, 3.25f, 0.f, 7.f, -1e-30f};
  seeds[0].put("layer.weight", {2, 3}, w.data());
  seeds[0].put<double>("alpha", {0.125, -3e300});
  seeds[0].put<int64_t>("step", {42, -7, INT64_MIN});
  seeds[0].put<uint8_t>("flags", {1, 0, 1, 255, 9});
  seeds[0].set_metadata("format", "maac-checkpoint-2");
  seeds[0].set_metadata("config", "[actor]\nhorizon = 3\nname = \"r\u00e9sum\u00e9 \u2713\"\n");
  float none = 0.f;
  uint8_t one = 4;
  seeds[1].put("empty.f32", {0}, &none);
  seeds[1].put("empty.f64", {3, 0}, reinterpret_cast<const double*>(&w[0]));
  seeds[1].put("empty.i64", {0, 0, 0}, reinterpret_cast<const int64_t*>(&w[0]));
  seeds[1].put("scalar.u8", {}, &one);
  seeds[2].set_metadata("format", "metadata only");
  seeds[2].set_metadata("a", "");
  seeds[2].set_metadata("b", "{\"not\": \"json inside\"}");
  for (int i = 0; i < 20; ++i) seeds[3].put<int64_t>("t." + std::to_string(i) + ".\u03b8", {i, -i});
  std::vector<float> big(300);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.5f - 7.f;
  seeds[4].put<float>("big", big);
  seeds[4].put<double>("d", {1.0, 2.0, 3.0});
  seeds[4].set_metadata("format", "maac-checkpoint-2");
  std::vector<std::string> files;
  for (size_t i = 0; i < seeds.size(); ++i) {
    fs::path p = dir / ("seed" + std::to_string(i) + ".safetensors");
    seeds[i].save(p);
    files.push_back(read_bytes(p));
  }
  fs::remove_all(dir);
  return files;
}

// A file split at its (valid) header length, and put back together with a true length.
struct Parts {
  std::string text, data;
};
Parts split(const std::string& file) {
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  return {file.substr(8, n), file.substr(8 + n)};
}
std::string join(const std::string& text, const std::string& data) {
  uint64_t n = text.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + text + data;
}
bool splittable(const std::string& file) {
  uint64_t n = 0;
  if (file.size() < 8) return false;
  std::memcpy(&n, file.data(), 8);
  return n <= file.size() - 8;
}
std::string with_length(std::string file, uint64_t n) {
  std::memcpy(file.data(), &n, 8);
  return file;
}

// Texts a JSON number, dtype or metadata position may be replaced by.
const std::vector<std::string> kNumbers = {
    "-1", "-0", "0.0", "-0.0", "1e400", "-1e400", "1e-400", "NaN", "nan", "Infinity", "-Infinity", "1.5", "2.0", "1e2",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
    "99999999999999999999999999", "-9223372036854775808", "-9223372036854775809", "4294967296", "0x10", "+1", "01",
    "", "true", "null", "\"1\"", "[1]", "{}", "1 1", "-"};
const std::vector<std::string> kDtypes = {"\"F16\"", "\"BF16\"", "\"f32\"", "\"\"", "\"F32 \"", "\"I32\"", "\"BOOL\"",
                                          "\"U8\\u0000\"", "5", "null", "[]", "{}", "\"F64\"", "\"U8\"", "\"I64\""};
const std::vector<std::string> kMetadata = {"[]", "\"s\"", "1", "null", "true", "[{\"a\":\"b\"}]", "{\"format\":1}",
                                            "{\"format\":{\"x\":\"y\"}}", "{}", "{\"a\":\"b\",\"a\":\"c\"}"};
const std::vector<std::string> kShapes = {"[4294967296,4294967296,4294967296]", "[4611686018427387904,4]",
                                          "[9223372036854775807,9223372036854775807]", "[-1]", "[1,-1]", "[0,-5]",
                                          "[1.0]", "[\"2\"]", "[[2]]", "{}", "[]", "[0]", "[3,0,9223372036854775807]"};
const std::vector<std::string> kOffsets = {"[0,18446744073709551615]", "[18446744073709551615,0]", "[-8,0]", "[0,-0]",
                                           "[0.0,8.0]", "[0,1e400]", "[4,0]", "[0]", "[0,8,16]", "[\"0\",\"8\"]",
                                           "[0,9223372036854775808]", "[9223372036854775800,9223372036854775808]",
                                           "[0,8]", "[8,16]", "null"};

// Positions of the JSON numbers (outside strings) in a header text.
std::vector<std::pair<size_t, size_t>> number_tokens(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> out;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i;
      while (j < text.size() && std::strchr("-+.eE0123456789", text[j])) ++j;
      out.emplace_back(i, j - i);
      i = j - 1;
    }
  }
  return out;
}

// The value after `"key":` at some occurrence: [begin, end) of a string, number or
// balanced bracket value (good enough for save()'s compact output).
bool find_value(const std::string& text, const std::string& key, std::mt19937_64& rng, size_t* begin, size_t* end) {
  std::vector<size_t> hits;
  std::string pat = "\"" + key + "\":";
  for (size_t at = text.find(pat); at != std::string::npos; at = text.find(pat, at + 1)) hits.push_back(at + pat.size());
  if (hits.empty()) return false;
  size_t b = hits[rng() % hits.size()], e = b;
  if (e >= text.size()) return false;
  if (text[e] == '"') {
    for (++e; e < text.size() && text[e] != '"'; ++e)
      if (text[e] == '\\') ++e;
    ++e;
  } else if (text[e] == '[' || text[e] == '{') {
    int depth = 0;
    bool in_string = false;
    for (; e < text.size(); ++e) {
      char c = text[e];
      if (in_string) {
        if (c == '\\') ++e;
        else if (c == '"') in_string = false;
      } else if (c == '"') in_string = true;
      else if (c == '[' || c == '{') ++depth;
      else if ((c == ']' || c == '}') && --depth == 0) { ++e; break; }
    }
  } else {
    while (e < text.size() && text[e] != ',' && text[e] != '}' && text[e] != ']') ++e;
  }
  if (e > text.size()) return false;
  *begin = b;
  *end = e;
  return true;
}

std::string nested(size_t depth, bool objects, bool balanced) {
  std::string open = objects ? "{\"k\":" : "[", close = objects ? "}" : "]", s;
  s.reserve(depth * (open.size() + 1) + 8);
  for (size_t i = 0; i < depth; ++i) s += open;
  s += "1";
  if (balanced)
    for (size_t i = 0; i < depth; ++i) s += close;
  return s;
}

const char* const kKinds[] = {"truncate",  "flip bits",  "set bytes",   "header length", "insert/delete",
                              "number",    "dtype",      "shape",       "data_offsets",  "metadata",
                              "duplicate", "deep nest",  "drop key",    "header text",   "splice",
                              "stacked"};
constexpr int kKindCount = sizeof(kKinds) / sizeof(kKinds[0]);

// One mutation of `file` of the given kind.
std::string mutate(const std::string& file, int kind, std::mt19937_64& rng, const std::vector<std::string>& seeds) {
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto below = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : size_t{0}; };
  Parts p = split(file);
  // Header edits keep the true length half of the time, else leave the old length field.
  auto rejoin = [&](const std::string& text) {
    return rng() % 2 ? join(text, p.data) : with_length(join(text, p.data), p.text.size());
  };
  auto replace_value = [&](const std::string& key, const std::string& by) {
    size_t b, e;
    if (!find_value(p.text, key, rng, &b, &e)) return rejoin(by + p.text);
    std::string t = p.text;
    t.replace(b, e - b, by);
    return rejoin(t);
  };
  std::string out = file;
  switch (kind) {
    case 0: return file.substr(0, below(file.size()));
    case 1:
      for (int i = 0, n = 1 + static_cast<int>(below(4)); i < n; ++i) out[below(out.size())] ^= static_cast<char>(1 << below(8));
      return out;
    case 2:
      for (int i = 0, n = 1 + static_cast<int>(below(4)); i < n; ++i) out[below(out.size())] = static_cast<char>(rng());
      return out;
    case 3: {
      const uint64_t lengths[] = {uint64_t{1} << 63, ~uint64_t{0}, uint64_t{1} << 40, file.size() - 7,
                                  file.size() - 8 + 1 + below(100), below(file.size() - 7), p.text.size() - 1,
                                  p.text.size() + 1, 0, 100'000'001};
      return with_length(file, lengths[below(std::size(lengths))]);
    }
    case 4: {
      size_t at = below(file.size() + 1);
      if (rng() % 2) return file.substr(0, at) + std::string(1 + below(9), static_cast<char>(rng())) + file.substr(at);
      return file.substr(0, at) + file.substr(std::min(file.size(), at + 1 + below(16)));
    }
    case 5: {
      auto tokens = number_tokens(p.text);
      if (tokens.empty()) return rejoin(pick(kNumbers) + p.text);
      auto [b, n] = tokens[below(tokens.size())];
      std::string t = p.text;
      t.replace(b, n, pick(kNumbers));
      return rejoin(t);
    }
    case 6: return replace_value("dtype", pick(kDtypes));
    case 7: return replace_value("shape", pick(kShapes));
    case 8: return replace_value("data_offsets", pick(kOffsets));
    case 9: return replace_value("__metadata__", pick(kMetadata));
    case 10: {
      // A member repeated in its object: a tensor, the metadata, or one of their fields.
      const char* keys[] = {"dtype", "shape", "data_offsets", "__metadata__", "format"};
      std::string key = keys[below(std::size(keys))];
      size_t b, e;
      if (!find_value(p.text, key, rng, &b, &e)) return rejoin(p.text);
      std::string member = "\"" + key + "\":" + p.text.substr(b, e - b);
      std::string t = p.text;
      t.insert(e, "," + member);
      return rejoin(t);
    }
    case 11: {
      const size_t depths[] = {2, 100, 10'000, 200'000};
      std::string deep = nested(depths[below(std::size(depths))], rng() % 2, rng() % 4 != 0);
      switch (below(4)) {
        case 0: return rejoin(deep);
        case 1: return replace_value("__metadata__", deep);
        case 2: return replace_value("shape", deep);
        default: return replace_value("format", deep);
      }
    }
    case 12: {
      const char* keys[] = {"dtype", "shape", "data_offsets"};
      std::string key = keys[below(std::size(keys))];
      size_t b, e;
      if (!find_value(p.text, key, rng, &b, &e)) return rejoin(p.text);
      std::string t = p.text;
      size_t from = b - key.size() - 3;  // the opening quote of the key
      if (t[e] == ',') ++e;
      t.erase(from, e - from);
      return rejoin(t);
    }
    case 13: {
      // Whole-header oddities: trailing garbage, non-objects, bad UTF-8, NULs, comments.
      const std::string texts[] = {p.text + "x", p.text + "\0"s, "[" + p.text + "]", "\"" + p.text + "\"", "", " ",
                                   "{}", "null", p.text + p.text, "\xff" + p.text, "/*c*/" + p.text,
                                   p.text.substr(0, p.text.size() / 2), "{\"\xc3\x28\":1}"};
      std::string t = texts[below(std::size(texts))];
      return rejoin(t);
    }
    case 14: {
      const std::string& other = seeds[below(seeds.size())];
      return file.substr(0, below(file.size())) + other.substr(below(other.size()));
    }
    default:
      // Two or three of the above in a row (on the original where the last broke the length).
      for (int i = 0, n = 2 + static_cast<int>(below(2)); i < n; ++i)
        out = mutate(splittable(out) ? out : file, static_cast<int>(below(kKindCount - 1)), rng, seeds);
      return out;
  }
}

// A loaded object must be self-consistent: every tensor's bytes match its shape and dtype.
void check_consistent(const Safetensors& st) {
  for (const auto& [name, t] : st.tensors()) {
    // Elements: zero if any dimension is; otherwise the product must fit in int64.
    int64_t n = 1;
    bool overflow = false;
    for (int64_t d : t.shape) {
      REQUIRE(d >= 0);
      overflow = __builtin_mul_overflow(n, d, &n) || overflow;
    }
    if (std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end()) n = 0;
    else if (overflow) FAIL("tensor '" << name << "' loaded with a shape whose size overflows int64");
    switch (t.type) {
      case StoredType::f32: REQUIRE(st.get<float>(name, n).size() == static_cast<size_t>(n)); break;
      case StoredType::f64: REQUIRE(st.get<double>(name, n).size() == static_cast<size_t>(n)); break;
      case StoredType::i64: REQUIRE(st.get<int64_t>(name, n).size() == static_cast<size_t>(n)); break;
      case StoredType::u8: REQUIRE(st.get<uint8_t>(name, n).size() == static_cast<size_t>(n)); break;
    }
  }
}

struct Tally {
  int cases = 0, changed = 0, loaded = 0, refused = 0;
};

// Parses one case both ways; fails with the case's name on any broken promise.
void run_case(const std::string& bytes, const std::string& original, const std::string& source, Tally* tally) {
  const bool changed = bytes != original;
  ++tally->cases;
  tally->changed += changed;
  for (Verify verify : {Verify::checksum, Verify::structure_only}) {
    const char* mode = verify == Verify::checksum ? "checksum" : "structure_only";
    g_largest = 0;
    g_tracking = true;
    std::optional<Safetensors> st;
    std::string error;
    try {
      st.emplace(Safetensors::parse(bytes, source, verify));
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      g_tracking = false;
      FAIL(source << " (" << mode << "): threw something that is not a std::exception");
    }
    g_tracking = false;
    const bool ok = st.has_value();
    ++(ok ? tally->loaded : tally->refused);
    if (!ok && error.find("'" + source + "'") == std::string::npos)
      FAIL(source << " (" << mode << "): the error does not name the source: " << error);
    if (ok && verify == Verify::checksum && changed) FAIL(source << ": changed bytes passed the checksum");
    if (ok) check_consistent(*st);
    // Proportional to the input (a JSON DOM is a few times its text), never to a claimed size.
    if (g_largest > 64 * bytes.size() + (1u << 20))
      FAIL(source << " (" << mode << "): allocated " << g_largest << " bytes at once for a " << bytes.size() << "-byte file");
  }
}

}  // namespace

TEST_CASE("safetensors fuzz: seeded mutations load consistently or fail naming the source") {
  const uint64_t seed = env_or("MAAC_FUZZ_SEED", 20240917);
  const uint64_t per_seed = env_or("MAAC_FUZZ_CASES", 1200);
  std::printf("safetensors fuzz: seed %llu (MAAC_FUZZ_SEED), %llu cases per seed file\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(per_seed));
  INFO("MAAC_FUZZ_SEED=" << seed);
  const std::vector<std::string> seeds = seed_files();
  std::mt19937_64 rng(seed);
  Tally tally;
  std::map<std::string, Tally> by_kind;
  for (size_t s = 0; s < seeds.size(); ++s) {
    // The seed files themselves load both ways.
    run_case(seeds[s], seeds[s], "seed file " + std::to_string(s), &tally);
    REQUIRE(tally.refused == 0);
    for (uint64_t i = 0; i < per_seed; ++i) {
      int kind = static_cast<int>(rng() % kKindCount);
      std::string bytes = mutate(seeds[s], kind, rng, seeds);
      std::string source = "fuzz seed " + std::to_string(seed) + " file " + std::to_string(s) + " case " + std::to_string(i);
      run_case(bytes, seeds[s], source, &by_kind[kKinds[kind]]);
    }
  }
  int cases = 0, changed = 0;
  for (const auto& [kind, t] : by_kind) {
    std::printf("  %-14s %5d cases (%5d changed): %5d loads, %5d refusals\n", kind.c_str(), t.cases, t.changed, t.loaded,
                t.refused);
    cases += t.cases;
    changed += t.changed;
  }
  std::printf("  total %d mutated cases, %d with changed bytes, each parsed with and without the checksum\n", cases,
              changed);
  REQUIRE(cases >= 5000);
  REQUIRE(changed > cases * 9 / 10);
}

TEST_CASE("safetensors fuzz: a header length of 2^63 or 2^64-1 allocates nothing of that size") {
  for (uint64_t n : {uint64_t{1} << 63, ~uint64_t{0}, uint64_t{1} << 62}) {
    std::string file(8, '\0');
    std::memcpy(file.data(), &n, 8);
    file += "{}";
    Tally tally;
    run_case(file, "", "huge length " + std::to_string(n), &tally);
    REQUIRE(tally.refused == 2);
  }
}
