// The TensorBoard event writer: CRC32C against RFC 3720's vectors, a record's framing
// byte by byte, an Event's protobuf encoding, and an event file cut back to the records a
// checkpoint counted. (PyPI tensorboard reads whole runs back: python.tensorboard_readback.)
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <unistd.h>

#include "rl/tensorboard_writer.hpp"

using namespace maac::rl;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

uint32_t u32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("CRC32C matches RFC 3720's test vectors") {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), up(32), down(32);
  std::iota(up.begin(), up.end(), 0);
  for (int i = 0; i < 32; ++i) down[static_cast<size_t>(i)] = static_cast<uint8_t>(31 - i);
  REQUIRE(crc32c(zeros.data(), 32) == 0x8A9136AAu);
  REQUIRE(crc32c(ones.data(), 32) == 0x62A8AB43u);
  REQUIRE(crc32c(up.data(), 32) == 0x46DD794Eu);
  REQUIRE(crc32c(down.data(), 32) == 0x113FDB5Cu);
  // An iSCSI read command PDU (RFC 3720, B.4).
  const uint8_t pdu[48] = {0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x04, 0,
                           0, 0, 0, 0x14, 0, 0, 0, 0x18, 0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0};
  REQUIRE(crc32c(pdu, 48) == 0xD9963A56u);
  REQUIRE(crc32c("123456789", 9) == 0xE3069283u);  // the usual check value
  // Continuing a CRC over a second piece equals one CRC over both.
  REQUIRE(crc32c(up.data() + 10, 22, crc32c(up.data(), 10)) == 0x46DD794Eu);
  // TFRecord's mask, written out.
  const uint32_t c = 0xE3069283u;
  REQUIRE(masked_crc32c("123456789", 9) == ((c >> 15 | c << 17) + 0xa282ead8u));
}

TEST_CASE("a TFRecord is length, its masked CRC, the payload and its masked CRC") {
  const std::string payload = "hello, event";
  const std::string r = tfrecord(payload);
  REQUIRE(r.size() == 8 + 4 + payload.size() + 4);
  REQUIRE(r.substr(0, 8) == std::string("\x0c\0\0\0\0\0\0\0", 8));  // 12, little-endian
  REQUIRE(u32(r, 8) == masked_crc32c(r.data(), 8));
  REQUIRE(r.substr(12, payload.size()) == payload);
  REQUIRE(u32(r, 12 + payload.size()) == masked_crc32c(payload.data(), payload.size()));
  REQUIRE(tfrecord("").size() == 16);
}

TEST_CASE("an Event's protobuf bytes, field by field") {
  // wall_time 1.5 (field 1, fixed64), file_version (field 3, length-delimited).
  const std::string v = file_version_event(1.5);
  REQUIRE(v == std::string("\x09\0\0\0\0\0\0\xf8\x3f\x1a\x0d" "brain.Event:2", 11 + 13));
  // step 300 (field 2, varint 0xac 0x02), summary (field 5) with one value: tag "a/b"
  // (field 1) and simple_value 2.0f (field 2, fixed32).
  const std::string e = scalars_event(0.0, 300, {{"a/b", 2.0f}});
  const std::string value = std::string("\x0a\x03" "a/b" "\x15\0\0\0\x40", 10);
  std::string summary(1, '\x0a');
  summary += static_cast<char>(value.size());
  summary += value;
  const std::string head("\x09\0\0\0\0\0\0\0\0\x10\xac\x02\x2a", 13);  // wall_time 0, step, summary key
  REQUIRE(e == head + static_cast<char>(summary.size()) + summary);
}

TEST_CASE("an event file keeps exactly the records a checkpoint counted") {
  const fs::path dir = fs::temp_directory_path() / ("maac_tb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "events.out.tfevents.maac").string();
  {
    EventFile f(path, 0);  // the version record
    for (int64_t step = 1; step <= 4; ++step) f.write_scalars(step, {{"x", static_cast<float>(step)}});
  }
  const std::string five = read_all(path);
  // Half a record at the end, as a killed writer leaves it.
  std::ofstream(path, std::ios::binary | std::ios::app) << tfrecord(scalars_event(0, 5, {{"x", 5}})).substr(0, 20);
  size_t third_end = 0;  // the bytes of the first three records
  for (int i = 0; i < 3; ++i) {
    uint64_t length = 0;
    std::memcpy(&length, five.data() + third_end, 8);
    third_end += 16 + length;
  }
  {
    EventFile f(path, 3);
    REQUIRE(read_all(path) == five.substr(0, third_end));
    f.write_scalars(9, {{"x", 9}});
  }
  REQUIRE(read_all(path).substr(0, third_end) == five.substr(0, third_end));
  REQUIRE(read_all(path).size() > third_end);
  // Fewer whole records than the checkpoint counted, a damaged CRC, a missing file: errors naming the file.
  REQUIRE_THROWS_WITH(EventFile(path, 9), Contains(path) && Contains("4 whole records"));
  std::string damaged = five;
  damaged[five.size() - 1] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
  REQUIRE_THROWS_WITH(EventFile(path, 5), Contains(path) && Contains("CRC"));
  REQUIRE(read_all(path) == damaged);  // refused before anything changed
  REQUIRE_THROWS_WITH(EventFile((dir / "none").string(), 2), Contains("missing"));
  fs::remove_all(dir);
}
