// Seeded mutation fuzzing of the actions CSV reader (envs/actions_csv): every input ends in
// rows of exactly act_dim finite numbers, or in a std::invalid_argument naming the source
// and the line (or saying the file holds no actions). No crash, hang or sanitizer report.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "envs/actions_csv.hpp"
#include "tests/fuzz/fuzz_helpers.hpp"

using namespace maac::envs;
using namespace maac::fuzz;

namespace {

const std::vector<std::string> kTokens{
    "nan", "NaN", "-nan", "nan(123)", "inf", "-inf", "+inf", "infinity", "INF", "1e400", "-1e400", "1e-400",
    "4.9e-324", "1.7976931348623157e308", "1.8e308", "0x1p3", "0X10", "1e", "e5", ".", "-", "+", "+.5", "++1", "--1",
    "1.2.3", "1,2", ",", ",,", "1_000", "１", "\xff", "\xc3\xa9", std::string(1, '\0'), "#", "# comment\n", "\n",
    "\r\n", "\r", "\t", " ", "act_0,act_1", std::string(400, '9'), "0." + std::string(400, '0') + "1", "true", "\"1\"",
    "1;2", "1 2"};

// A well-formed actions file and the values it holds.
struct Generated {
  std::string text;
  int act_dim;
  std::vector<std::vector<double>> rows;
};

Generated generate(std::mt19937_64& rng) {
  Generated g;
  g.act_dim = 1 + static_cast<int>(pick(rng, 8));
  std::string eol = pick(rng, 4) ? "\n" : "\r\n";
  if (pick(rng, 2)) {  // a header
    for (int i = 0; i < g.act_dim; ++i) g.text.append(i ? ",act_" : "act_").append(std::to_string(i));
    g.text += eol;
  }
  std::uniform_real_distribution<double> value(-2.0, 2.0);
  for (size_t r = 1 + pick(rng, 20); r > 0; --r) {
    if (pick(rng, 8) == 0) g.text += (pick(rng, 2) ? "# a comment, 1, 2" : "  ") + eol;
    std::vector<double> row;
    for (int i = 0; i < g.act_dim; ++i) {
      double v = pick(rng, 4) ? value(rng) : static_cast<double>(static_cast<int>(pick(rng, 5)) - 2);
      char buf[64];
      std::snprintf(buf, sizeof buf, pick(rng, 2) ? "%.17g" : "%.17e", v);
      g.text += (i ? (pick(rng, 3) ? "," : " , ") : "") + std::string(buf);
      row.push_back(v);
    }
    g.text += eol;
    g.rows.push_back(row);
  }
  return g;
}

// The line an error names lies within the text.
bool names_a_line(const std::string& msg, const std::string& source, const std::string& text) {
  if (msg.find("'" + source + "' holds no actions") != std::string::npos) return true;
  std::string tag = "'" + source + "' line ";
  size_t at = msg.find(tag);
  if (at == std::string::npos) return false;
  size_t line = std::strtoull(msg.c_str() + at + tag.size(), nullptr, 10);
  return line >= 1 && line <= static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

struct Tally {
  int valid = 0, rejected = 0;
};

void run_case(const std::string& text, int act_dim, const std::string& source, Tally& tally,
              const std::vector<std::vector<double>>* expected = nullptr) {
  std::vector<std::vector<double>> rows;
  try {
    rows = parse_actions_csv(text, act_dim, source);
  } catch (const std::invalid_argument& e) {
    INFO("error: " << std::string(e.what()).substr(0, 300));
    REQUIRE(expected == nullptr);
    REQUIRE(names_a_line(e.what(), source, text));
    ++tally.rejected;
    return;
  }
  REQUIRE(!rows.empty());
  for (const auto& row : rows) {
    REQUIRE(row.size() == static_cast<size_t>(act_dim));
    for (double v : row) REQUIRE(std::isfinite(v));
  }
  if (expected) REQUIRE(rows == *expected);  // %.17g round-trips exactly
  ++tally.valid;
}

}  // namespace

TEST_CASE("fuzz: actions CSV text parses to finite rows or fails naming the line", "[fuzz]") {
  const uint64_t seed = fuzz_seed("actions CSV");
  Tally tally;
  const int cases = 3000;
  for (int i = 0; i < cases; ++i) {
    std::mt19937_64 rng = case_rng(seed, static_cast<uint64_t>(i));
    Generated g = generate(rng);
    const std::string source = "fuzz-" + std::to_string(i) + ".csv";
    INFO("seed " << seed << ", case " << i << ", act_dim " << g.act_dim);
    switch (i % 10) {
      case 0:  // unmutated: must give back exactly what was written
        run_case(g.text, g.act_dim, source, tally, &g.rows);
        break;
      case 1: {  // the wrong action size
        int dim = static_cast<int>(pick(rng, 12)) - 1;
        if (dim < 1) {
          REQUIRE_THROWS_AS(parse_actions_csv(g.text, dim, source), std::invalid_argument);
          ++tally.rejected;
        } else {
          run_case(g.text, dim, source, tally);
        }
        break;
      }
      case 2: {  // a long line: one row of a hundred thousand fields
        std::string line = repeat(pick(rng, 2) ? "0.5" : "nan", 1 + pick(rng, 100000), ",");
        run_case(g.text + line + "\n", g.act_dim, source, tally);
        break;
      }
      default: {
        std::string text = mutate_some(g.text, rng, kTokens);
        INFO(text.size() << " bytes: " << text.substr(0, 200));
        run_case(text, g.act_dim, source, tally);
        break;
      }
    }
  }
  std::cout << "fuzz actions CSV: " << cases << " inputs, " << tally.valid << " parsed, " << tally.rejected
            << " rejected" << std::endl;
  CHECK(tally.valid >= cases / 10);  // the fuzzer must also reach valid files
}

TEST_CASE("fuzz: actions CSV files read or fail naming the file", "[fuzz]") {
  const uint64_t seed = fuzz_seed("actions CSV file");
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("maac_fuzz_actions_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Tally tally;
  const int cases = 200;
  for (int i = 0; i < cases; ++i) {
    std::mt19937_64 rng = case_rng(seed, static_cast<uint64_t>(i) + (uint64_t{1} << 40));
    Generated g = generate(rng);
    std::string text = pick(rng, 4) ? mutate_some(g.text, rng, kTokens) : g.text;
    std::string path = (dir / ("case" + std::to_string(i) + ".csv")).string();
    std::ofstream(path, std::ios::binary) << text;
    INFO("seed " << seed << ", case " << i);
    try {
      auto rows = read_actions_csv(path, g.act_dim);
      for (const auto& row : rows) REQUIRE(row.size() == static_cast<size_t>(g.act_dim));
      ++tally.valid;
    } catch (const std::invalid_argument& e) {
      REQUIRE(names_a_line(e.what(), path, text));
      ++tally.rejected;
    }
  }
  fs::remove_all(dir);
  std::cout << "fuzz actions CSV file: " << cases << " files, " << tally.valid << " read, " << tally.rejected
            << " rejected" << std::endl;
}
