// Writing a command's output files (CSV tables) whole or not at all.
#pragma once
#include <filesystem>
#include <string>

namespace maac::app {

// Written to a temporary file and renamed: no half-written CSV. Throws naming the file.
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace maac::app
