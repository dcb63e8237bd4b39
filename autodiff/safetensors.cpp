#include "autodiff/safetensors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace maac {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

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

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
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

}  // namespace

template <class T> void Safetensors::put(const std::string& name, const std::vector<int64_t>& shape, const T* data) {
  if (name.empty() || name == "__metadata__")
    throw std::invalid_argument("Safetensors::put: tensor name '" + name + "' is reserved or empty");
  if (tensors_.count(name)) throw std::invalid_argument("Safetensors::put: tensor '" + name + "' already added");
  for (int64_t d : shape)
    if (d < 0) throw std::invalid_argument("Safetensors::put: tensor '" + name + "' has a negative dimension");
  StoredTensor t;
  t.type = stored_type_of<T>();
  t.shape = shape;
  size_t bytes = static_cast<size_t>(element_count(shape)) * sizeof(T);
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
  if (element_count(dims) != values.numel())
    throw std::invalid_argument("Safetensors::put: tensor '" + name + "' stored with " +
                                std::to_string(element_count(dims)) + " elements, buffer " + values.shape().str() +
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

void Safetensors::save(const std::string& path) const {
  // Header: offsets relative to the start of the data section, tensors in name order.
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const auto& [name, t] : tensors_) {
    header[name] = {{"dtype", type_name(t.type)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  uint64_t header_len = text.size();

  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) system_error("cannot create", tmp);
  try {
    write_all(fd, &header_len, 8, tmp);
    write_all(fd, text.data(), text.size(), tmp);
    for (const auto& [name, t] : tensors_) write_all(fd, t.bytes.data(), t.bytes.size(), tmp);
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

Safetensors Safetensors::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) system_error("cannot open", path);
  in.seekg(0, std::ios::end);
  uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  auto corrupt = [&](const std::string& what) { return std::runtime_error("corrupt safetensors file '" + path + "': " + what); };
  uint64_t header_len = 0;
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(&header_len), 8))
    throw corrupt("shorter than the 8-byte header length");
  if (header_len > file_size - 8)
    throw corrupt("header length " + std::to_string(header_len) + " exceeds the file size " + std::to_string(file_size));
  std::string text(header_len, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) throw corrupt("header is not a JSON object");

  Safetensors st;
  st.source_ = path;
  uint64_t data_size = file_size - 8 - header_len, covered = 0;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw corrupt("__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) throw corrupt("metadata '" + m.key() + "' is not a string");
        st.metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const nlohmann::json& e = *it;
    StoredTensor t;
    if (!e.is_object() || !e.contains("dtype") || !e["dtype"].is_string() || !parse_type(e["dtype"].get<std::string>(), &t.type))
      throw corrupt("tensor '" + it.key() + "' has a missing or unsupported dtype (expected F32, F64, I64 or U8)");
    if (!e.contains("shape") || !e["shape"].is_array() || !e.contains("data_offsets") || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2)
      throw corrupt("tensor '" + it.key() + "' lacks shape or data_offsets [begin, end]");
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) throw corrupt("tensor '" + it.key() + "' has a bad dimension");
      t.shape.push_back(d.get<int64_t>());
    }
    uint64_t begin = e["data_offsets"][0].get<uint64_t>(), end = e["data_offsets"][1].get<uint64_t>();
    uint64_t expected = static_cast<uint64_t>(element_count(t.shape)) * type_size(t.type);
    if (begin > end || end > data_size || end - begin != expected)
      throw corrupt("tensor '" + it.key() + "' spans bytes [" + std::to_string(begin) + ", " + std::to_string(end) +
                    ") of " + std::to_string(data_size) + ", expected " + std::to_string(expected) + " bytes inside the data");
    t.bytes.resize(expected);
    in.seekg(static_cast<std::streamoff>(8 + header_len + begin));
    if (expected && !in.read(reinterpret_cast<char*>(t.bytes.data()), static_cast<std::streamsize>(expected)))
      throw corrupt("tensor '" + it.key() + "' could not be read");
    covered += expected;
    st.tensors_[it.key()] = std::move(t);
  }
  if (covered != data_size)
    throw corrupt("tensors cover " + std::to_string(covered) + " of " + std::to_string(data_size) + " data bytes");
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
