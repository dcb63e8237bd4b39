#include "autodiff/modules/routing.hpp"

#include <stdexcept>
#include <string>

namespace maac {

MemberRouting route_rows(const std::vector<int32_t>& member_of_row, int64_t members) {
  if (members < 1) throw std::invalid_argument("route_rows: members = " + std::to_string(members) + ", expected >= 1");
  MemberRouting r;
  r.members = members;
  r.offsets.assign(static_cast<size_t>(members + 1), 0);
  // Counting sort: count rows per member, prefix-sum into offsets, then place rows.
  for (size_t i = 0; i < member_of_row.size(); ++i) {
    int32_t m = member_of_row[i];
    if (m < 0 || m >= members)
      throw std::invalid_argument("route_rows: row " + std::to_string(i) + " has member " + std::to_string(m) +
                                  ", expected 0 <= member < " + std::to_string(members));
    ++r.offsets[static_cast<size_t>(m) + 1];
  }
  for (int64_t m = 0; m < members; ++m) r.offsets[m + 1] += r.offsets[m];
  std::vector<int32_t> next(r.offsets.begin(), r.offsets.end() - 1);
  r.order.resize(member_of_row.size());
  for (size_t i = 0; i < member_of_row.size(); ++i) r.order[static_cast<size_t>(next[member_of_row[i]]++)] = static_cast<int32_t>(i);
  return r;
}

}  // namespace maac
