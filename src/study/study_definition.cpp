#include "greentune/study/study_definition.hpp"

#include <stdlib.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "greentune/core/error.hpp"
#include "greentune/core/models.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/pattern.hpp"
#include "greentune/study/definition_toml.hpp"
#include "greentune/study/toml_reader.hpp"

namespace greentune::study {

const HyperparameterSpec* ModelDefinition::find(const std::string& hp) const {
  for (const auto& s : hyperparameters)
    if (s.name == hp) return &s;
  return nullptr;
}

std::string ScenarioDefinition::corunner_label() const {
  if (kind == ScenarioKind::parallel) return corunner;
  if (kind == ScenarioKind::symmetric) return "symmetric:" + std::to_string(jobs);
  return "";
}

const ModelDefinition* StudyDefinition::find_model(const std::string& name) const {
  for (const auto& m : models)
    if (m.name == name) return &m;
  for (const auto& m : corunners)
    if (m.name == name) return &m;
  return nullptr;
}

namespace {

using Parser = TomlReader;

void parse_cooldown(const Parser& p, const toml::node& n, CooldownDefinition& c) {
  if (n.is_integer() || n.is_floating_point()) {
    c.mode = CooldownMode::fixed;
    c.seconds = p.number(n, "cooldown");
  } else if (n.is_string()) {
    std::string s = p.str(n, "cooldown");
    if (s == to_string(CooldownMode::until_idle)) c.mode = CooldownMode::until_idle;
    else if (auto v = parse_double(s)) { c.mode = CooldownMode::fixed; c.seconds = *v; }
    else p.fail(&n, "cooldown", "expected seconds or \"until-idle\", got \"" + s + "\"");
  } else if (n.is_table()) {
    const auto& t = *n.as_table();
    p.check_keys(t, "cooldown.", {"mode", "seconds", "tolerance", "max_s", "baseline_s"});
    if (auto m = t.get("mode")) {
      std::string mode = p.str(*m, "cooldown.mode");
      if (auto parsed = parse_cooldown_mode(mode)) c.mode = *parsed;
      else p.fail(m, "cooldown.mode", "expected \"fixed\" or \"until-idle\", got \"" + mode + "\"");
    }
    if (auto v = t.get("seconds")) c.seconds = p.number(*v, "cooldown.seconds");
    if (auto v = t.get("tolerance")) c.tolerance = p.number(*v, "cooldown.tolerance");
    if (auto v = t.get("max_s")) c.max_s = p.number(*v, "cooldown.max_s");
    if (auto v = t.get("baseline_s")) c.baseline_s = p.number(*v, "cooldown.baseline_s");
  } else {
    p.fail(&n, "cooldown", "expected seconds, \"until-idle\" or a table");
  }
  if (c.seconds < 0) p.fail(&n, "cooldown", "seconds must be >= 0");
  if (c.tolerance < 0) p.fail(&n, "cooldown", "tolerance must be >= 0");
  if (c.max_s < 0 || c.baseline_s < 0) p.fail(&n, "cooldown", "max_s and baseline_s must be >= 0");
}

std::vector<OperatorDefinition> parse_operators(const Parser& p, const toml::array& arr, const std::string& key,
                                                const ModelDefinition& m, int default_mutants) {
  std::vector<OperatorDefinition> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < arr.size(); ++i) {
    const toml::node& n = *arr.get(i);
    std::string k = key + "[" + std::to_string(i) + "]";
    OperatorDefinition op;
    op.mutants = default_mutants;
    if (n.is_string()) {
      op.hyperparameter = p.str(n, k);
    } else if (n.is_table()) {
      const auto& t = *n.as_table();
      p.check_keys(t, k + ".", {"hyperparameter", "rule", "mutants", "choices", "values"});
      auto h = t.get("hyperparameter");
      if (!h) p.fail(&n, k, "missing 'hyperparameter'");
      op.hyperparameter = p.str(*h, k + ".hyperparameter");
      if (auto r = t.get("rule")) op.rule = p.str(*r, k + ".rule");
      if (auto v = t.get("mutants")) op.mutants = static_cast<int>(p.integer(*v, k + ".mutants", 0, 1000));
      if (auto v = t.get("choices")) {
        const auto& a = p.array(*v, k + ".choices");
        for (size_t j = 0; j < a.size(); ++j) op.options.choices.push_back(p.number(*a.get(j), k + ".choices"));
        if (op.options.choices.empty()) p.fail(v, k + ".choices", "must not be empty");
      }
      if (auto v = t.get("values")) {
        const auto& a = p.array(*v, k + ".values");
        for (size_t j = 0; j < a.size(); ++j) op.values.push_back(p.number(*a.get(j), k + ".values"));
        op.mutants = static_cast<int>(op.values.size());
      }
    } else {
      p.fail(&n, k, "expected an operator name or a table");
    }
    if (op.rule.empty()) op.rule = op.hyperparameter;
    if (!mutation::is_operator(op.rule)) {
      std::string known;
      for (const auto& nm : mutation::operator_names()) known += (known.empty() ? "" : ", ") + nm;
      p.fail(&n, k, "unknown mutation operator '" + op.rule + "' (known: " + known +
                        "; for another hyperparameter name give {hyperparameter = \"...\", rule = \"...\"})");
    }
    const HyperparameterSpec* spec = m.find(op.hyperparameter);
    if (!spec) p.fail(&n, k, "model '" + m.name + "' has no hyperparameter '" + op.hyperparameter + "'");
    if (spec->budget) p.fail(&n, k, "'" + op.hyperparameter + "' is a budget, not a hyperparameter to study");
    if (!seen.insert(op.hyperparameter).second)
      p.fail(&n, k, "operator for '" + op.hyperparameter + "' given twice");
    std::set<double> distinct;
    for (double v : op.values) {
      try {
        spec->validate(v);
      } catch (const Error& e) {
        p.fail(&n, k + ".values", e.what());
      }
      if (v == m.defaults.at(op.hyperparameter))
        p.fail(&n, k + ".values", format_exact(v) + " is the default, not a mutant");
      if (!distinct.insert(v).second) p.fail(&n, k + ".values", format_exact(v) + " given twice");
    }
    out.push_back(op);
  }
  return out;
}

void apply_budgets(const Parser& p, const toml::table& t, const std::string& key, ModelDefinition& m) {
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    const HyperparameterSpec* spec = m.find(name);
    if (!spec || !spec->budget) {
      if (!m.is_builtin()) {
        // External models: budgets are plain hyperparameters the command may use.
        if (!spec) p.fail(&v, key + "." + name, "model '" + m.name + "' has no hyperparameter '" + name + "'");
      } else {
        std::string budgets;
        for (const auto& h : m.hyperparameters)
          if (h.budget) budgets += (budgets.empty() ? "" : ", ") + h.name;
        p.fail(&v, key + "." + name, "not a budget of model '" + m.name + "' (budgets: " + budgets + ")");
      }
    }
    double value = p.number(v, key + "." + name);
    try {
      spec->validate(value);
    } catch (const Error& e) {
      p.fail(&v, key + "." + name, e.what());
    }
    m.defaults[name] = value;
  }
}

// The first placeholder {name} of the command that is not a hyperparameter, read as the runner
// expands commands ({{ and }} are literal braces): a scan in linear time, for any length.
std::optional<std::string> unknown_placeholder(const ModelDefinition& m) {
  const std::string& t = m.command;
  auto ident = [](char ch, bool first) {
    return ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (!first && ch >= '0' && ch <= '9');
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    if ((t[i] == '{' || t[i] == '}') && i + 1 < t.size() && t[i + 1] == t[i]) {
      ++i;
      continue;
    }
    if (t[i] != '{') continue;
    std::size_t j = i + 1;
    while (j < t.size() && ident(t[j], j == i + 1)) ++j;
    if (j == i + 1 || j >= t.size() || t[j] != '}') continue;
    std::string name = t.substr(i + 1, j - i - 1);
    if (!m.find(name)) return name;
    i = j;
  }
  return std::nullopt;
}

ModelDefinition builtin_definition(const std::string& name) {
  const ModelSpec& spec = model_or_throw(name);
  ModelDefinition m;
  m.name = name;
  m.builtin = name;
  m.metric = spec.metric;
  m.higher_is_better = spec.higher_is_better;
  m.hyperparameters = spec.hyperparameters;
  m.defaults = spec.defaults();
  return m;
}

ModelDefinition parse_model(const Parser& p, const toml::table& t, const std::string& key,
                            const StudyDefinition& study, const toml::table* global_budgets,
                            const std::string& base_dir, const std::set<std::string>& extra_keys) {
  std::set<std::string> allowed = {"name", "command", "result", "metric_regex", "metric_key", "diverged_regex",
                                   "metric", "higher_is_better", "working_dir", "env", "hyperparameters", "set",
                                   "budgets", "operators", "mutants", "estimate_s", "estimate_w"};
  allowed.insert(extra_keys.begin(), extra_keys.end());
  p.check_keys(t, key + ".", allowed);
  auto name_node = t.get("name");
  if (!name_node) p.fail(&t, key, "missing 'name'");
  std::string name = p.str(*name_node, key + ".name");
  if (name.empty() || name == "original") p.fail(name_node, key + ".name", "invalid model name '" + name + "'");
  ModelDefinition m;
  if (auto c = t.get("command")) {
    m.name = name;
    m.command = p.str(*c, key + ".command");
    if (m.command.empty()) p.fail(c, key + ".command", "must not be empty");
    auto hps = t.get("hyperparameters");
    if (!hps) p.fail(&t, key, "an external model needs a [hyperparameters] table of defaults");
    for (const auto& [k, v] : p.table(*hps, key + ".hyperparameters")) {
      HyperparameterSpec s;
      s.name = std::string(k.str());
      s.type = v.is_integer() ? HpType::integer : HpType::real;
      s.default_value = p.number(v, key + ".hyperparameters." + s.name);
      s.min_value = -std::numeric_limits<double>::max();
      s.max_value = std::numeric_limits<double>::max();
      s.description = "external hyperparameter";
      m.hyperparameters.push_back(s);
      m.defaults[s.name] = s.default_value;
    }
    if (auto r = t.get("result")) {
      m.result = p.str(*r, key + ".result");
      if (m.result != "regex" && m.result != "json-lines")
        p.fail(r, key + ".result", "expected \"regex\" or \"json-lines\", got \"" + m.result + "\"");
    }
    if (auto r = t.get("metric_regex")) m.metric_regex = p.str(*r, key + ".metric_regex");
    if (auto r = t.get("metric_key")) m.metric_key = p.str(*r, key + ".metric_key");
    if (m.result == "regex") {
      if (m.metric_regex.empty())
        p.fail(&t, key, "an external model needs metric_regex (or result = \"json-lines\")");
      int groups = 0;
      try {
        groups = Pattern(m.metric_regex).group_count();
      } catch (const PatternSyntaxError& e) {
        p.fail(t.get("metric_regex"), key + ".metric_regex", e.what());
      }
      if (groups < 1) p.fail(t.get("metric_regex"), key + ".metric_regex", "needs one capture group");
    }
    if (auto r = t.get("diverged_regex")) {
      m.diverged_regex = p.str(*r, key + ".diverged_regex");
      try {
        Pattern check(m.diverged_regex);
      } catch (const PatternSyntaxError& e) {
        p.fail(r, key + ".diverged_regex", e.what());
      }
    }
    if (auto r = t.get("metric")) m.metric = p.str(*r, key + ".metric");
    if (auto r = t.get("higher_is_better")) m.higher_is_better = p.boolean(*r, key + ".higher_is_better");
    if (auto r = t.get("working_dir")) m.working_dir = p.str(*r, key + ".working_dir");
    if (m.working_dir.empty()) m.working_dir = base_dir;
    else if (m.working_dir[0] != '/' && !base_dir.empty()) m.working_dir = base_dir + "/" + m.working_dir;
    if (auto e = t.get("env"))
      for (const auto& [k, v] : p.table(*e, key + ".env")) m.env[std::string(k.str())] = p.str(v, key + ".env." + std::string(k.str()));
    // Placeholders must name hyperparameters.
    if (auto bad = unknown_placeholder(m)) {
      std::string shown = bad->size() <= 64 ? *bad : bad->substr(0, 60) + "...";
      p.fail(c, key + ".command", "placeholder {" + shown + "} is not a hyperparameter of '" + name + "'" +
                                      (bad->size() <= 64 ? "" : " (a name of " + std::to_string(bad->size()) + " characters)"));
    }
  } else {
    for (const char* ext : {"result", "metric_regex", "metric_key", "diverged_regex", "working_dir", "env",
                            "hyperparameters", "higher_is_better", "metric"})
      if (auto n = t.get(ext))
        p.fail(n, key + "." + ext, "only for external models (with a command); '" + name + "' is built in");
    if (!find_model(name)) {
      std::string known;
      for (const auto& bm : builtin_models()) known += (known.empty() ? "" : ", ") + bm.name;
      p.fail(name_node, key + ".name", "unknown built-in model '" + name + "' (known: " + known +
                                           "; an external model needs a command)");
    }
    m = builtin_definition(name);
    if (global_budgets) apply_budgets(p, *global_budgets, "budgets", m);
  }
  if (auto b = t.get("budgets")) apply_budgets(p, p.table(*b, key + ".budgets"), key + ".budgets", m);
  if (auto s = t.get("set")) {
    for (const auto& [k, v] : p.table(*s, key + ".set")) {
      std::string hp(k.str());
      const HyperparameterSpec* spec = m.find(hp);
      if (!spec) p.fail(&v, key + ".set." + hp, "model '" + name + "' has no hyperparameter '" + hp + "'");
      double value = p.number(v, key + ".set." + hp);
      try {
        spec->validate(value);
      } catch (const Error& e) {
        p.fail(&v, key + ".set." + hp, e.what());
      }
      m.defaults[hp] = value;
    }
  }
  if (auto e = t.get("estimate_s")) {
    m.estimate_s = p.number(*e, key + ".estimate_s");
    if (m.estimate_s < 0) p.fail(e, key + ".estimate_s", "must be >= 0");
  }
  if (auto w = t.get("estimate_w")) {
    m.estimate_w = p.number(*w, key + ".estimate_w");
    if (m.estimate_w < 0) p.fail(w, key + ".estimate_w", "must be >= 0");
  }
  int mutants = study.mutants;
  if (auto mu = t.get("mutants")) mutants = static_cast<int>(p.integer(*mu, key + ".mutants", 0, 1000));
  if (auto ops = t.get("operators")) {
    m.operators = parse_operators(p, p.array(*ops, key + ".operators"), key + ".operators", m, mutants);
  } else if (m.is_builtin()) {
    for (const auto& hp : model_or_throw(m.builtin).studied) {
      OperatorDefinition op;
      op.hyperparameter = op.rule = hp;
      op.mutants = mutants;
      m.operators.push_back(op);
    }
  } else {
    p.fail(&t, key, "an external model needs an 'operators' list");
  }
  return m;
}

}  // namespace

StudyDefinition parse_study(const std::string& text, const std::string& source_name, const std::string& base_dir) {
  return parse_study(text, source_name, base_dir, ParseExtensions{});
}

toml::table parse_definition_toml(const std::string& text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::string desc(e.description());
    throw input_error(source_name + ":" + std::to_string(e.source().begin.line) + ": " + desc);
  }
}

StudyDefinition parse_study(const std::string& text, const std::string& source_name, const std::string& base_dir,
                            const ParseExtensions& extensions) {
  return parse_study_table(parse_definition_toml(text, source_name), text, source_name, base_dir, extensions);
}

StudyDefinition parse_study_table(const toml::table& root, const std::string& text, const std::string& source_name,
                                  const std::string& base_dir, const ParseExtensions& extensions) {
  Parser p(source_name);
  std::set<std::string> root_keys = {"name", "seed", "mutants", "repetitions", "order", "meter", "meter_interval_ms",
                                     "run_timeout_s", "governor", "cooldown", "budgets", "scenarios", "models",
                                     "device"};
  root_keys.insert(extensions.root_keys.begin(), extensions.root_keys.end());
  p.check_keys(root, "", root_keys);
  StudyDefinition s;
  s.source = source_name;
  s.text = text;
  s.base_dir = base_dir;
  if (auto n = root.get("name")) s.name = p.str(*n, "name");
  if (auto n = root.get("seed")) s.seed = static_cast<std::uint64_t>(p.integer(*n, "seed", 0, INT64_MAX));
  if (auto n = root.get("mutants")) s.mutants = static_cast<int>(p.integer(*n, "mutants", 0, 1000));
  if (auto n = root.get("repetitions")) s.repetitions = static_cast<int>(p.integer(*n, "repetitions", 1, 100000));
  if (auto n = root.get("order")) {
    s.order = p.str(*n, "order");
    if (s.order != "grouped" && s.order != "interleaved")
      p.fail(n, "order", "expected \"grouped\" or \"interleaved\", got \"" + s.order + "\"");
  }
  if (auto n = root.get("meter")) s.meter = p.str(*n, "meter");
  if (auto n = root.get("meter_interval_ms"))
    s.meter_interval_ms = static_cast<int>(p.integer(*n, "meter_interval_ms", 1, 60000));
  if (auto n = root.get("run_timeout_s")) {
    s.run_timeout_s = p.number(*n, "run_timeout_s");
    if (s.run_timeout_s < 0) p.fail(n, "run_timeout_s", "must be >= 0 (0 = no limit)");
  }
  if (auto n = root.get("governor")) {
    s.governor = p.str(*n, "governor");
    if (s.governor != "performance" && s.governor != "keep")
      p.fail(n, "governor", "expected \"performance\" or \"keep\", got \"" + s.governor + "\"");
  }
  if (auto n = root.get("cooldown")) parse_cooldown(p, *n, s.cooldown);
  if (auto n = root.get("device")) {
    s.device = p.str(*n, "device");
    const std::string& d = s.device;
    if (d != "cpu" && d != "cuda" && d != "auto" && d.rfind("cuda:", 0) != 0)
      p.fail(n, "device", "expected \"cpu\", \"cuda\", \"cuda:N\" or \"auto\", got \"" + d + "\"");
  }
  const toml::table* budgets = nullptr;
  if (auto n = root.get("budgets")) budgets = &p.table(*n, "budgets");

  auto models = root.get("models");
  if (!models) p.fail(nullptr, "models", "a study needs at least one [[models]] entry");
  const auto& marr = p.array(*models, "models");
  if (marr.empty()) p.fail(models, "models", "a study needs at least one model");
  std::set<std::string> names;
  for (size_t i = 0; i < marr.size(); ++i) {
    std::string key = "models[" + std::to_string(i) + "]";
    ModelDefinition m = parse_model(p, p.table(*marr.get(i), key), key, s, budgets, base_dir,
                                   extensions.model_keys);
    if (!names.insert(m.name).second) p.fail(marr.get(i), key + ".name", "model '" + m.name + "' given twice");
    s.models.push_back(std::move(m));
  }

  if (auto n = root.get("scenarios")) {
    const auto& arr = p.array(*n, "scenarios");
    if (arr.empty()) p.fail(n, "scenarios", "must not be empty");
    std::set<std::string> labels;
    for (size_t i = 0; i < arr.size(); ++i) {
      const toml::node& sn = *arr.get(i);
      std::string key = "scenarios[" + std::to_string(i) + "]";
      ScenarioDefinition sc;
      // The one place a scenario kind is text: the study file.
      auto kind_of = [&](const std::string& text) {
        if (auto k = parse_scenario_kind(text)) return *k;
        p.fail(&sn, key, "unknown scenario kind \"" + text + "\" (single, parallel, symmetric)");
      };
      if (sn.is_string()) {
        sc.kind = kind_of(p.str(sn, key));
      } else if (sn.is_table()) {
        const auto& t = *sn.as_table();
        p.check_keys(t, key + ".", {"kind", "corunner", "jobs"});
        if (auto k = t.get("kind")) sc.kind = kind_of(p.str(*k, key + ".kind"));
        if (auto c = t.get("corunner")) sc.corunner = p.str(*c, key + ".corunner");
        if (auto j = t.get("jobs")) sc.jobs = static_cast<int>(p.integer(*j, key + ".jobs", 2, 64));
        if (t.get("corunner") && sc.kind != ScenarioKind::parallel) p.fail(t.get("corunner"), key + ".corunner", "only for kind = \"parallel\"");
        if (t.get("jobs") && sc.kind != ScenarioKind::symmetric) p.fail(t.get("jobs"), key + ".jobs", "only for kind = \"symmetric\"");
      } else {
        p.fail(&sn, key, "expected \"single\", \"parallel\", \"symmetric\" or a table");
      }
      if (sc.kind == ScenarioKind::parallel) {
        if (sc.corunner.empty()) sc.corunner = s.models.front().name;
        if (!s.find_model(sc.corunner)) {
          if (!find_model(sc.corunner))
            p.fail(&sn, key + ".corunner", "co-runner '" + sc.corunner + "' is neither a model of this study nor a built-in model");
          ModelDefinition c = builtin_definition(sc.corunner);
          if (budgets) apply_budgets(p, *budgets, "budgets", c);
          s.corunners.push_back(c);
        }
      }
      if (sc.kind == ScenarioKind::symmetric) {
        if (sc.jobs < 2) sc.jobs = 2;
        if (s.repetitions % sc.jobs != 0)
          p.fail(&sn, key + ".jobs", "repetitions (" + std::to_string(s.repetitions) +
                                         ") must be a multiple of jobs (" + std::to_string(sc.jobs) +
                                         "): each repetition is one of the k symmetric jobs");
      }
      std::string label = std::string(to_string(sc.kind)) + "/" + sc.corunner_label();
      if (!labels.insert(label).second) p.fail(&sn, key, "scenario given twice");
      s.scenarios.push_back(sc);
    }
  } else {
    s.scenarios.push_back(ScenarioDefinition{});
  }
  for (auto& m : s.models) m.device = s.device;
  for (auto& m : s.corunners) m.device = s.device;
  return s;
}

StudyDefinition parse_study(const std::string& text, const std::string& source_name) {
  return parse_study(text, source_name, "");
}

DefinitionFile read_definition_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot read " + what + " " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = ".";
  auto slash = path.rfind('/');
  if (slash != std::string::npos) base = path.substr(0, slash == 0 ? 1 : slash);
  char buf[4096];
  if (base[0] != '/' && ::realpath(base.c_str(), buf)) base = buf;
  return {ss.str(), base};
}

StudyDefinition load_study_file(const std::string& path) {
  DefinitionFile f = read_definition_file(path, "study file");
  return parse_study(f.text, path, f.base_dir);
}

}  // namespace greentune::study
