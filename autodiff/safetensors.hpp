// Reading and writing the safetensors format (a JSON header plus raw little-endian
// tensors; readable from Python without this project), with atomic writes
// (DESIGN decision 9): temp file, fsync, rename, fsync of the directory. Every file
// written carries an XXH3-64 checksum of all its bytes in its metadata (DESIGN decision 11:
// a checkpoint verifies its own bytes); see docs/training.md, "Checkpoint checksum".
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "autodiff/tensor.hpp"

namespace maac {

enum class StoredType { f32, f64, i64, u8 };

// What a reader checks before trusting a file's bytes.
enum class Verify {
  checksum,        // require the checksum save() writes and check it (maac's own files)
  structure_only,  // layout checks only: foreign safetensors files, tests, fuzzing
};

struct StoredTensor {
  StoredType type = StoredType::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

class Safetensors {
 public:
  // Add a tensor; names are unique. T is float, double, int64_t or uint8_t.
  template <class T> void put(const std::string& name, const std::vector<int64_t>& shape, const T* data);
  template <class T> void put(const std::string& name, const std::vector<T>& values) {
    put(name, {static_cast<int64_t>(values.size())}, values.data());
  }
  // A buffer's values on any device (device buffers are copied to the host first),
  // stored under `shape` (same element count; empty: the buffer's own shape).
  template <class T> void put(const std::string& name, const std::vector<int64_t>& shape, const Buffer<T>& values);
  void set_metadata(const std::string& key, const std::string& value) {
    if (key == kChecksumKey)
      throw std::invalid_argument("Safetensors::set_metadata: '" + key + "' is reserved for the checksum save() writes");
    metadata_[key] = value;
  }

  // A tensor's values; throws naming the file, tensor and expected type / element count.
  template <class T> std::vector<T> get(const std::string& name) const;
  template <class T> std::vector<T> get(const std::string& name, int64_t expected_count) const;
  // Reads a tensor into an existing buffer of the same element count (uploads to a
  // device buffer); throws naming the tensor otherwise.
  template <class T> void get_into(const std::string& name, Buffer<T>& out) const;
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  const StoredTensor& tensor(const std::string& name) const;
  const std::map<std::string, StoredTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  std::string metadata_or(const std::string& key, const std::string& fallback) const;

  // Writes atomically: either the old file stays intact or the new one is complete. The
  // metadata gains kChecksumKey = "xxh3-64:<16 lowercase hex>", the XXH3-64 of the whole
  // file as written with those 16 digits set to '0'.
  // after_write(written, total), when given, runs after each piece (header, each tensor)
  // reaches the temp file: progress for long writes, and the kill test's hook.
  void save(const std::string& path,
            const std::function<void(uint64_t written, uint64_t total)>& after_write = {}) const;
  // Reads and validates the whole file; a corrupt file, or (with Verify::checksum) one
  // without a checksum or whose checksum differs, throws naming the path and the defect.
  static Safetensors load(const std::string& path, Verify verify = Verify::checksum);
  // The same checks on bytes already in memory; `source` names them in every error.
  static Safetensors parse(std::string_view bytes, const std::string& source, Verify verify);

  static constexpr const char* kChecksumKey = "maac.checksum";

 private:
  std::string source_ = "<memory>";
  std::map<std::string, StoredTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace maac
