#include "app/sweep_spec.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

#include "rl/trainer_config.hpp"

namespace maac::app {
namespace fs = std::filesystem;
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A real number as --set reads it back to the same double, always with a '.' or an exponent
// (a bare "1" would be an integer in TOML).
std::string real_text(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// One grid value as `--set key=VALUE` takes it.
std::string value_text(const toml::node& n, const std::string& where) {
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto d = n.as_floating_point()) return real_text(d->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  if (auto a = n.as_array()) {  // a list key (model.hidden_sizes-like): numbers
    std::string out = "[";
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& e = *a->get(i);
      if (!e.is_number()) throw std::invalid_argument(where + ": expected a list of numbers");
      out += (i ? ", " : "") + value_text(e, where);
    }
    return out + "]";
  }
  throw std::invalid_argument(where + ": expected a string, number, boolean or list of numbers");
}

// [grid] as `"a.b" = [...]` or `[grid.a] b = [...]`: every leaf is the list of a key's values.
void flatten_grid(const toml::table& t, const std::string& prefix, const std::string& spec,
                  std::vector<std::pair<std::string, std::vector<std::string>>>& out) {
  for (const auto& [k, node] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (auto sub = node.as_table()) {
      flatten_grid(*sub, key, spec, out);
      continue;
    }
    auto list = node.as_array();
    std::string where = spec + ": [grid] '" + key + "'";
    if (!list || list->empty()) throw std::invalid_argument(where + ": expected a non-empty list of values");
    std::vector<std::string> values;
    for (const toml::node& v : *list) values.push_back(value_text(v, where));
    if (std::set<std::string>(values.begin(), values.end()).size() != values.size())
      throw std::invalid_argument(where + ": a value is listed twice");
    out.emplace_back(key, std::move(values));
  }
}

// A directory name readable in `ls`: key=value pairs joined by ',', odd characters as '_'.
std::string dir_segment(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "" : ",") + k + "=" + v;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._+-=,").find(c) != std::string_view::npos))
      c = '_';
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

int64_t integer_in(const toml::node& n, const std::string& where, int64_t min, int64_t max) {
  auto i = n.as_integer();
  if (!i || i->get() < min || i->get() > max)
    throw std::invalid_argument(where + ": expected an integer in " + std::to_string(min) + " .. " + std::to_string(max));
  return i->get();
}

std::string string_in(const toml::node& n, const std::string& where) {
  auto s = n.as_string();
  if (!s) throw std::invalid_argument(where + ": expected a string");
  return s->get();
}

// A name that is also a directory name: no '/', no leading '.', nothing a shell quotes.
bool plain_name(const std::string& name, std::string_view extra) {
  static const std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  if (name.empty() || name[0] == '.') return false;
  for (char c : name)
    if (letters.find(c) == std::string_view::npos && extra.find(c) == std::string_view::npos) return false;
  return true;
}

// [[variants]] tables: name = "...", set = ["key=value", ...] (as --set takes them).
std::vector<std::pair<std::string, std::vector<std::string>>> read_variants(const toml::node& node, const std::string& src) {
  auto list = node.as_array();
  if (!list || list->empty() || !list->is_array_of_tables())
    throw std::invalid_argument(src + ": 'variants': expected [[variants]] tables, each with a name and a set list");
  std::vector<std::pair<std::string, std::vector<std::string>>> variants;
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table& t = *list->get(i)->as_table();
    std::string where = src + ": [[variants]] " + std::to_string(i);
    for (const auto& [k, v] : t)
      if (k.str() != "name" && k.str() != "set")
        throw std::invalid_argument(where + ": unknown key '" + std::string(k.str()) + "' (expected name, set)");
    if (!t.contains("name")) throw std::invalid_argument(where + ": expected a 'name'");
    std::string name = string_in(*t.get("name"), where + " 'name'");
    where = src + ": variant '" + name + "'";
    if (!plain_name(name, "=+"))
      throw std::invalid_argument(where + ": expected a name of letters, digits, '.', '_', '-', '=' or '+'");
    if (!names.insert(name).second) throw std::invalid_argument(where + ": the name is listed twice");
    std::vector<std::string> sets;
    if (t.contains("set")) {
      auto a = t.get("set")->as_array();
      if (!a) throw std::invalid_argument(where + ": 'set': expected a list of \"key=value\" strings");
      for (const toml::node& e : *a) {
        std::string set = string_in(e, where + ": 'set'");
        const std::string key = set.substr(0, set.find('='));
        if (set.find('=') == std::string::npos || key.empty())
          throw std::invalid_argument(where + ": 'set' entry '" + set + "': expected key=value");
        if (key == rl::key::seed) throw std::invalid_argument(where + ": '" + key + "': list seeds in 'seeds'");
        if (key == "run.threads") throw std::invalid_argument(where + ": '" + key + "': set 'threads' instead");
        sets.push_back(set);
      }
    }
    variants.emplace_back(std::move(name), std::move(sets));
  }
  return variants;
}

}  // namespace

SweepSpec load_sweep_spec(const std::string& spec_file, const std::string& maac_binary) {
  SweepSpec spec;
  spec.spec_path = fs::absolute(spec_file).lexically_normal().string();
  spec.maac = maac_binary;
  const std::string& src = spec.spec_path;
  toml::table doc;
  try {
    doc = toml::parse(read_text(src), src);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument("cannot parse sweep spec " + src + ":" + std::to_string(e.source().begin.line) + ": " +
                                std::string(e.description()));
  }
  static const std::set<std::string> known{"name", "config", "out", "seeds", "threads", "base", "grid", "variants", "slurm"};
  for (const auto& [k, v] : doc)
    if (!known.count(std::string(k.str())))
      throw std::invalid_argument(src + ": unknown key '" + std::string(k.str()) +
                                  "' (expected name, config, out, seeds, threads, base, grid, variants, slurm)");

  spec.name = doc.contains("name") ? string_in(*doc.get("name"), src + ": 'name'") : fs::path(src).stem().string();
  if (!plain_name(spec.name, ""))
    throw std::invalid_argument(src + ": name '" + spec.name + "': expected letters, digits, '.', '_' or '-'");
  std::string out = doc.contains("out") ? string_in(*doc.get("out"), src + ": 'out'") : "runs";
  spec.sweep_dir = (fs::absolute(out) / spec.name).lexically_normal().string();
  if (doc.contains("threads")) spec.threads = integer_in(*doc.get("threads"), src + ": 'threads'", 1, 1024);

  // seeds = [0, 1, 2]
  auto seeds = doc["seeds"].as_array();
  if (!seeds || seeds->empty()) throw std::invalid_argument(src + ": 'seeds': expected a non-empty list of seeds");
  for (const toml::node& s : *seeds) spec.seeds.push_back(integer_in(s, src + ": 'seeds'", 0, int64_t{1} << 62));
  if (std::set<int64_t>(spec.seeds.begin(), spec.seeds.end()).size() != spec.seeds.size())
    throw std::invalid_argument(src + ": 'seeds': a seed is listed twice");

  // The base every row starts from: defaults <- config file <- [base] <- run.threads.
  rl::Config base(rl::trainer_schema());
  if (doc.contains("config")) {
    fs::path file = string_in(*doc.get("config"), src + ": 'config'");
    if (file.is_relative()) file = fs::path(src).parent_path() / file;
    base.merge_toml_file(file.lexically_normal().string());
  }
  if (doc.contains("base")) {
    auto t = doc["base"].as_table();
    if (!t) throw std::invalid_argument(src + ": 'base': expected a table of config keys");
    std::ostringstream text;
    text << *t;
    base.merge_toml(text.str(), src + " [base]");
  }
  base.set("run.threads=" + std::to_string(spec.threads), src + ": 'threads'");
  spec.base_toml = "# maac sweep '" + spec.name + "': the config every row starts from (" + src + ")\n" + base.to_toml();

  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
  if (doc.contains("grid")) {
    auto t = doc["grid"].as_table();
    if (!t) throw std::invalid_argument(src + ": 'grid': expected a table of key = [values]");
    flatten_grid(*t, "", src, grid);
  }
  for (const auto& [key, values] : grid) {
    if (key == rl::key::seed) throw std::invalid_argument(src + ": [grid] '" + key + "': list seeds in 'seeds'");
    if (key == "run.threads") throw std::invalid_argument(src + ": [grid] '" + key + "': set 'threads' instead");
    spec.grid_keys.push_back(key);
  }
  if (doc.contains("variants")) spec.variants = read_variants(*doc.get("variants"), src);
  // A key both a variant and the grid set would have two values in one row.
  for (const auto& [name, sets] : spec.variants)
    for (const std::string& set : sets)
      if (std::find(spec.grid_keys.begin(), spec.grid_keys.end(), set.substr(0, set.find('='))) != spec.grid_keys.end())
        throw std::invalid_argument(src + ": variant '" + name + "' sets '" + set.substr(0, set.find('=')) +
                                    "', which the grid also sets");

  if (auto slurm = doc["slurm"].as_table()) {
    for (const auto& [k, v] : *slurm) {
      std::string key(k.str()), where = src + ": [slurm] '" + key + "'";
      if (key == "options") {
        auto list = v.as_array();
        if (!list) throw std::invalid_argument(where + ": expected a list of sbatch options");
        for (const toml::node& o : *list) {
          std::string option = string_in(o, where);
          if (option.rfind("--", 0) != 0 || option.find('\n') != std::string::npos)
            throw std::invalid_argument(where + ": '" + option + "': expected one sbatch option such as --time=01:00:00");
          spec.slurm_options.push_back(option);
        }
      } else if (key == "max_parallel") {
        spec.slurm_max_parallel = integer_in(v, where, 0, 1 << 20);
      } else {
        throw std::invalid_argument(where + ": unknown key (expected options, max_parallel)");
      }
    }
  } else if (doc.contains("slurm")) {
    throw std::invalid_argument(src + ": 'slurm': expected a table");
  }

  // Rows: the variants in order, each with the grid's combinations (the first key varies
  // slowest), each with every seed. No variants: one unnamed variant that sets nothing.
  size_t combos = 1;
  for (const auto& g : grid) combos *= g.second.size();
  std::map<std::string, int64_t> dirs;
  std::vector<std::pair<std::string, std::vector<std::string>>> variants = spec.variants;
  if (variants.empty()) variants.emplace_back();
  std::vector<std::vector<std::pair<std::string, std::string>>> combinations(combos);
  for (size_t c = 0; c < combos; ++c) {
    size_t rest = c;
    for (size_t k = grid.size(); k-- > 0;) {
      combinations[c].emplace(combinations[c].begin(), grid[k].first, grid[k].second[rest % grid[k].second.size()]);
      rest /= grid[k].second.size();
    }
  }
  for (const auto& [variant, variant_sets] : variants)
    for (const auto& values : combinations)
      for (int64_t seed : spec.seeds) {
        SweepRow row;
        row.index = static_cast<int64_t>(spec.rows.size());
        row.seed = seed;
        row.variant = variant;
        row.values = values;
        row.dir = (variant.empty() ? "" : variant + "/") + (values.empty() ? "" : dir_segment(values) + "/") + "s" +
                  std::to_string(seed);
        if (auto [it, fresh] = dirs.emplace(row.dir, row.index); !fresh)
          throw std::invalid_argument(src + ": rows " + std::to_string(it->second) + " and " + std::to_string(row.index) +
                                      " would share the directory '" + row.dir + "' (values differing only in odd characters)");
        row.args = {"train", "--config", spec.path("base.toml")};
        for (const std::string& set : variant_sets) row.args.insert(row.args.end(), {"--set", set});
        for (const auto& [k, v] : values) row.args.insert(row.args.end(), {"--set", k + "=" + v});
        row.args.insert(row.args.end(), {"--seed", std::to_string(seed), "--out", spec.run_dir(row), "--quiet"});
        // The row's config resolves now: a bad value fails the sweep before anything runs.
        rl::Config check(rl::trainer_schema());
        try {
          check.merge_toml(spec.base_toml, spec.path("base.toml"));
          for (const std::string& set : variant_sets) check.set(set, src + ": variant '" + variant + "'");
          for (const auto& [k, v] : values) check.set(k + "=" + v, src + ": [grid]");
          check.set(std::string(rl::key::seed) + "=" + std::to_string(seed), src + ": 'seeds'");
          rl::apply_ablation(check);
          rl::training_options(check);
        } catch (const std::exception& e) {
          throw std::invalid_argument("row " + std::to_string(row.index) + " (" + row.dir + "): " + e.what());
        }
        spec.rows.push_back(std::move(row));
      }
  return spec;
}

std::vector<std::string> row_argv(const SweepSpec& spec, const SweepRow& row) {
  std::vector<std::string> argv{spec.maac};
  argv.insert(argv.end(), row.args.begin(), row.args.end());
  return argv;
}

std::string shell_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+@%-") ==
                                   std::string::npos;
    std::string word = "'";
    for (char c : a) word += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += (out.empty() ? "" : " ") + (plain ? a : word + "'");
  }
  return out;
}

std::string sweep_table_csv(const SweepSpec& spec) {
  std::vector<std::vector<std::string>> lines{{"index", "dir", "seed"}};
  if (!spec.variants.empty()) lines[0].push_back("variant");
  lines[0].insert(lines[0].end(), spec.grid_keys.begin(), spec.grid_keys.end());
  lines[0].push_back("command");
  for (const SweepRow& row : spec.rows) {
    std::vector<std::string> cells{std::to_string(row.index), row.dir, std::to_string(row.seed)};
    if (!spec.variants.empty()) cells.push_back(row.variant);
    for (const auto& kv : row.values) cells.push_back(kv.second);
    cells.push_back(shell_command(row_argv(spec, row)));
    lines.push_back(std::move(cells));
  }
  std::string out;
  for (const auto& cells : lines) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out.push_back(',');
      out.append(csv_field(cells[i]));
    }
    out.push_back('\n');
  }
  return out;
}

std::string slurm_script(const SweepSpec& spec, const std::string& working_dir) {
  std::string array = "0-" + std::to_string(spec.rows.size() - 1);
  if (spec.slurm_max_parallel > 0) array += "%" + std::to_string(spec.slurm_max_parallel);
  std::string s = "#!/bin/bash\n";
  s += "# maac sweep '" + spec.name + "': " + std::to_string(spec.rows.size()) +
       " runs as a Slurm array job (written by maac sweep --backend slurm; rows in table.csv).\n";
  s += "#SBATCH --job-name=maac-" + spec.name + "\n";
  s += "#SBATCH --array=" + array + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(spec.threads) + "\n";
  s += "#SBATCH --ntasks=1\n";
  // Preemption or `scontrol requeue` puts the task back in the queue; its log continues.
  s += "#SBATCH --requeue\n";
  s += "#SBATCH --open-mode=append\n";
  s += "#SBATCH --output=" + spec.path("logs/%a.log") + "\n";
  s += "#SBATCH --chdir=" + working_dir + "\n";
  for (const std::string& o : spec.slurm_options) s += "#SBATCH " + o + "\n";
  s += "# exec: Slurm's SIGTERM reaches the trainer itself, which writes its checkpoint and\n"
       "# exits 143; a requeued task finds the checkpoint and resumes (--index adds --resume).\n";
  s += "exec " + shell_command({spec.maac, "sweep", spec.spec_path}) + " --index \"$SLURM_ARRAY_TASK_ID\"\n";
  return s;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  fs::rename(tmp, path);
}

void prepare_sweep_dir(const SweepSpec& spec) {
  fs::create_directories(spec.path("logs"));
  const std::pair<std::string, std::string> files[] = {{"base.toml", spec.base_toml}, {"table.csv", sweep_table_csv(spec)}};
  for (const auto& [name, text] : files) {
    std::string path = spec.path(name);
    if (fs::exists(path) && read_text(path) != text)
      throw std::invalid_argument("sweep directory '" + spec.sweep_dir + "' was prepared from a spec that expands differently (" +
                                  name + " differs; the maac binary, the base config or the grid changed): choose another "
                                  "'name' or 'out', or remove the directory");
  }
  for (const auto& [name, text] : files)
    if (!fs::exists(spec.path(name))) write_file_atomically(spec.path(name), text);
  write_file_atomically(spec.path("spec.toml"), read_text(spec.spec_path));
}

}  // namespace maac::app
