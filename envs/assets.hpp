// Where the project's MJCF files live at run time. Order: an explicit directory
// (EnvOptions::asset_dir, `--assets`), then $MAAC_ENVS_ASSET_DIR, then the source
// tree's envs/assets compiled in as MAAC_ENVS_SOURCE_ASSET_DIR.
#pragma once
#include <filesystem>

namespace maac::envs {

// The directory used for `explicit_dir` (may be empty). Does not check that it exists.
std::filesystem::path asset_dir(const std::filesystem::path& explicit_dir = {});

// The path of one model file, e.g. asset_path("half_cheetah.xml").
std::filesystem::path asset_path(const std::filesystem::path& file, const std::filesystem::path& explicit_dir = {});

}  // namespace maac::envs
