#include "rl/run_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace maac::rl {

double resident_memory_mb() {
  // /proc/self/statm: total and resident sizes in pages.
  std::ifstream statm("/proc/self/statm");
  long long total = 0, resident = 0;
  if (!(statm >> total >> resident)) return NAN;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

PhaseMarker::PhaseMarker() {
  const char* path = std::getenv("MAAC_PHASE_FILE");
  if (path == nullptr || *path == '\0') return;
  fd_ = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd_ < 0)
    throw std::runtime_error(std::string("MAAC_PHASE_FILE '") + path + "' cannot be written: " + std::strerror(errno));
}

PhaseMarker::~PhaseMarker() {
  if (fd_ >= 0) ::close(fd_);
}

void PhaseMarker::enter(const char* phase) {
  if (fd_ < 0 || current_ == phase) return;
  current_ = phase;
  char line[32];
  std::memset(line, ' ', sizeof line);
  line[sizeof line - 1] = '\n';
  std::memcpy(line, phase, std::min(std::strlen(phase), sizeof line - 1));
  if (::pwrite(fd_, line, sizeof line, 0) != static_cast<ssize_t>(sizeof line))
    throw std::runtime_error(std::string("cannot write the phase to MAAC_PHASE_FILE: ") + std::strerror(errno));
}

}  // namespace maac::rl
