// What can be observed of a running training process from outside it: the phase of the
// loop (for the kill test, which must prove it interrupted every phase) and the process's
// resident memory (progress.csv's rss_mb column).
#pragma once
#include <string>

namespace maac::rl {

// This process's resident set size in MiB (VmRSS); NaN where /proc cannot be read.
double resident_memory_mb();

// Writes the loop's current phase to the file named by the environment variable
// MAAC_PHASE_FILE on every change of phase (nothing at all when it is unset). The name
// is padded to a fixed width and written in place with one pwrite, so a reader, or the
// file left behind by a killed process, always holds one whole name.
class PhaseMarker {
 public:
  PhaseMarker();
  ~PhaseMarker();
  PhaseMarker(const PhaseMarker&) = delete;
  PhaseMarker& operator=(const PhaseMarker&) = delete;
  void enter(const char* phase);

 private:
  int fd_ = -1;
  std::string current_;
};

}  // namespace maac::rl
