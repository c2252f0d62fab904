#include "greentune/tune/tune_definition.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/study/definition_toml.hpp"
#include "greentune/study/toml_reader.hpp"

namespace greentune::tune {

double SearchDimension::to_unit(double v) const {
  if (!choices.empty()) {
    for (size_t i = 0; i < choices.size(); ++i)
      if (choices[i] == v) return (static_cast<double>(i) + 0.5) / static_cast<double>(choices.size());
    return 0.5;
  }
  if (max <= min) return 0.5;
  double u = log ? (std::log(v) - std::log(min)) / (std::log(max) - std::log(min)) : (v - min) / (max - min);
  return std::clamp(u, 0.0, 1.0);
}

double SearchDimension::from_unit(double u) const {
  u = std::clamp(u, 0.0, 1.0);
  if (!choices.empty()) {
    auto i = static_cast<size_t>(u * static_cast<double>(choices.size()));
    return choices[std::min(i, choices.size() - 1)];
  }
  double v = log ? std::exp(std::log(min) + u * (std::log(max) - std::log(min))) : min + u * (max - min);
  if (integer) v = std::round(v);
  return std::clamp(v, min, max);
}

std::string SearchDimension::describe() const {
  if (!choices.empty()) {
    std::string s = name + ": one of {";
    for (size_t i = 0; i < choices.size(); ++i) s += (i ? ", " : "") + format_exact(choices[i]);
    return s + "}";
  }
  return name + ": " + (integer ? "integers" : log ? "log-uniform" : "uniform") + " on [" + format_exact(min) +
         ", " + format_exact(max) + "]";
}

SearchDimension default_dimension(const std::string& name, const std::string& rule, double d,
                                  const HyperparameterSpec& spec, const mutation::OperatorOptions& options) {
  SearchDimension s;
  s.name = name;
  s.default_value = d;
  s.integer = spec.type == HpType::integer;
  if (rule == "epochs") {
    double step = std::floor(d * 0.25);
    s.min = std::max(1.0, d - step);
    s.max = d + step;
    s.integer = true;
  } else if (rule == "lr") {
    s.min = d / 10;
    s.max = d * 10;
    s.log = true;
  } else if (rule == "gamma" || rule == "weight_decay") {
    s.min = d / 5;
    s.max = d * 3;
    s.log = true;
  } else if (rule == "threshold") {
    s.min = 0;
    s.max = std::floor(d * 5);
    s.integer = true;
  } else if (rule == "batch_size") {
    s.choices = options.choices.empty() ? std::vector<double>{16, 32, 64, 128, 256, 512} : options.choices;
    if (std::find(s.choices.begin(), s.choices.end(), d) == s.choices.end()) s.choices.push_back(d);
    std::sort(s.choices.begin(), s.choices.end());
  } else if (rule == "dropout") {
    s.min = 0;
    s.max = 0.9;
  } else if (rule == "momentum") {
    s.min = std::max(0.0, 1 - (1 - d) * 10);
    s.max = std::min(0.999, 1 - (1 - d) / 10);
  } else if (rule == "seed") {
    s.min = 0;
    s.max = 2147483647.0;
    s.integer = true;
  } else {
    throw input_error("no default search range for rule '" + rule + "'");
  }
  if (s.choices.empty()) {
    double lo = spec.min_value, hi = spec.max_value;
    s.min = std::max(s.min, lo);
    s.max = std::min(s.max, hi);
    if (spec.min_exclusive && s.min <= lo) s.min = s.log ? std::max(s.min, lo) : s.min;
  }
  return s;
}

double TuneDefinition::margin_for(double original_performance) const {
  return margin_relative ? margin * std::fabs(original_performance) : margin;
}

namespace {

class Reader : public study::TomlReader {
 public:
  using TomlReader::TomlReader;
  double positive(const toml::node& n, const std::string& key) const {
    double v = number(n, key);
    if (!(v > 0)) fail(&n, key, "must be > 0");
    return v;
  }
};

void parse_tune_table(const Reader& r, const toml::table& t, TuneDefinition& d, const std::string& base_dir) {
  r.check_keys(t, "tune.", {"objective", "margin", "alpha", "budget_runs", "budget_j", "budget_h", "seed", "batch",
                            "initial", "original_runs", "confirm_fraction", "confirm_min", "prune", "from"});
  if (auto n = t.get("prune")) d.prune = r.boolean(*n, "tune.prune");
  if (auto n = t.get("from")) {
    const auto& a = r.array(*n, "tune.from");
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string key = "tune.from[" + std::to_string(i) + "]";
      std::string dir = r.str(*a.get(i), key);
      if (dir.empty()) r.fail(a.get(i), key, "expected a study or tune directory, got \"\"");
      d.from.push_back(dir.front() == '/' || base_dir.empty() ? dir : base_dir + "/" + dir);
    }
  }
  if (auto n = t.get("objective")) {
    d.objective = r.str(*n, "tune.objective");
    static const std::set<std::string> known = {"energy", "energy_attributed", "cpu_package", "dram", "gpu", "time"};
    if (!known.count(d.objective))
      r.fail(n, "tune.objective", "expected \"energy\", \"cpu_package\", \"dram\", \"gpu\" or \"time\" (or \"energy_attributed\"), got \"" +
                                      d.objective + "\"");
  }
  if (auto n = t.get("margin")) {
    if (n->is_string()) {
      std::string s = r.str(*n, "tune.margin");
      auto v = s.size() > 1 && s.back() == '%' ? parse_double(s.substr(0, s.size() - 1)) : std::nullopt;
      if (!v || *v < 0) r.fail(n, "tune.margin", "expected a number or a percentage like \"1%\", got \"" + s + "\"");
      d.margin = *v / 100;
      d.margin_relative = true;
    } else {
      d.margin = r.number(*n, "tune.margin");
      if (d.margin < 0) r.fail(n, "tune.margin", "must be >= 0");
    }
  }
  if (auto n = t.get("alpha")) {
    d.alpha = r.number(*n, "tune.alpha");
    if (!(d.alpha > 0 && d.alpha < 0.5)) r.fail(n, "tune.alpha", "must be in (0, 0.5)");
  }
  if (auto n = t.get("budget_runs")) d.budget_runs = r.integer(*n, "tune.budget_runs", 10, 1000000);
  if (auto n = t.get("budget_j")) d.budget_j = r.positive(*n, "tune.budget_j");
  if (auto n = t.get("budget_h")) d.budget_h = r.positive(*n, "tune.budget_h");
  if (auto n = t.get("seed")) d.seed = static_cast<std::uint64_t>(r.integer(*n, "tune.seed", 0, INT64_MAX));
  if (auto n = t.get("batch")) d.batch = static_cast<int>(r.integer(*n, "tune.batch", 1, 1000));
  if (auto n = t.get("initial")) d.initial = static_cast<int>(r.integer(*n, "tune.initial", 0, 100000));
  if (auto n = t.get("original_runs")) d.original_runs = static_cast<int>(r.integer(*n, "tune.original_runs", 2, 1000));
  if (auto n = t.get("confirm_fraction")) {
    d.confirm_fraction = r.number(*n, "tune.confirm_fraction");
    if (!(d.confirm_fraction >= 0 && d.confirm_fraction < 1)) r.fail(n, "tune.confirm_fraction", "must be in [0, 1)");
  }
  if (auto n = t.get("confirm_min")) d.confirm_min = static_cast<int>(r.integer(*n, "tune.confirm_min", 2, 1000));
  if (!d.budget_runs && !d.budget_j && !d.budget_h)
    r.fail(&t, "tune", "needs a budget: budget_runs, budget_j and/or budget_h");
}

void parse_search(const Reader& r, const toml::table& t, const std::string& key, const study::ModelDefinition& m,
                  std::vector<SearchDimension>& space) {
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    std::string kk = key + "." + name;
    const HyperparameterSpec* spec = m.find(name);
    if (!spec) r.fail(&v, kk, "model '" + m.name + "' has no hyperparameter '" + name + "'");
    if (spec->budget) r.fail(&v, kk, "'" + name + "' is a budget, not a hyperparameter to search");
    if (!v.is_table()) r.fail(&v, kk, "expected a table like {min = 0.001, max = 0.1, log = true}");
    const auto& rt = *v.as_table();
    r.check_keys(rt, kk + ".", {"min", "max", "log", "int", "choices"});
    auto it = std::find_if(space.begin(), space.end(), [&](const SearchDimension& s) { return s.name == name; });
    SearchDimension s;
    if (it != space.end()) s = *it;
    s.name = name;
    s.default_value = m.defaults.at(name);
    if (it == space.end()) s.integer = spec->type == HpType::integer;
    if (auto n = rt.get("choices")) {
      if (!n->is_array() || n->as_array()->empty()) r.fail(n, kk + ".choices", "expected a non-empty array of numbers");
      s.choices.clear();
      for (size_t i = 0; i < n->as_array()->size(); ++i) {
        double c = r.number(*n->as_array()->get(i), kk + ".choices");
        try {
          spec->validate(c);
        } catch (const Error& e) {
          r.fail(n, kk + ".choices", e.what());
        }
        s.choices.push_back(c);
      }
      if (rt.get("min") || rt.get("max") || rt.get("log")) r.fail(n, kk, "give either choices or min/max, not both");
    } else {
      s.choices.clear();
      bool has_min = rt.get("min") != nullptr, has_max = rt.get("max") != nullptr;
      if (it == space.end() && !(has_min && has_max))
        r.fail(&v, kk, "needs min and max (or choices): '" + name + "' has no default range");
      if (has_min) s.min = r.number(*rt.get("min"), kk + ".min");
      if (has_max) s.max = r.number(*rt.get("max"), kk + ".max");
      if (auto n = rt.get("log")) s.log = r.boolean(*n, kk + ".log");
      if (auto n = rt.get("int")) s.integer = r.boolean(*n, kk + ".int");
      if (spec->type == HpType::integer) s.integer = true;
      if (!(s.min < s.max)) r.fail(&v, kk, "min (" + format_exact(s.min) + ") must be below max (" + format_exact(s.max) + ")");
      if (s.log && s.min <= 0) r.fail(&v, kk + ".log", "a log range needs min > 0");
      for (double x : {s.min, s.max}) try {
          spec->validate(s.integer ? std::round(x) : x);
        } catch (const Error& e) {
          r.fail(&v, kk, e.what());
        }
    }
    if (it != space.end()) *it = s;
    else space.push_back(s);
  }
}

}  // namespace

TuneDefinition parse_tune(const std::string& text, const std::string& source_name, const std::string& base_dir) {
  TuneDefinition d;
  study::ParseExtensions ext;
  ext.root_keys = {"tune"};
  ext.model_keys = {"search"};
  const toml::table root = study::parse_definition_toml(text, source_name);  // parsed once, read twice
  d.study = study::parse_study_table(root, text, source_name, base_dir, ext);
  Reader r(source_name);
  if (d.study.models.size() != 1)
    r.fail(root.get("models"), "models", "a tune file has exactly one [[models]] entry (it has " +
                                             std::to_string(d.study.models.size()) + ")");
  if (d.study.scenarios.size() != 1 || d.study.scenarios.front().kind != ScenarioKind::single)
    r.fail(root.get("scenarios"), "scenarios", "tune measures the single scenario only");
  auto tn = root.get("tune");
  if (!tn) r.fail(nullptr, "tune", "a tune file needs a [tune] table (objective, margin, alpha, budget)");
  if (!tn->is_table()) r.fail(tn, "tune", "expected a table");
  d.seed = d.study.seed;
  parse_tune_table(r, *tn->as_table(), d, base_dir);
  d.study.seed = d.seed;
  const study::ModelDefinition& m = d.model();
  const toml::table& mt = *root.get("models")->as_array()->get(0)->as_table();
  for (const auto& op : m.operators) {
    const HyperparameterSpec* spec = m.find(op.hyperparameter);
    double dv = m.defaults.at(op.hyperparameter);
    if (!op.values.empty()) {
      SearchDimension s;
      s.name = op.hyperparameter;
      s.default_value = dv;
      s.choices = op.values;
      s.choices.push_back(dv);
      std::sort(s.choices.begin(), s.choices.end());
      d.space.push_back(s);
      continue;
    }
    SearchDimension s = default_dimension(op.hyperparameter, op.rule, dv, *spec, op.options);
    if (s.choices.empty() && !(s.min < s.max) && !(mt.get("search") && mt.get("search")->as_table() &&
                                                   mt.get("search")->as_table()->get(op.hyperparameter)))
      r.fail(mt.get("operators"), "models[0].operators",
             "the default range of '" + op.hyperparameter + "' from its default " + format_exact(dv) +
                 " is empty; give one in [models.search]");
    d.space.push_back(s);
  }
  if (auto sn = mt.get("search")) {
    if (!sn->is_table()) r.fail(sn, "models[0].search", "expected a table");
    parse_search(r, *sn->as_table(), "models[0].search", m, d.space);
  }
  if (d.space.empty()) r.fail(&mt, "models[0]", "nothing to search: list operators or give [models.search] ranges");
  return d;
}

TuneDefinition load_tune_file(const std::string& path) {
  study::DefinitionFile f = study::read_definition_file(path, "tune file");
  return parse_tune(f.text, path, f.base_dir);
}

}  // namespace greentune::tune
