#include "app/gnuplot.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace maac::app {

std::string gnuplot_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool gnuplot_available() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

void run_gnuplot(const std::string& script, const std::string& png) {
  std::FILE* pipe = popen("gnuplot", "w");
  if (!pipe) throw std::runtime_error("cannot start gnuplot");
  std::fwrite(script.data(), 1, script.size(), pipe);
  if (pclose(pipe) != 0) throw std::runtime_error(fmt::format("gnuplot failed drawing '{}'", png));
}

}  // namespace maac::app
