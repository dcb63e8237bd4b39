#include "rl/checkpoint_file.hpp"

#include <stdexcept>

namespace maac::rl {

Safetensors load_checkpoint_file(const std::string& path) {
  Safetensors ck = Safetensors::load(path);  // throws on any damaged byte
  const std::string format = ck.metadata_or("format", "");
  if (format != kCheckpointFormat)
    throw std::runtime_error("'" + path + "' is checkpoint format '" + format + "', expected '" + kCheckpointFormat +
                             "': it was written by another version of maac; continue or evaluate it with that version");
  return ck;
}

}  // namespace maac::rl
