// libFuzzer entry for the safetensors reader (built with MAAC_FUZZERS=ON and clang++; see
// docs/training.md, "Checkpoint checksum"). Every input must load into a consistent object
// or throw a std::exception naming its source, in both verification modes; anything else
// (a crash, a sanitizer report, an unnamed error) aborts and leaves a reproducer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "autodiff/safetensors.hpp"

using namespace maac;

namespace {
[[noreturn]] void fail(const char* what, const char* detail) {
  std::fprintf(stderr, "fuzz_safetensors: %s: %s\n", what, detail);
  std::abort();
}
template <class T> void check_size(const Safetensors& st, const std::string& name, const StoredTensor& t) {
  if (st.get<T>(name).size() * sizeof(T) != t.bytes.size()) fail("element count disagrees with the bytes", name.c_str());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (Verify verify : {Verify::checksum, Verify::structure_only}) {
    try {
      Safetensors st = Safetensors::parse(bytes, "fuzz-input", verify);
      for (const auto& [name, t] : st.tensors()) {
        switch (t.type) {
          case StoredType::f32: check_size<float>(st, name, t); break;
          case StoredType::f64: check_size<double>(st, name, t); break;
          case StoredType::i64: check_size<int64_t>(st, name, t); break;
          case StoredType::u8: check_size<uint8_t>(st, name, t); break;
        }
      }
    } catch (const std::exception& e) {
      if (std::string_view(e.what()).find("'fuzz-input'") == std::string_view::npos) fail("unnamed error", e.what());
    }
  }
  return 0;
}
