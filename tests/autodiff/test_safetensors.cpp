// Safetensors round trips, the on-disk layout, the whole-file checksum, and rejection of
// corrupt files.
#include <catch2/catch.hpp>
#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autodiff/safetensors.hpp"

using namespace maac;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("maac_st_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
Safetensors sample() {
  Safetensors st;
  std::vector<float> w{1.5f, -2.f, 3.25f, 0.f, 7.f, -1e-30f};
  st.put("layer.weight", {2, 3}, w.data());
  st.put<double>("alpha", {0.125});
  st.put<int64_t>("step", {42, -7});
  st.put<uint8_t>("flags", {1, 0, 1});
  st.set_metadata("format", "maac-test");
  return st;
}
// A file from a header's text and a data section, laid out by hand (8-byte aligned header).
std::string assemble_text(std::string text, const std::string& data) {
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t n = text.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + text + data;
}
std::string assemble(const nlohmann::json& header, const std::string& data) { return assemble_text(header.dump(), data); }
// The 16 checksum digits of a file: where they sit, found independently of the reader.
size_t checksum_digits_at(const std::string& file) {
  size_t at = file.find("\"maac.checksum\":\"xxh3-64:");
  REQUIRE(at != std::string::npos);
  REQUIRE(file.find("\"maac.checksum\"", at + 1) == std::string::npos);
  return at + std::strlen("\"maac.checksum\":\"xxh3-64:");
}
// XXH3-64 of a file with its checksum digits read as '0', straight from libxxhash.
std::string xxh3_with_zeroed_digits(std::string file) {
  file.replace(checksum_digits_at(file), 16, 16, '0');
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(file.data(), file.size())));
  return hex;
}
// Writes the right checksum into a hand-made file that holds a zeroed checksum entry.
std::string seal(std::string file) {
  std::string hex = xxh3_with_zeroed_digits(file);
  file.replace(checksum_digits_at(file), 16, hex);
  return file;
}
const std::string kZeroChecksum = "xxh3-64:0000000000000000";
}  // namespace

TEST_CASE("safetensors round trip keeps every value, shape and metadata") {
  fs::path file = temp_dir() / "a.safetensors";
  sample().save(file);
  Safetensors back = Safetensors::load(file);
  REQUIRE(back.get<float>("layer.weight") == std::vector<float>{1.5f, -2.f, 3.25f, 0.f, 7.f, -1e-30f});
  REQUIRE(back.tensor("layer.weight").shape == std::vector<int64_t>{2, 3});
  REQUIRE(back.get<double>("alpha") == std::vector<double>{0.125});
  REQUIRE(back.get<int64_t>("step") == std::vector<int64_t>{42, -7});
  REQUIRE(back.get<uint8_t>("flags") == std::vector<uint8_t>{1, 0, 1});
  REQUIRE(back.metadata_or("format", "") == "maac-test");
  REQUIRE_THROWS_WITH(back.get<double>("layer.weight"), Contains("F32") && Contains("expected F64"));
  REQUIRE_THROWS_WITH(back.get<float>("layer.weight", 5), Contains("6 elements, expected 5"));
  REQUIRE_THROWS_WITH(back.get<float>("missing"), Contains("no tensor named 'missing'"));
}

TEST_CASE("the file follows the safetensors layout") {
  // An independent reading: u64 header length, JSON header, raw data at data_offsets.
  fs::path file = temp_dir() / "layout.safetensors";
  sample().save(file);
  std::string bytes = read_bytes(file);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  REQUIRE(n % 8 == 0);
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  REQUIRE(header["layer.weight"]["dtype"] == "F32");
  REQUIRE(header["layer.weight"]["shape"] == nlohmann::json({2, 3}));
  REQUIRE(header["__metadata__"]["format"] == "maac-test");
  uint64_t begin = header["alpha"]["data_offsets"][0];
  double alpha = 0;
  std::memcpy(&alpha, bytes.data() + 8 + n + begin, 8);
  REQUIRE(alpha == 0.125);
}

TEST_CASE("corrupt files are rejected with the path and the defect") {
  fs::path dir = temp_dir();
  fs::path good = dir / "good.safetensors";
  sample().save(good);
  std::string bytes = read_bytes(good);

  // Structural checks, with the checksum skipped (it would fire first).
  fs::path truncated = dir / "truncated.safetensors";
  write_bytes(truncated, bytes.substr(0, bytes.size() - 3));
  REQUIRE_THROWS_WITH(Safetensors::load(truncated, Verify::structure_only),
                      Contains("truncated.safetensors") && Contains("expected"));
  REQUIRE_THROWS_WITH(Safetensors::load(truncated), Contains("truncated.safetensors") && Contains("is corrupt: checksum"));

  fs::path tiny = dir / "tiny.safetensors";
  write_bytes(tiny, "abc");
  REQUIRE_THROWS_WITH(Safetensors::load(tiny), Contains("shorter than"));

  fs::path huge = dir / "huge.safetensors";
  std::string h = bytes;
  uint64_t big = 1ull << 40;
  std::memcpy(h.data(), &big, 8);
  write_bytes(huge, h);
  REQUIRE_THROWS_WITH(Safetensors::load(huge), Contains("exceeds the file size"));

  fs::path garbage = dir / "garbage.safetensors";
  std::string g = bytes;
  g[9] = '#';
  write_bytes(garbage, g);
  REQUIRE_THROWS_WITH(Safetensors::load(garbage, Verify::structure_only), Contains("not valid JSON"));
  REQUIRE_THROWS_WITH(Safetensors::load(garbage), Contains("garbage.safetensors") && Contains("is corrupt: checksum"));

  REQUIRE_THROWS_WITH(Safetensors::load(dir / "absent.safetensors"), Contains("cannot open") && Contains("absent"));
}

TEST_CASE("a failed save leaves the old file intact and no temp file behind") {
  fs::path dir = temp_dir() / "atomic";
  fs::create_directories(dir);
  fs::path file = dir / "ckpt.safetensors";
  sample().save(file);
  std::string before = read_bytes(file);
  // Renaming onto a non-empty directory fails after the temp file is written.
  fs::path blocker = dir / "blocker";
  fs::create_directories(blocker / "inside");
  REQUIRE_THROWS_WITH(sample().save(blocker.string()), Contains("blocker"));
  REQUIRE(read_bytes(file) == before);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  REQUIRE(files == 1);
  // And a successful save replaces the file whole.
  Safetensors next;
  next.put<double>("x", {1.0, 2.0});
  next.save(file);
  REQUIRE(Safetensors::load(file).get<double>("x") == std::vector<double>{1.0, 2.0});
  REQUIRE_FALSE(Safetensors::load(file).has("alpha"));
}

TEST_CASE("the checksum is the XXH3-64 of the whole file with its digits zeroed") {
  fs::path file = temp_dir() / "sum.safetensors";
  sample().save(file);
  std::string bytes = read_bytes(file);
  // Independently of the reader: the metadata value, its one place in the raw header, and
  // libxxhash's XXH3_64bits over the whole file with the 16 digits as '0'.
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  std::string value = nlohmann::json::parse(bytes.substr(8, n))["__metadata__"]["maac.checksum"];
  REQUIRE(value.size() == 8 + 16);
  REQUIRE(value.substr(0, 8) == "xxh3-64:");
  REQUIRE(value.substr(8).find_first_not_of("0123456789abcdef") == std::string::npos);
  REQUIRE(bytes.substr(checksum_digits_at(bytes), 16) == value.substr(8));
  REQUIRE(checksum_digits_at(bytes) < 8 + n);
  REQUIRE(xxh3_with_zeroed_digits(bytes) == value.substr(8));
  // The loaded metadata holds it; saving again writes a fresh one and loads back.
  Safetensors back = Safetensors::load(file);
  REQUIRE(back.metadata_or("maac.checksum", "") == value);
  back.save(file);
  REQUIRE(Safetensors::load(file).get<double>("alpha") == std::vector<double>{0.125});
  REQUIRE_THROWS_WITH(Safetensors().set_metadata("maac.checksum", "x"), Contains("reserved"));
}

TEST_CASE("every single-bit flip anywhere in a saved file is rejected, naming the file") {
  Safetensors small;
  small.put<float>("w", {1.f, -2.f});
  small.put<uint8_t>("b", {7});
  small.set_metadata("format", "maac-test");
  fs::path file = temp_dir() / "flip.safetensors";
  small.save(file);
  const std::string bytes = read_bytes(file);
  REQUIRE(Safetensors::parse(bytes, file.string(), Verify::checksum).get<float>("w") == std::vector<float>{1.f, -2.f});
  // Each of the 8 bits at every position, the length bytes, header and data alike.
  int mismatch = 0, structure = 0, missing = 0;
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = bytes;
      bad[pos] = static_cast<char>(bad[pos] ^ (1 << bit));
      INFO("byte " << pos << " bit " << bit);
      try {
        Safetensors::parse(bad, file.string(), Verify::checksum);
        FAIL("accepted");
      } catch (const std::exception& e) {
        std::string what = e.what();
        REQUIRE_THAT(what, Contains(file.string()));
        if (what.find("is corrupt: checksum xxh3-64 stored") != std::string::npos) ++mismatch;
        else if (what.find("corrupt safetensors file") != std::string::npos) ++structure;
        else if (what.find("carries no checksum") != std::string::npos) ++missing;
        else FAIL("unexpected message: " << what);
      }
    }
  }
  REQUIRE(mismatch + structure + missing == static_cast<int>(8 * bytes.size()));
  // Most flips are caught by the hash; the rest broke the checksum entry or the layout.
  REQUIRE(mismatch > structure + missing);
  // The same through a file on disk.
  std::string bad = bytes;
  bad[bad.size() - 1] ^= 0x10;
  write_bytes(file, bad);
  REQUIRE_THROWS_WITH(Safetensors::load(file), Contains("checkpoint '" + file.string() + "' is corrupt: checksum xxh3-64 stored") &&
                                                   Contains("computed"));
}

TEST_CASE("a file without a checksum is refused unless only its structure is checked") {
  fs::path file = temp_dir() / "old.safetensors";
  nlohmann::json header = {{"__metadata__", {{"format", "maac-checkpoint-1"}}},
                           {"x", {{"dtype", "F64"}, {"shape", {1}}, {"data_offsets", {0, 8}}}}};
  double x = 2.5;
  write_bytes(file, assemble(header, std::string(reinterpret_cast<const char*>(&x), 8)));
  REQUIRE_THROWS_WITH(Safetensors::load(file),
                      Contains("'" + file.string() + "' carries no checksum (format 'maac-checkpoint-1')") &&
                          Contains("older maac") && Contains("cannot be verified"));
  REQUIRE(Safetensors::load(file, Verify::structure_only).get<double>("x") == std::vector<double>{2.5});
  // Without any metadata the format is reported empty.
  write_bytes(file, assemble({{"x", header["x"]}}, std::string(reinterpret_cast<const char*>(&x), 8)));
  REQUIRE_THROWS_WITH(Safetensors::load(file), Contains("carries no checksum (format '')"));
}

TEST_CASE("the checksum entry must appear once, in canonical form, in the metadata") {
  nlohmann::json x = {{"dtype", "U8"}, {"shape", {1}}, {"data_offsets", {0, 1}}};
  // Two entries (one hidden in a tensor's object): refused before any hashing.
  nlohmann::json twice = {{"__metadata__", {{"maac.checksum", kZeroChecksum}}},
                          {"x", {{"dtype", "U8"}, {"shape", {1}}, {"data_offsets", {0, 1}}, {"maac.checksum", kZeroChecksum}}}};
  REQUIRE_THROWS_WITH(Safetensors::parse(assemble(twice, "a"), "twice", Verify::checksum),
                      Contains("'twice'") && Contains("more than one"));
  // The right hash over an entry hidden in a tensor's object, while the metadata's own
  // entry (a space after its colon) is not the one that was hashed.
  const std::string hidden = R"("x":{"data_offsets":[0,1],"dtype":"U8","maac.checksum":"xxh3-64:0000000000000000","shape":[1]})";
  std::string decoy = seal(assemble_text(R"({"__metadata__":{"maac.checksum": "xxh3-64:0123456789abcdef"},)" + hidden + "}", "a"));
  REQUIRE_THROWS_WITH(Safetensors::parse(decoy, "decoy", Verify::checksum),
                      Contains("'decoy'") && Contains("is not the one checksum entry"));
  std::string spaced = assemble_text(R"({"__metadata__":{"maac.checksum": "xxh3-64:0000000000000000"},"x":)" + x.dump() + "}", "a");
  REQUIRE_THROWS_WITH(Safetensors::parse(spaced, "spaced", Verify::checksum),
                      Contains("'spaced'") && Contains("is not the one checksum entry"));
  // A sealed (correct checksum) file still gets every structural check.
  std::string gap = seal(assemble({{"__metadata__", {{"maac.checksum", kZeroChecksum}}},
                                   {"x", {{"dtype", "U8"}, {"shape", {1}}, {"data_offsets", {1, 2}}}}},
                                  "ab"));
  REQUIRE_THROWS_WITH(Safetensors::parse(gap, "gap", Verify::checksum), Contains("'gap'") && Contains("leaves a gap at byte 0"));
  std::string ok = seal(assemble({{"__metadata__", {{"maac.checksum", kZeroChecksum}}}, {"x", x}}, "a"));
  REQUIRE(Safetensors::parse(ok, "ok", Verify::checksum).get<uint8_t>("x") == std::vector<uint8_t>{'a'});
}

TEST_CASE("tensor spans must tile the data section and values must be plain sizes") {
  auto entry = [](const char* dtype, nlohmann::json shape, nlohmann::json offsets) {
    return nlohmann::json{{"dtype", dtype}, {"shape", shape}, {"data_offsets", offsets}};
  };
  auto refuse = [](const nlohmann::json& header, const std::string& data, const std::string& what) {
    INFO(header.dump());
    REQUIRE_THROWS_WITH(Safetensors::parse(assemble(header, data), "case.safetensors", Verify::structure_only),
                        Contains("case.safetensors") && Contains(what));
  };
  // Overlapping spans whose sizes still add up to the data size.
  refuse({{"a", entry("U8", {2}, {0, 2})}, {"b", entry("U8", {2}, {0, 2})}}, "abcd", "overlaps at byte 0");
  refuse({{"a", entry("U8", {2}, {1, 3})}}, "abc", "leaves a gap at byte 0");
  // Sizes that are negative, fractional, too large, or not numbers at all.
  refuse({{"a", entry("U8", {-1}, {0, 0})}}, "", "dimension -1");
  refuse({{"a", entry("U8", {1.5}, {0, 1})}}, "a", "dimension 1.5");
  refuse({{"a", entry("U8", {"1"}, {0, 1})}}, "a", "dimension \"1\"");
  refuse({{"a", entry("U8", {uint64_t{1} << 63}, {0, 1})}}, "a", "dimension 9223372036854775808");
  refuse({{"a", entry("F64", {int64_t{1} << 62, 4}, {0, 8})}}, "abcdefgh", "more elements than int64");
  refuse({{"a", entry("F64", {int64_t{1} << 61}, {0, 8})}}, "abcdefgh", "more elements than int64");
  refuse({{"a", entry("U8", {1}, {-1, 0})}}, "a", "data_offsets [-1, 0]");
  refuse({{"a", entry("U8", {1}, {0.0, 1})}}, "a", "data_offsets [0.0, 1]");
  refuse({{"a", entry("U8", {1}, {"0", "1"})}}, "a", "expected integers");
  refuse({{"a", entry("U8", {1}, {0, 1, 2})}}, "a", "lacks shape");
  refuse({{"a", entry("F16", {1}, {0, 2})}}, "ab", "dtype \"F16\", expected F32, F64, I64 or U8");
  refuse({{"a", 3}}, "", "tensor \"a\" is 3, expected a JSON object");
  refuse({{"__metadata__", {1, 2}}}, "", "__metadata__ is a JSON array, expected a JSON object");
  refuse({{"__metadata__", {{"k", 1}}}}, "", "metadata \"k\" is 1, expected a string");
  refuse(nlohmann::json::array({1}), "", "header is a JSON array, expected a JSON object");
  // Duplicate keys, which readers resolve differently, are refused.
  std::string dup = assemble_text(R"({"a":1,"a":{"data_offsets":[0,1],"dtype":"U8","shape":[1]}})", "a");
  REQUIRE_THROWS_WITH(Safetensors::parse(dup, "dup", Verify::structure_only), Contains("'dup'") && Contains("repeats the key \"a\""));
  // -0 is zero; an empty and a scalar tensor are fine.
  std::string fine = assemble_text(
      R"({"e":{"data_offsets":[0,-0],"dtype":"F32","shape":[3,-0]},"s":{"data_offsets":[0,1],"dtype":"U8","shape":[]}})", "z");
  Safetensors st = Safetensors::parse(fine, "fine", Verify::structure_only);
  REQUIRE(st.get<float>("e").empty());
  REQUIRE(st.tensor("e").shape == std::vector<int64_t>{3, 0});
  REQUIRE(st.get<uint8_t>("s", 1) == std::vector<uint8_t>{'z'});
}
