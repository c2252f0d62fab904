#pragma once
// A generated study for the report tests: two models, three mutated hyperparameters with
// three mutants each, three repetitions, alone and beside a co-runner, with a few failed
// runs, a model without GPU, estimated DRAM values on one model and power samples.
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/run_record.hpp"
#include "greentune/report/report.hpp"
#include "greentune/stats/stats.hpp"

namespace greentune::report::fixture {

inline double noise(std::uint64_t& state) {  // deterministic, roughly uniform in [-1, 1)
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53) * 2 - 1;
}

inline std::vector<RunRecord> make_runs(std::uint64_t seed = 7) {
  std::uint64_t st = seed;
  struct ModelSpec {
    std::string name;
    Configuration defaults;
    std::vector<std::pair<std::string, std::vector<double>>> mutants;
    bool gpu;
    bool dram_estimated;
  };
  std::vector<ModelSpec> models = {
      {"mnist_cnn", {{"epochs", 14}, {"lr", 1.0}, {"gamma", 0.7}},
       {{"epochs", {11, 16, 17}}, {"lr", {0.25, 3.2, 7.9}}, {"gamma", {0.2, 1.1, 1.9}}}, true, false},
      {"resnet20", {{"epochs", 20}, {"lr", 0.1}, {"weight_decay", 1e-4}},
       {{"epochs", {16, 23, 25}}, {"lr", {0.02, 0.5, 0.9}}, {"weight_decay", {3e-5, 2e-4, 2.8e-4}}}, false, true}};
  std::vector<RunRecord> runs;
  long long run_id = 1;
  for (const auto& scenario : {std::string("single"), std::string("parallel")}) {
    for (const auto& m : models) {
      std::vector<std::pair<std::string, Configuration>> configs{{"original", m.defaults}};
      for (const auto& [hp, values] : m.mutants)
        for (double v : values) {
          Configuration c = m.defaults;
          c[hp] = v;
          configs.emplace_back(hp, c);
        }
      for (const auto& [op, cfg] : configs) {
        for (int rep = 0; rep < 5; ++rep) {
          RunRecord r;
          r.model = m.name;
          r.scenario = scenario_from(scenario, "fixture");
          r.corunner = scenario == "parallel" ? "siamese" : "";
          r.op = op;
          r.repetition = rep;
          r.hp = cfg;
          double epochs = cfg.at("epochs");
          double lr = cfg.at("lr");
          double slow = scenario == "parallel" ? 1.35 : 1.0;
          double d = epochs * 6.0 * slow * (1 + 0.03 * noise(st)) * (m.name == "resnet20" ? 3 : 1);
          r.duration_s = d;
          r.reading(EnergyDomain::cpu_package).joules = d * 28 * (1 + 0.02 * noise(st));
          r.reading(EnergyDomain::dram).joules = d * 3.1 * (1 + 0.02 * noise(st));
          if (m.gpu) r.reading(EnergyDomain::gpu).joules = d * 55 * (1 + 0.05 * noise(st)) / (1 + 0.1 * std::log10(lr + 1));
          r.performance = 0.99 - 0.02 * std::fabs(std::log10(lr / m.defaults.at("lr"))) +
                          0.002 * (epochs - m.defaults.at("epochs")) / 3 + 0.002 * noise(st);
          r.node = "testhost";
          r.extra["run_id"] = std::to_string(run_id++);
          r.reading(EnergyDomain::cpu_package).source = EnergySource::rapl;
          r.reading(EnergyDomain::dram).source = m.dram_estimated ? EnergySource::estimated : EnergySource::rapl;
          if (m.gpu) r.reading(EnergyDomain::gpu).source = EnergySource::nvml_energy;
          if (op == "lr" && cfg.at("lr") > 5 && rep == 4) {
            r.status = RunStatus::diverged;
            r.performance.reset();
          }
          runs.push_back(std::move(r));
        }
      }
    }
  }
  return runs;
}


// An AnalysisResult computed here from the runs with the stats library (not with
// analysis::analyze), so that the report's tests do not depend on the analysis' own code.
inline std::optional<double> metric_value(const RunRecord& r, analysis::Metric m) {
  using analysis::Metric;
  switch (m) {
    case Metric::cpu_package_j: return r.reading(EnergyDomain::cpu_package).joules;
    case Metric::dram_j: return r.reading(EnergyDomain::dram).estimated() ? std::nullopt : r.reading(EnergyDomain::dram).joules;
    case Metric::gpu_j: return r.reading(EnergyDomain::gpu).joules;
    case Metric::total_j: {
      if (!r.reading(EnergyDomain::cpu_package).joules) return std::nullopt;
      return *r.reading(EnergyDomain::cpu_package).joules + (r.reading(EnergyDomain::dram).estimated() ? 0 : r.reading(EnergyDomain::dram).joules.value_or(0)) + r.reading(EnergyDomain::gpu).joules.value_or(0);
    }
    case Metric::duration_s: return r.duration_s;
    case Metric::performance: return r.performance;
  }
  return std::nullopt;
}

inline analysis::AnalysisResult make_analysis(const std::vector<RunRecord>& runs) {
  using namespace analysis;
  AnalysisResult a;
  a.options.bootstrap_resamples = 200;
  a.runs_total = runs.size();
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const RunRecord*>> groups;
  for (const auto& r : runs) {
    if (r.status != RunStatus::succeeded) {
      ++a.runs_not_succeeded;
      continue;
    }
    ++a.runs_used;
    if (r.reading(EnergyDomain::dram).estimated()) ++a.estimated_values;
    groups[{r.model, to_string(r.scenario), r.corunner}].push_back(&r);
  }
  a.notes.push_back("estimated dram_j values were left out (use --include-estimated)");
  const Metric metrics[] = {Metric::cpu_package_j, Metric::dram_j, Metric::gpu_j,
                            Metric::total_j, Metric::duration_s, Metric::performance};
  std::map<std::tuple<std::string, std::string, int>, TradeoffGrid> grids;
  for (const auto& [key, rs] : groups) {
    const auto& [model, scenario_text, corunner] = key;
    const Scenario scenario = scenario_from(scenario_text, "fixture");
    std::set<std::string> ops;
    for (auto* r : rs)
      if (r->op != "original") ops.insert(r->op);
    for (const auto& op : ops) {
      std::map<double, std::map<int, Outcome>> outcome_by_value;
      for (Metric m : metrics) {
        std::vector<double> x, y, orig;
        std::map<double, std::vector<double>> by_value;
        for (auto* r : rs) {
          if (r->op != "original" && r->op != op) continue;
          auto v = metric_value(*r, m);
          if (!v) continue;
          x.push_back(r->hp.at(op));
          y.push_back(*v);
          (r->op == "original" ? orig : by_value[r->hp.at(op)]).push_back(*v);
        }
        if (x.size() < 3) continue;
        auto s = stats::spearman(x, y);
        auto p = stats::pearson(x, y);
        CorrelationRow c{model, scenario, corunner, op, m, s.n, s.coefficient, s.p, p.coefficient, p.p,
                         s.defined, stats::strength_bin(s.coefficient, a.options.strength), false};
        a.correlations.push_back(c);
        for (const auto& [value, sample] : by_value) {
          auto t = stats::mann_whitney_u(sample, orig);
          double delta = stats::cliffs_delta(sample, orig);
          Outcome o = Outcome::tie;
          if (t.p <= a.options.alpha && std::fabs(delta) >= a.options.negligible) {
            bool lower = delta < 0;
            o = (lower != higher_is_better(m, true)) ? Outcome::win : Outcome::loss;
          }
          ComparisonRow cr{model, scenario, corunner, op, value, rs.front()->hp.at(op), m, "mann-whitney",
                           t.method, t.p, delta, o, sample.size(), orig.size(), stats::mean(sample),
                           stats::mean(orig), false};
          cr.higher_is_better = higher_is_better(m, true);
          for (auto* r : rs)
            if (r->op == "original") cr.original_value = r->hp.at(op);
          a.comparisons.push_back(cr);
          outcome_by_value[value][static_cast<int>(m)] = o;
        }
      }
      for (const auto& [value, outcomes] : outcome_by_value) {
        auto perf = outcomes.find(static_cast<int>(Metric::performance));
        if (perf == outcomes.end()) continue;
        for (Metric m : {Metric::cpu_package_j, Metric::dram_j, Metric::gpu_j, Metric::total_j}) {
          auto e = outcomes.find(static_cast<int>(m));
          if (e == outcomes.end()) continue;
          auto& g = grids[{scenario_text, op, static_cast<int>(m)}];
          g.scenario = scenario;
          g.hyperparameter = op;
          g.metric = m;
          g.counts[static_cast<int>(e->second)][static_cast<int>(perf->second)]++;
          if (e->second == Outcome::win && perf->second != Outcome::loss) {
            std::vector<double> o, mu;
            for (auto* r : rs) {
              auto v = metric_value(*r, m);
              if (!v) continue;
              if (r->op == "original") o.push_back(*v);
              else if (r->op == op && r->hp.at(op) == value) mu.push_back(*v);
            }
            auto iv = stats::bootstrap_saving_percent(o, mu, 200, 0.95, 1);
            GreenerRow gr{model, scenario, corunner, op, value, rs.front()->hp.at(op), m,
                          iv.estimate, iv.low, iv.high, 0.01, -0.9, perf->second, 0.0, false};
            for (auto* r : rs)
              if (r->op == "original") gr.original_value = r->hp.at(op);
            a.greener.push_back(gr);
          }
        }
      }
    }
  }
  for (auto& [k, g] : grids) a.tradeoffs.push_back(g);
  for (const auto& c : a.correlations) {
    bool found = false;
    for (auto& s : a.strength_summary)
      if (s.scenario == c.scenario && s.hyperparameter == c.hyperparameter && s.metric == c.metric) {
        s.counts[static_cast<std::size_t>(c.strength)]++;
        found = true;
      }
    if (!found) {
      StrengthSummaryRow s{c.scenario, c.hyperparameter, c.metric, {}};
      s.counts[static_cast<std::size_t>(c.strength)] = 1;
      a.strength_summary.push_back(s);
    }
    if (c.scenario != Scenario::single) continue;
    for (const auto& p : a.correlations)
      if (p.scenario == Scenario::parallel && p.model == c.model && p.hyperparameter == c.hyperparameter &&
          p.metric == c.metric) {
        ParallelCorrelationRow pr{c.model, p.corunner, c.hyperparameter, c.metric, c.spearman_rho, c.spearman_p,
                                  p.spearman_rho, p.spearman_p, c.strength, p.strength,
                                  c.strength != p.strength, (c.spearman_rho > 0) != (p.spearman_rho > 0)};
        a.parallel_correlations.push_back(pr);
      }
  }
  for (const auto& c : a.comparisons) {
    if (c.scenario != Scenario::single || c.metric != Metric::total_j) continue;
    for (const auto& p : a.comparisons)
      if (p.scenario == Scenario::parallel && p.model == c.model && p.hyperparameter == c.hyperparameter &&
          p.value == c.value && p.metric == c.metric) {
        ParallelEnergyRow e;
        e.model = c.model;
        e.corunner = p.corunner;
        e.hyperparameter = c.hyperparameter;
        e.value = c.value;
        e.configuration = c.hyperparameter + "=" + std::to_string(c.value);
        e.metric = c.metric;
        e.n_single = c.n_mutant;
        e.n_parallel = p.n_mutant;
        e.mean_single = c.mean_mutant;
        e.mean_parallel = p.mean_mutant;
        e.change_percent = 100 * (p.mean_mutant - c.mean_mutant) / c.mean_mutant;
        e.p = stats::mann_whitney_u({p.mean_mutant}, {c.mean_mutant}).p;
        a.parallel_energy.push_back(e);
      }
  }
  // The per-run values the report draws, by the same rules (estimated DRAM left out).
  a.run_values.resize(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].status != RunStatus::succeeded) continue;
    for (Metric m : metrics) {
      if (auto v = metric_value(runs[i], m)) {
        a.run_values[i].value[static_cast<std::size_t>(m)] = *v;
        a.run_values[i].present[static_cast<std::size_t>(m)] = true;
      }
    }
  }
  return a;
}

inline std::map<long long, std::vector<store::PowerPoint>> make_power(const std::vector<RunRecord>& runs) {
  std::map<long long, std::vector<store::PowerPoint>> out;
  std::uint64_t st = 3;
  for (const auto& r : runs) {
    long long id = std::stoll(r.extra.at("run_id"));
    double d = *r.duration_s;
    auto& v = out[id];
    for (double t = 0; t <= d; t += std::max(1.0, d / 60)) {
      double ramp = t < 3 ? t / 3 : 1;
      v.push_back({t, EnergyDomain::cpu_package, 12 + 18 * ramp + 1.5 * noise(st), EnergySource::rapl});
      if (r.reading(EnergyDomain::gpu).joules) v.push_back({t, EnergyDomain::gpu, 30 + 28 * ramp + 3 * noise(st), EnergySource::nvml_energy});
    }
  }
  return out;
}

inline ReportInput make_input(bool from_database = true) {
  ReportInput in;
  in.title = "Test study <report> & \"friends\"";
  in.source = "generated.db";
  in.from_database = from_database;
  in.runs = make_runs();
  in.analysis = make_analysis(in.runs);
  if (from_database) {
    in.environment = {{"hostname", "testhost"},         {"cpu_model", "Test CPU <x86>"},
                      {"cpu_cores", "8"},               {"kernel", "6.1.0"},
                      {"governor", "performance"},      {"torch_version", "1.13.1"},
                      {"gpu", "none"},                  {"meters", "rapl, estimate (dram)"},
                      {"study.name", "generated"},      {"study.seed", "7"}};
    in.power = make_power(in.runs);
  }
  return in;
}

}  // namespace greentune::report::fixture
