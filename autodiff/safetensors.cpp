#include "autodiff/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>

namespace maac {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

using json = nlohmann::json;

// The reference reader (PyPI safetensors) refuses larger headers; so do we, before allocating.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// The checksum as it appears in the header text; save() writes exactly this, so one
// occurrence of the prefix followed by 16 digits locates it without parsing the JSON.
constexpr std::string_view kChecksumPrefix = "\"maac.checksum\":\"xxh3-64:";
constexpr std::string_view kChecksumZeros = "0000000000000000";
static_assert(kChecksumZeros.size() == 16);

const char* type_name(StoredType t) {
  switch (t) {
    case StoredType::f32: return "F32";
    case StoredType::f64: return "F64";
    case StoredType::i64: return "I64";
    case StoredType::u8: return "U8";
  }
  return "?";
}
size_t type_size(StoredType t) {
  switch (t) {
    case StoredType::f32: return 4;
    case StoredType::f64: return 8;
    case StoredType::i64: return 8;
    case StoredType::u8: return 1;
  }
  return 0;
}
template <class T> StoredType stored_type_of();
template <> StoredType stored_type_of<float>() { return StoredType::f32; }
template <> StoredType stored_type_of<double>() { return StoredType::f64; }
template <> StoredType stored_type_of<int64_t>() { return StoredType::i64; }
template <> StoredType stored_type_of<uint8_t>() { return StoredType::u8; }

bool parse_type(const std::string& s, StoredType* t) {
  for (StoredType c : {StoredType::f32, StoredType::f64, StoredType::i64, StoredType::u8})
    if (s == type_name(c)) { *t = c; return true; }
  return false;
}

// Elements of a shape, or nothing when the product overflows int64 (dimensions are >= 0).
std::optional<int64_t> element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  return n;
}

// Text from a file, made safe to print: control and non-ASCII bytes escaped, long text cut.
std::string printable(std::string_view s, size_t max_chars = 80) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_chars; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max_chars) out += "...";
  return out;
}

// A JSON value for an error message without dumping it whole (it may be deeply nested).
std::string describe(const json& v) {
  if (v.is_number() || v.is_boolean() || v.is_null()) return v.dump();
  if (v.is_string()) return "\"" + printable(v.get_ref<const std::string&>()) + "\"";
  return std::string("a JSON ") + v.type_name();
}

// A shape dimension or data offset: an integer in [0, 2^63); floats, negatives and larger
// values are refused (nlohmann would otherwise wrap or truncate them silently).
std::optional<uint64_t> as_size(const json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return u;
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(v.get<int64_t>());  // "-0"
  }
  return std::nullopt;
}

// Streaming XXH3-64, so the digits can be hashed as zeros without copying the file.
class Xxh3 {
 public:
  Xxh3() : state_(XXH3_createState()) {
    if (!state_ || XXH3_64bits_reset(state_) != XXH_OK) throw std::runtime_error("XXH3: cannot create a hash state");
  }
  ~Xxh3() { XXH3_freeState(state_); }
  Xxh3(const Xxh3&) = delete;
  Xxh3& operator=(const Xxh3&) = delete;
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  void update(const void* data, size_t n) {
    if (n && XXH3_64bits_update(state_, data, n) != XXH_OK) throw std::runtime_error("XXH3: update failed");
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(state_)));
    return buf;
  }

 private:
  XXH3_state_t* state_;
};

std::runtime_error corrupt(const std::string& source, const std::string& what) {
  return std::runtime_error("corrupt safetensors file '" + source + "': " + what);
}

// Where the 16 checksum digits sit in the file, if its header text (starting at byte 8)
// holds the checksum entry; more than one entry is a defect.
std::optional<size_t> find_checksum_digits(std::string_view text, const std::string& source) {
  size_t at = text.find(kChecksumPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  if (text.find(kChecksumPrefix, at + 1) != std::string_view::npos)
    throw corrupt(source, "the header holds more than one " + std::string(kChecksumPrefix) + " entry, expected one");
  if (at + kChecksumPrefix.size() + 16 > text.size()) throw corrupt(source, "the header ends inside its checksum value");
  return 8 + at + kChecksumPrefix.size();
}

// XXH3-64 of a whole file with its 16 checksum digits (at `digits`) read as '0'.
std::string checksum_of(std::string_view bytes, size_t digits) {
  Xxh3 h;
  h.update(bytes.substr(0, digits));
  h.update(kChecksumZeros);
  h.update(bytes.substr(digits + 16));
  return h.hex();
}

[[noreturn]] void system_error(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

// Write all of buf to fd, retrying short writes.
void write_all(int fd, const void* buf, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      system_error("cannot write", path);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// The whole of a regular file.
std::string read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) system_error("cannot open", path);
  std::string bytes;
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0) system_error("cannot stat", path);
    if (!S_ISREG(st.st_mode)) throw std::runtime_error("cannot read '" + path + "': not a regular file");
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < bytes.size()) {
      ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) system_error("cannot read", path);
      if (r == 0) throw std::runtime_error("cannot read '" + path + "': it shrank while being read");
      got += static_cast<size_t>(r);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return bytes;
}

}  // namespace

template <class T> void Safetensors::put(const std::string& name, const std::vector<int64_t>& shape, const T* data) {
  if (name.empty() || name == "__metadata__")
    throw std::invalid_argument("Safetensors::put: tensor name '" + name + "' is reserved or empty");
  if (tensors_.count(name)) throw std::invalid_argument("Safetensors::put: tensor '" + name + "' already added");
  for (int64_t d : shape)
    if (d < 0) throw std::invalid_argument("Safetensors::put: tensor '" + name + "' has a negative dimension");
  std::optional<int64_t> count = element_count(shape);
  if (!count || *count > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(sizeof(T)))
    throw std::invalid_argument("Safetensors::put: tensor '" + name + "' has more elements than int64 can count");
  StoredTensor t;
  t.type = stored_type_of<T>();
  t.shape = shape;
  size_t bytes = static_cast<size_t>(*count) * sizeof(T);
  t.bytes.resize(bytes);
  if (bytes) std::memcpy(t.bytes.data(), data, bytes);
  tensors_[name] = std::move(t);
}

const StoredTensor& Safetensors::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error(source_ + ": no tensor named '" + name + "'");
  return it->second;
}

template <class T> std::vector<T> Safetensors::get(const std::string& name) const {
  const StoredTensor& t = tensor(name);
  if (t.type != stored_type_of<T>())
    throw std::runtime_error(source_ + ": tensor '" + name + "' is " + type_name(t.type) + ", expected " +
                             type_name(stored_type_of<T>()));
  std::vector<T> out(t.bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
  return out;
}

template <class T> std::vector<T> Safetensors::get(const std::string& name, int64_t expected_count) const {
  std::vector<T> v = get<T>(name);
  if (static_cast<int64_t>(v.size()) != expected_count)
    throw std::runtime_error(source_ + ": tensor '" + name + "' has " + std::to_string(v.size()) +
                             " elements, expected " + std::to_string(expected_count));
  return v;
}

template <class T>
void Safetensors::put(const std::string& name, const std::vector<int64_t>& shape, const Buffer<T>& values) {
  std::vector<int64_t> dims = shape;
  if (dims.empty())
    for (int d = 0; d < values.shape().rank(); ++d) dims.push_back(values.shape()[d]);
  std::optional<int64_t> count = element_count(dims);
  if (count != values.numel())
    throw std::invalid_argument("Safetensors::put: tensor '" + name + "' stored with " +
                                (count ? std::to_string(*count) : "too many") + " elements, buffer " + values.shape().str() +
                                " has " + std::to_string(values.numel()));
  if (values.device() == Device::cpu) put(name, dims, values.data());
  else put(name, dims, values.to_host().data());
}

template <class T> void Safetensors::get_into(const std::string& name, Buffer<T>& out) const {
  out.copy_from_host(get<T>(name, out.numel()));
}

std::string Safetensors::metadata_or(const std::string& key, const std::string& fallback) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? fallback : it->second;
}

void Safetensors::save(const std::string& path, const std::function<void(uint64_t, uint64_t)>& after_write) const {
  // Header: offsets relative to the start of the data section, tensors in name order, and
  // the checksum's 16 digits as '0' placeholders until the whole file has been hashed.
  json header = json::object();
  size_t offset = 0;
  for (const auto& [name, t] : tensors_) {
    header[name] = {{"dtype", type_name(t.type)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  json metadata = metadata_;
  metadata[kChecksumKey] = "xxh3-64:" + std::string(kChecksumZeros);
  header["__metadata__"] = std::move(metadata);
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    throw std::invalid_argument("Safetensors::save '" + path + "': a tensor name or metadata text is not UTF-8 (" +
                                e.what() + ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  if (text.size() > kMaxHeaderBytes)
    throw std::invalid_argument("Safetensors::save '" + path + "': the header takes " + std::to_string(text.size()) +
                                " bytes, more than the " + std::to_string(kMaxHeaderBytes) + " safetensors readers accept");
  uint64_t header_len = text.size();

  // The checksum covers every byte in file order: length, header (digits as zeros), data.
  // The digits have a fixed width, so writing them in place moves no offset.
  std::optional<size_t> digits = find_checksum_digits(text, path);
  if (!digits) throw std::logic_error("Safetensors::save: the checksum entry is missing from the header it just wrote");
  Xxh3 hash;
  hash.update(&header_len, 8);
  hash.update(text);
  for (const auto& [name, t] : tensors_) hash.update(t.bytes.data(), t.bytes.size());
  text.replace(*digits - 8, 16, hash.hex());

  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) system_error("cannot create", tmp);
  try {
    const uint64_t total = 8 + header_len + offset;
    uint64_t written = 8 + header_len;
    write_all(fd, &header_len, 8, tmp);
    write_all(fd, text.data(), text.size(), tmp);
    if (after_write) after_write(written, total);
    for (const auto& [name, t] : tensors_) {
      write_all(fd, t.bytes.data(), t.bytes.size(), tmp);
      written += t.bytes.size();
      if (after_write) after_write(written, total);
    }
    if (::fsync(fd) != 0) system_error("cannot fsync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    system_error("cannot close", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    system_error("cannot rename onto", path);
  }
  // The rename is durable only once the directory entry is on disk.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

Safetensors Safetensors::load(const std::string& path, Verify verify) {
  return parse(read_file(path), path, verify);
}

Safetensors Safetensors::parse(std::string_view bytes, const std::string& source, Verify verify) {
  // The header length is checked against the bytes at hand before anything is allocated.
  if (bytes.size() < 8) throw corrupt(source, "shorter than the 8-byte header length");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8)
    throw corrupt(source, "header length " + std::to_string(header_len) + " exceeds the file size " +
                              std::to_string(bytes.size()));
  if (header_len > kMaxHeaderBytes)
    throw corrupt(source, "header length " + std::to_string(header_len) + " exceeds the " +
                              std::to_string(kMaxHeaderBytes) + " bytes safetensors readers accept");
  std::string_view text = bytes.substr(8, header_len), data = bytes.substr(8 + header_len);

  // The checksum first, from the raw text: any changed byte is then reported as such,
  // whatever else it broke.
  std::optional<size_t> digits;
  if (verify == Verify::checksum) {
    digits = find_checksum_digits(text, source);
    if (digits) {
      std::string stored(bytes.substr(*digits, 16)), computed = checksum_of(bytes, *digits);
      if (stored != computed)
        throw std::runtime_error("checkpoint '" + source + "' is corrupt: checksum xxh3-64 stored " + printable(stored) +
                                 ", computed " + computed + " (its bytes changed after it was written)");
    }
  }

  // Duplicate keys are ambiguous (which one wins differs between readers): refused.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto track_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    else if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    else if (event == json::parse_event_t::key && !open_objects.empty() &&
             !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), track_keys);
  } catch (const json::exception& e) {
    throw corrupt(source, std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!duplicate.empty()) throw corrupt(source, "header repeats the key \"" + printable(duplicate) + "\" in one object");
  if (!header.is_object()) throw corrupt(source, "header is " + describe(header) + ", expected a JSON object");

  Safetensors st;
  st.source_ = source;
  auto meta = header.find("__metadata__");
  if (meta != header.end()) {
    if (!meta->is_object()) throw corrupt(source, "__metadata__ is " + describe(*meta) + ", expected a JSON object");
    for (auto m = meta->begin(); m != meta->end(); ++m) {
      if (!m->is_string())
        throw corrupt(source, "metadata \"" + printable(m.key()) + "\" is " + describe(*m) + ", expected a string");
      st.metadata_[m.key()] = m->get<std::string>();
    }
  }
  if (verify == Verify::checksum) {
    auto value = st.metadata_.find(kChecksumKey);
    if (value == st.metadata_.end())
      throw std::runtime_error("'" + source + "' carries no checksum (format '" +
                               printable(st.metadata_or("format", "")) +
                               "'): it was written by an older maac, before checksums (maac-checkpoint-2), or is "
                               "damaged; it cannot be verified");
    // The entry the hash was checked against must be the one the metadata holds.
    if (!digits || value->second != "xxh3-64:" + std::string(bytes.substr(*digits, 16)))
      throw corrupt(source, "metadata " + std::string(kChecksumKey) + " = \"" + printable(value->second) +
                                "\" is not the one checksum entry \"xxh3-64:<16 hex digits>\" of the header text");
  }

  // Tensors: known dtype, sizes that fit, byte spans that tile the data section exactly.
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string name = "tensor \"" + printable(it.key()) + "\"";
    const json& e = *it;
    if (!e.is_object()) throw corrupt(source, name + " is " + describe(e) + ", expected a JSON object");
    StoredTensor t;
    auto dtype = e.find("dtype"), shape = e.find("shape"), offsets = e.find("data_offsets");
    if (dtype == e.end() || !dtype->is_string() || !parse_type(dtype->get<std::string>(), &t.type))
      throw corrupt(source, name + " has dtype " + (dtype == e.end() ? "(none)" : describe(*dtype)) +
                                ", expected F32, F64, I64 or U8");
    if (shape == e.end() || !shape->is_array() || offsets == e.end() || !offsets->is_array() || offsets->size() != 2)
      throw corrupt(source, name + " lacks shape [dims...] or data_offsets [begin, end]");
    for (const json& d : *shape) {
      std::optional<uint64_t> dim = as_size(d);
      if (!dim) throw corrupt(source, name + " has dimension " + describe(d) + ", expected an integer in [0, 2^63)");
      t.shape.push_back(static_cast<int64_t>(*dim));
    }
    std::optional<uint64_t> begin = as_size((*offsets)[0]), end = as_size((*offsets)[1]);
    if (!begin || !end)
      throw corrupt(source, name + " has data_offsets [" + describe((*offsets)[0]) + ", " + describe((*offsets)[1]) +
                                "], expected integers in [0, 2^63)");
    std::optional<int64_t> count = element_count(t.shape);
    uint64_t expected = 0;
    if (!count || __builtin_mul_overflow(static_cast<uint64_t>(*count), type_size(t.type), &expected))
      throw corrupt(source, name + " has more elements than int64 can count");
    if (*begin > *end || *end > data.size() || *end - *begin != expected)
      throw corrupt(source, name + " spans bytes [" + std::to_string(*begin) + ", " + std::to_string(*end) + ") of " +
                                std::to_string(data.size()) + ", expected " + std::to_string(expected) +
                                " bytes inside the data");
    const char* from = data.data() + *begin;
    t.bytes.assign(from, from + expected);
    spans.emplace_back(*begin, *end);
    st.tensors_[it.key()] = std::move(t);
  }
  // As in the reference reader: spans in offset order, each starting where the last ended.
  std::sort(spans.begin(), spans.end());
  uint64_t covered = 0;
  for (const auto& [begin, end] : spans) {
    if (begin != covered)
      throw corrupt(source, "tensor data " + std::string(begin < covered ? "overlaps" : "leaves a gap") + " at byte " +
                                std::to_string(std::min(begin, covered)) + " of the data");
    covered = end;
  }
  if (covered != data.size())
    throw corrupt(source, "tensors cover " + std::to_string(covered) + " of " + std::to_string(data.size()) +
                              " data bytes");
  return st;
}

#define MAAC_INSTANTIATE(T)                                                                 \
  template void Safetensors::put<T>(const std::string&, const std::vector<int64_t>&, const T*); \
  template std::vector<T> Safetensors::get<T>(const std::string&) const;                      \
  template std::vector<T> Safetensors::get<T>(const std::string&, int64_t) const;
MAAC_INSTANTIATE(float)
MAAC_INSTANTIATE(double)
template void Safetensors::put<float>(const std::string&, const std::vector<int64_t>&, const Buffer<float>&);
template void Safetensors::put<double>(const std::string&, const std::vector<int64_t>&, const Buffer<double>&);
template void Safetensors::get_into<float>(const std::string&, Buffer<float>&) const;
template void Safetensors::get_into<double>(const std::string&, Buffer<double>&) const;
MAAC_INSTANTIATE(int64_t)
MAAC_INSTANTIATE(uint8_t)
#undef MAAC_INSTANTIATE

}  // namespace maac
