#include "app/text_file.hpp"

#include <fmt/core.h>

#include <fstream>
#include <stdexcept>

namespace maac::app {

void write_file(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write '{}'", tmp.string()));
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write '{}'", tmp.string()));
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace maac::app
