#include "rl/tensorboard_writer.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace maac::rl {
namespace {

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

template <class T> void put_le(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}
template <class T> T get_le(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return static_cast<T>(v);
}

// Protobuf wire format, the three kinds these messages use.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_key(std::string& out, int field, int wire_type) {
  put_varint(out, static_cast<uint64_t>(field << 3 | wire_type));
}
void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}
void put_double(std::string& out, int field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  put_key(out, field, 1);
  put_le(out, bits);
}
void put_float(std::string& out, int field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  put_key(out, field, 5);
  put_le(out, bits);
}

double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kCrc32cTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string tfrecord(std::string_view payload) {
  std::string out, length;
  put_le<uint64_t>(length, payload.size());
  out += length;
  put_le<uint32_t>(out, masked_crc32c(length.data(), length.size()));
  out.append(payload);
  put_le<uint32_t>(out, masked_crc32c(payload.data(), payload.size()));
  return out;
}

// Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
// summary = 5 (Summary). Summary: value = 1 (repeated Value). Value: tag = 1 (string),
// simple_value = 2 (float). wall_time comes first in every event.
std::string file_version_event(double wall_time) {
  std::string e;
  put_double(e, 1, wall_time);
  put_bytes(e, 3, "brain.Event:2");
  return e;
}

std::string scalars_event(double wall_time, int64_t step, const std::vector<std::pair<std::string, float>>& values) {
  std::string summary;
  for (const auto& [tag, value] : values) {
    std::string v;
    put_bytes(v, 1, tag);
    put_float(v, 2, value);
    put_bytes(summary, 1, v);
  }
  std::string e;
  put_double(e, 1, wall_time);
  put_key(e, 2, 0);
  put_varint(e, static_cast<uint64_t>(step));
  put_bytes(e, 5, summary);
  return e;
}

EventFile::EventFile(const std::string& path, int64_t keep_records) : path_(path) {
  std::string kept;
  if (keep_records > 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw std::runtime_error("event file '" + path + "' is missing; the checkpoint expects " +
                               std::to_string(keep_records) + " records in it");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t at = 0;
    int64_t records = 0;
    // A record is whole when both its CRCs match; a killed writer can leave half of one.
    while (records < keep_records && bytes.size() - at >= 12) {
      const char* p = bytes.data() + at;
      const uint64_t length = get_le<uint64_t>(p);
      if (get_le<uint32_t>(p + 8) != masked_crc32c(p, 8))
        throw std::runtime_error("event file '" + path + "' record " + std::to_string(records) +
                                 ": the length's CRC does not match");
      if (bytes.size() - at - 12 < 4 || length > bytes.size() - at - 16) break;
      if (get_le<uint32_t>(p + 12 + length) != masked_crc32c(p + 12, length))
        throw std::runtime_error("event file '" + path + "' record " + std::to_string(records) +
                                 ": the payload's CRC does not match");
      at += 16 + length;
      ++records;
    }
    if (records < keep_records)
      throw std::runtime_error("event file '" + path + "' holds " + std::to_string(records) +
                               " whole records, but the checkpoint wrote " + std::to_string(keep_records));
    kept = bytes.substr(0, at);
  } else {
    kept = tfrecord(file_version_event(unix_time()));
  }
  // Rewritten through a temp file and a rename: a kill here loses no record.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(kept.data(), static_cast<std::streamsize>(kept.size()));
    out.flush();
    if (!out) throw std::runtime_error("cannot write event file '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + tmp + "' onto '" + path + "'");
  out_.open(path, std::ios::binary | std::ios::app);
  if (!out_) throw std::runtime_error("cannot write event file '" + path + "'");
}

void EventFile::write_scalars(int64_t step, const std::vector<std::pair<std::string, float>>& values) {
  const std::string record = tfrecord(scalars_event(unix_time(), step, values));
  out_.write(record.data(), static_cast<std::streamsize>(record.size()));
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write event file '" + path_ + "'");
}

}  // namespace maac::rl
