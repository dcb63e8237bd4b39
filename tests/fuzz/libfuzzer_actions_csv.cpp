// libFuzzer target for the actions CSV reader (MAAC_FUZZERS=ON, docs/testing.md). The first
// byte picks the action size (1..8); the rest is the file's text. Rows must have exactly
// that many finite values; an error must name the source and the line. Anything else
// aborts, which libFuzzer reports.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "envs/actions_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int act_dim = 1 + data[0] % 8;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    auto rows = maac::envs::parse_actions_csv(text, act_dim, "input.csv");
    for (const auto& row : rows) {
      if (row.size() != static_cast<size_t>(act_dim)) std::abort();
      for (double v : row)
        if (!std::isfinite(v)) std::abort();
    }
    if (rows.empty()) std::abort();
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    if (msg.find("'input.csv' line ") == std::string::npos && msg.find("'input.csv' holds no actions") == std::string::npos) {
      std::fprintf(stderr, "fuzz_actions_csv: an error naming no line: %s\n", msg.c_str());
      std::abort();
    }
  }
  return 0;
}
