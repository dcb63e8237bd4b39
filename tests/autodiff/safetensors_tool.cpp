// A small command-line front to autodiff/safetensors for tests/python: writes a fixed
// sample file, or reads a file and prints what the reader saw as JSON.
//   safetensors_tool write PATH
//   safetensors_tool read PATH [--structure-only]
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "autodiff/safetensors.hpp"

using namespace maac;

namespace {

// Every dtype, an empty and a scalar tensor, extreme values, and non-ASCII metadata;
// tests/python/test_safetensors_readback.py expects exactly these.
void write_sample(const std::string& path) {
  Safetensors st;
  std::vector<float> w{1.5f, -2.f, 3.25f, 0.f, 7.f, -1e-30f};
  st.put("weights", {2, 3}, w.data());
  st.put<double>("alpha", {0.125, -3e300});
  st.put<int64_t>("step", {42, -7, INT64_MIN});
  st.put<uint8_t>("flags", {0, 1, 127, 255});
  st.put("empty", {0, 3}, w.data());
  double scalar = 2.5;
  st.put("scalar", {}, &scalar);
  st.set_metadata("format", "maac-test-readback");
  st.set_metadata("config", "[actor]\nhorizon = 3\n");
  st.set_metadata("note", "r\u00e9sum\u00e9 \u2713");
  st.save(path);
}

template <class T> nlohmann::json values(const Safetensors& st, const std::string& name) { return st.get<T>(name); }

void print(const Safetensors& st) {
  nlohmann::json out = {{"metadata", st.metadata()}, {"tensors", nlohmann::json::object()}};
  for (const auto& [name, t] : st.tensors()) {
    nlohmann::json v;
    switch (t.type) {
      case StoredType::f32: v = values<float>(st, name); break;
      case StoredType::f64: v = values<double>(st, name); break;
      case StoredType::i64: v = values<int64_t>(st, name); break;
      case StoredType::u8: v = values<uint8_t>(st, name); break;
    }
    const char* dtype[] = {"F32", "F64", "I64", "U8"};
    out["tensors"][name] = {{"dtype", dtype[static_cast<int>(t.type)]}, {"shape", t.shape}, {"values", v}};
  }
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::strcmp(argv[1], "write") == 0) {
      write_sample(argv[2]);
    } else if ((argc == 3 || (argc == 4 && std::strcmp(argv[3], "--structure-only") == 0)) &&
               std::strcmp(argv[1], "read") == 0) {
      print(Safetensors::load(argv[2], argc == 4 ? Verify::structure_only : Verify::checksum));
    } else {
      std::fprintf(stderr, "usage: %s write PATH | read PATH [--structure-only]\n", argv[0]);
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
