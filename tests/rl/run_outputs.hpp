// Reading a run directory's outputs back in tests.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace maac::test {

// A run's CSV log (progress.csv by default) without the columns that measure this
// machine's clock or memory (named by the header), each row's remaining cells joined.
inline std::vector<std::string> deterministic_rows(const std::filesystem::path& dir,
                                                   const std::string& file = "progress.csv") {
  const std::set<std::string> clock_columns{"wall_time", "updates_per_sec", "rss_mb"};
  std::ifstream in(dir / file);
  std::vector<std::string> rows;
  std::vector<bool> keep;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string cell, kept;
    for (size_t col = 0; std::getline(s, cell, ','); ++col) {
      if (rows.empty()) keep.push_back(clock_columns.count(cell) == 0);  // the header names the columns
      if (col < keep.size() && keep[col]) kept += cell + ",";
    }
    rows.push_back(kept);
  }
  return rows;
}

// A run's TensorBoard event file without the clock: each Event's step and its scalars as
// "tag=<float bits>", for tags other than those of the clock and memory columns. Decodes
// only the fields maac writes (docs/training.md, "TensorBoard"); anything else is an error.
inline std::vector<std::string> deterministic_events(const std::filesystem::path& dir) {
  std::ifstream in(dir / "events.out.tfevents.maac", std::ios::binary);
  const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::set<std::string> clock_tags{"progress/wall_time", "progress/updates_per_sec", "progress/rss_mb",
                                         "iterations/wall_time"};
  auto varint = [&](size_t& at) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const auto c = static_cast<unsigned char>(b.at(at++));
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
  };
  auto expect = [&](size_t& at, unsigned char key) {
    if (static_cast<unsigned char>(b.at(at++)) != key) throw std::runtime_error("unexpected field in event file");
  };
  std::vector<std::string> events;
  for (size_t at = 0; at + 16 <= b.size();) {
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = length << 8 | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
    size_t p = at + 12 + 9;  // past the framing and wall_time (field 1, always first)
    const size_t end = at + 12 + length;
    std::string e;
    if (b.at(p) == 0x1a) e = "version";  // file_version
    else {
      expect(p, 0x10);
      e = "step " + std::to_string(varint(p));
      expect(p, 0x2a);
      varint(p);  // the summary's length
      while (p < end) {
        expect(p, 0x0a);
        varint(p);  // the value's length
        expect(p, 0x0a);
        const size_t tag_length = varint(p);
        const std::string tag = b.substr(p, tag_length);
        p += tag_length;
        expect(p, 0x15);
        if (!clock_tags.count(tag)) e += " " + tag + "=" + b.substr(p, 4);
        p += 4;
      }
    }
    events.push_back(e);
    at = end + 4;
  }
  return events;
}

}  // namespace maac::test
