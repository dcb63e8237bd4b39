#include "envs/assets.hpp"

#include <cstdlib>

namespace maac::envs {

std::filesystem::path asset_dir(const std::filesystem::path& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("MAAC_ENVS_ASSET_DIR"); env && *env) return env;
  return MAAC_ENVS_SOURCE_ASSET_DIR;
}

std::filesystem::path asset_path(const std::filesystem::path& file, const std::filesystem::path& explicit_dir) {
  return asset_dir(explicit_dir) / file;
}

}  // namespace maac::envs
