// The run checkpoint as a file: its format name, and loading with every check a
// checkpoint must pass before anything reads it (the checksum over all its bytes, then
// the format name), so `maac train --resume` and `maac eval` refuse the same files with
// the same messages.
#pragma once
#include <string>

#include "autodiff/safetensors.hpp"

namespace maac::rl {

// Bumped whenever what a checkpoint holds changes meaning. 2: checksummed, trainer state
// stored by name (docs/training.md, "Checkpoints").
inline constexpr const char* kCheckpointFormat = "maac-checkpoint-2";

// Loads and verifies `path`; throws naming the file and, for another format, both names.
Safetensors load_checkpoint_file(const std::string& path);

}  // namespace maac::rl
