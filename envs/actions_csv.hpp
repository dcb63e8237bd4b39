// Actions CSV (`maac rollout --actions`): one action per row, fields separated by commas,
// blank lines and lines starting with '#' skipped, a first row with no number in it taken
// as a header. Every value must be a finite double; any other content is an error naming
// the source, the line and the field.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace maac::envs {

// Parses CSV text; `source` names it in errors (a file name). Throws std::invalid_argument
// on bad content (wrong field count, a non-number, NaN/inf, a number out of double's range,
// no rows at all) and when act_dim < 1.
std::vector<std::vector<double>> parse_actions_csv(std::string_view text, int act_dim, const std::string& source);

// Reads and parses a file; std::runtime_error when it cannot be read.
std::vector<std::vector<double>> read_actions_csv(const std::string& path, int act_dim);

}  // namespace maac::envs
