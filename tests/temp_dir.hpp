// A fresh folder under the system's temp directory for one test, removed when it ends,
// and files written into it (their folders made as needed).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace maac::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `text` to path/file and returns the file's full path.
  std::string write(const std::string& file, const std::string& text) const {
    const std::filesystem::path p = path / file;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace maac::test
