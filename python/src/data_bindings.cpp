// Runs as columns (for greentune.load_runs) and the analysis as its JSON document (for
// greentune.analyze): the same code paths as `greentune export` and `greentune analyze --json`.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "greentune/analysis/analysis.hpp"
#include "greentune/analysis/load_runs.hpp"
#include "greentune/stats/stats.hpp"
#include "greentune/store/interchange.hpp"

namespace py = pybind11;

namespace greentune::python {

namespace {

const std::set<std::string>& fixed_names() {
  static const std::set<std::string> names = {"model",        "scenario",    "corunner",           "operator",
                                              "repetition",   "cpu_package_j", "dram_j",           "gpu_j",
                                              "duration_s",   "performance", "performance_metric", "higher_is_better",
                                              "status",       "node"};
  return names;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// float64 (NaN = empty), int64 and bool columns: buffers numpy reads with numpy.asarray
Buffer doubles(std::vector<double> v) { return Buffer::owning(std::move(v), py::format_descriptor<double>::format()); }

Buffer numbers(const std::vector<RunRecord>& runs, std::optional<double> RunRecord::*field) {
  std::vector<double> a(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) a[i] = (runs[i].*field).value_or(kNaN);
  return doubles(std::move(a));
}

Buffer energy(const std::vector<RunRecord>& runs, EnergyDomain d) {
  std::vector<double> a(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) a[i] = runs[i].reading(d).joules.value_or(kNaN);
  return doubles(std::move(a));
}

template <class E>
py::list enum_strings(const std::vector<RunRecord>& runs, E RunRecord::*field) {
  py::list l(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) l[i] = py::str(to_string(runs[i].*field));
  return l;
}

py::list strings(const std::vector<RunRecord>& runs, std::string RunRecord::*field) {
  py::list l(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) l[i] = py::str(runs[i].*field);
  return l;
}

// Columns in the order `greentune export --format csv` writes them: a list of
// (name, values); numbers as Buffers (float64 with NaN = empty, repetition int64,
// higher_is_better bool), text as lists of str, extra
// columns as lists of str or None (empty cell), verbatim.
py::list run_columns(const std::vector<RunRecord>& runs) {
  std::set<std::string> hp_names;
  for (const auto& r : runs)
    for (const auto& [k, v] : r.hp) hp_names.insert(k);
  std::vector<std::string> extra_names;
  for (auto& e : store::extra_columns(runs))
    if (!fixed_names().count(e)) extra_names.push_back(std::move(e));
  const std::size_t n = runs.size();
  py::list cols;
  auto add = [&](const std::string& name, auto values) { cols.append(py::make_tuple(name, std::move(values))); };
  add("model", strings(runs, &RunRecord::model));
  add("scenario", enum_strings(runs, &RunRecord::scenario));
  add("corunner", strings(runs, &RunRecord::corunner));
  add("operator", strings(runs, &RunRecord::op));
  std::vector<std::int64_t> rep(n);
  for (std::size_t i = 0; i < n; ++i) rep[i] = runs[i].repetition;
  add("repetition", Buffer::owning(std::move(rep), py::format_descriptor<std::int64_t>::format()));
  for (const auto& h : hp_names) {
    std::vector<double> a(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto it = runs[i].hp.find(h);
      a[i] = it != runs[i].hp.end() ? it->second : kNaN;
    }
    add("hp." + h, doubles(std::move(a)));
  }
  for (auto d : kEnergyDomains) add(energy_column(d), energy(runs, d));
  add("duration_s", numbers(runs, &RunRecord::duration_s));
  add("performance", numbers(runs, &RunRecord::performance));
  add("performance_metric", strings(runs, &RunRecord::performance_metric));
  std::vector<std::uint8_t> hib(n);  // numpy's bool: one byte, 0 or 1
  for (std::size_t i = 0; i < n; ++i) hib[i] = runs[i].higher_is_better ? 1 : 0;
  add("higher_is_better", Buffer::owning(std::move(hib), py::format_descriptor<bool>::format()));
  add("status", enum_strings(runs, &RunRecord::status));
  add("node", strings(runs, &RunRecord::node));
  for (const auto& e : extra_names) {
    py::list l(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string_view cell = store::extra_cell(runs[i], e);
      if (cell.empty())
        l[i] = py::none();
      else
        l[i] = py::str(std::string(cell));
    }
    add(e, l);
  }
  return cols;
}

analysis::AnalysisOptions analysis_options(const std::string& test, double alpha, double negligible, double weak,
                                           double strong, int bootstrap, double confidence, std::uint64_t seed,
                                           bool include_estimated, const std::vector<std::string>& nodes) {
  analysis::AnalysisOptions o;
  o.test = stats::parse_test_kind(test);
  o.alpha = alpha;
  o.negligible = negligible;
  o.strength.weak = weak;
  o.strength.strong = strong;
  o.bootstrap_resamples = bootstrap;
  o.bootstrap_confidence = confidence;
  o.bootstrap_seed = seed;
  o.include_estimated = include_estimated;
  o.nodes = nodes;
  return o;
}

}  // namespace

void bind_data(py::module_& m) {
  m.def(
      "load_run_columns",
      [](const std::string& path, bool force_csv) {
        analysis::LoadedRuns loaded;
        {
          py::gil_scoped_release release;
          loaded = analysis::load_runs(path, force_csv);
        }
        return py::make_tuple(loaded.kind, run_columns(loaded.runs));
      },
      py::arg("path"), py::arg("force_csv") = false);

  // source: a file (database or CSV, as `greentune analyze DB`) or, with csv_text, the text
  // of a runs CSV. Returns (the JSON document as text, warnings).
  m.def(
      "analyze_json",
      [](const std::string& source, bool csv_text, const std::string& name, const std::string& test, double alpha,
         double negligible, double weak, double strong, int bootstrap, double confidence, std::uint64_t seed,
         bool include_estimated, const std::vector<std::string>& nodes, int threads) {
        auto o = analysis_options(test, alpha, negligible, weak, strong, bootstrap, confidence, seed,
                                  include_estimated, nodes);
        o.threads = threads;
        py::gil_scoped_release release;
        analysis::LoadedRuns loaded;
        if (csv_text) {
          auto table = store::read_runs_table(source, name);
          loaded.path = name;
          loaded.kind = "csv";
          loaded.runs = std::move(table.runs);
          auto lines = std::make_shared<std::vector<long long>>(std::move(table.lines));
          loaded.origins = [name, lines](std::size_t i) {
            return i < lines->size() ? name + ":" + std::to_string((*lines)[i]) : name + " run #" + std::to_string(i + 1);
          };
        } else {
          loaded = analysis::load_runs(source);
        }
        std::ostringstream warnings;
        analysis::select_nodes(loaded, o.nodes, &warnings);
        auto result = analysis::analyze(loaded.runs, o, loaded.origins);
        std::ostringstream out;
        analysis::write_json(out, result);
        return std::make_pair(out.str(), warnings.str());
      },
      py::arg("source"), py::arg("csv_text"), py::arg("name"), py::arg("test"), py::arg("alpha"), py::arg("negligible"),
      py::arg("weak"), py::arg("strong"), py::arg("bootstrap"), py::arg("confidence"), py::arg("seed"),
      py::arg("include_estimated"), py::arg("nodes"), py::arg("threads"));
}

}  // namespace greentune::python
