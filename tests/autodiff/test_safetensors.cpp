// Safetensors round trips, the on-disk layout, and rejection of corrupt files.
#include <catch2/catch.hpp>

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

  fs::path truncated = dir / "truncated.safetensors";
  write_bytes(truncated, bytes.substr(0, bytes.size() - 3));
  REQUIRE_THROWS_WITH(Safetensors::load(truncated), Contains("truncated.safetensors") && Contains("expected"));

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
  REQUIRE_THROWS_WITH(Safetensors::load(garbage), Contains("not valid JSON"));

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
