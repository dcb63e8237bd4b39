// The actions CSV reader of `maac rollout --actions`: what it accepts, and that every
// rejection names the file and the line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "envs/actions_csv.hpp"

using namespace maac::envs;
using Catch::Contains;
using Rows = std::vector<std::vector<double>>;

TEST_CASE("actions CSV: rows, a header, comments, blank lines, spaces and CRLF", "[env]") {
  REQUIRE(parse_actions_csv("0.5,-1\n1e-3, +2\n", 2, "a.csv") == Rows{{0.5, -1}, {1e-3, 2}});
  REQUIRE(parse_actions_csv("act_0, act_1\r\n# note, 1, 2\r\n\r\n  \t\r\n 0.25 ,\t-0.5 \r\n-0,0\r\n", 2, "a.csv") == Rows{{0.25, -0.5}, {-0.0, 0}});
  REQUIRE(parse_actions_csv("# first a comment\nx\n3\n4", 1, "a.csv") == Rows{{3}, {4}});
}

TEST_CASE("actions CSV: bad content is an error naming the file, line and field", "[env]") {
  auto fails = [](const std::string& text, int act_dim) {
    try {
      parse_actions_csv(text, act_dim, "acts.csv");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    FAIL("accepted: " << text);
    return std::string();
  };
  CHECK_THAT(fails("1,2\n3\n", 2), Contains("'acts.csv' line 2: 1 values, expected 2"));
  CHECK_THAT(fails("1,2\n3,4,5\n", 2), Contains("line 2: 3 values, expected 2"));
  CHECK_THAT(fails("1,2\n3,x\n", 2), Contains("line 2 field 2 'x': expected a number"));
  CHECK_THAT(fails("1,2\n3,4x\n", 2), Contains("line 2 field 2 '4x': expected a number"));
  CHECK_THAT(fails("1,\n", 2), Contains("line 1 field 2 '': expected a number"));
  // Actions go straight into the simulator: nothing non-finite gets through.
  CHECK_THAT(fails("1,2\n\nnan,0\n", 2), Contains("line 3 field 1 'nan': expected a finite number"));
  CHECK_THAT(fails("0,inf\n", 2), Contains("line 1 field 2 'inf': expected a finite number"));
  CHECK_THAT(fails("-infinity\n", 1), Contains("'-infinity': expected a finite number"));
  CHECK_THAT(fails("1e400\n", 1), Contains("line 1 field 1 '1e400': out of the range of a double"));
  CHECK_THAT(fails("-1e400\n", 1), Contains("out of the range of a double"));
  // A first row mixing words and numbers is a broken row, not a header to skip.
  CHECK_THAT(fails("x,1\n2,3\n", 2), Contains("line 1 field 1 'x': expected a number"));
  CHECK_THAT(fails("a,b\nc,d\n", 2), Contains("line 2 field 1 'c'"));
  // Fields are shown printable and short.
  CHECK_THAT(fails("5\n" + std::string("1\0", 2) + "\n", 1), Contains("line 2 field 1 '1\\x00': expected a number"));
  CHECK_THAT(fails("5\n" + std::string(1000, 'z') + "\n", 1), Contains("'" + std::string(40, 'z') + "...'"));
  for (const std::string empty : {"", "\n\n", "# only a comment\n", "act_0\n"})
    CHECK_THAT(fails(empty, 1), Contains("actions file 'acts.csv' holds no actions"));
  CHECK_THROWS_WITH(parse_actions_csv("1\n", 0, "acts.csv"), Contains("action size 0, expected >= 1"));
}

TEST_CASE("actions CSV files: read, missing, a folder", "[env]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("maac_actions_csv_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ok.csv") << "act_0\n0.5\n-0.5\n";
  REQUIRE(read_actions_csv((dir / "ok.csv").string(), 1) == Rows{{0.5}, {-0.5}});
  std::ofstream(dir / "empty.csv");
  CHECK_THROWS_WITH(read_actions_csv((dir / "empty.csv").string(), 1), Contains("empty.csv' holds no actions"));
  CHECK_THROWS_WITH(read_actions_csv((dir / "none.csv").string(), 1), Contains("cannot open actions file") && Contains("none.csv"));
  CHECK_THROWS_WITH(read_actions_csv(dir.string(), 1), Contains("is a folder"));
  fs::remove_all(dir);
}
