// TensorBoard's event file, written by hand: TFRecord framing (length, masked CRC32C of
// the length, payload, masked CRC32C of the payload) around Event protobufs whose Summary
// holds simple_value scalars. No TensorFlow or protobuf library is needed for the five
// fields used (docs/training.md, "TensorBoard"). CRC32C is hand-written: Debian 12 packages
// no C/C++ CRC32C library (Google's crc32c is not in bookworm), and the table-driven
// algorithm is a dozen lines checked against RFC 3720's test vectors.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace maac::rl {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
// TFRecord's mask over a CRC32C: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t size);
// One record: uint64 length, uint32 masked CRC of those 8 bytes, payload, uint32 masked
// CRC of the payload; integers little-endian.
std::string tfrecord(std::string_view payload);

// Event{wall_time, file_version = "brain.Event:2"}: the first record of every event file.
std::string file_version_event(double wall_time);
// Event{wall_time, step, summary{value{tag, simple_value}...}}.
std::string scalars_event(double wall_time, int64_t step, const std::vector<std::pair<std::string, float>>& values);

// An event file that a resumed run continues like progress.csv: it keeps exactly the
// records its checkpoint counted.
class EventFile {
 public:
  // keep_records == 0 starts a new file holding the file_version record; otherwise the
  // file's first keep_records whole records (the version record included) are kept, the
  // rest (records written after the checkpoint, or half a record) dropped, the file
  // rewritten atomically, and new records follow. A file with fewer whole records, or a
  // record whose CRC does not match, is an error naming the file.
  EventFile(const std::string& path, int64_t keep_records);
  // One Event at `step` with a scalar per tag; flushed at once.
  void write_scalars(int64_t step, const std::vector<std::pair<std::string, float>>& values);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace maac::rl
