// Drawing PNGs with gnuplot (a pipe to the gnuplot program), shared by the commands
// that plot: maac aggregate and maac experiment.
#pragma once
#include <string>

namespace maac::app {

// s as a single-quoted gnuplot string.
std::string gnuplot_quoted(const std::string& s);
// Whether the gnuplot program is on PATH.
bool gnuplot_available();
// Runs `script` (which sets its own output, `png`); throws naming png if gnuplot fails.
void run_gnuplot(const std::string& script, const std::string& png);

}  // namespace maac::app
