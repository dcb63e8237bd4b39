// Routing rows of a batch to ensemble members (DESIGN decision 3): rows are grouped by
// member so that each member's rows are contiguous and routed layers are plain GEMMs.
#pragma once
#include <cstdint>
#include <vector>

namespace maac {

struct MemberRouting {
  int64_t members = 0;
  std::vector<int32_t> order;    // order[g] = the original row placed at grouped position g
  std::vector<int32_t> offsets;  // member m owns grouped rows offsets[m] .. offsets[m+1]
};

// Stable grouping of rows by member_of_row[i] in [0, members).
MemberRouting route_rows(const std::vector<int32_t>& member_of_row, int64_t members);

}  // namespace maac
