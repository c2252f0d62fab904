#include "greentune/tune/inspect.hpp"

#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/report/tune_report.hpp"
#include "greentune/store/integrity.hpp"
#include "greentune/store/study_store.hpp"
#include "greentune/tune/tuner.hpp"

namespace greentune::tune {

using nlohmann::json;

namespace {

// A study.db, or the study.db of a directory.
std::string database_path(const std::string& path) {
  std::string db = path;
  while (db.size() > 1 && db.back() == '/') db.pop_back();
  if (is_directory(db)) db += "/study.db";
  return db;
}

}  // namespace

bool is_tune_database(const std::string& path) {
  std::string db = database_path(path);
  if (!file_exists(db) || !store::looks_like_database(db)) return false;
  try {
    store::StudyStore st = store::StudyStore::open(db);
    return st.meta("kind").value_or("") == "tune";
  } catch (const Error&) {
    return false;  // not a greentune database: the study path says what is wrong with it
  }
}

int report_tune(const std::string& path, store::StudyStore& st, const std::string& out_dir, const std::string& title,
                std::ostream& out) {
  json summary = tune_summary(path, st);
  report::TuneReportFiles files = report::write_tune_report(summary, out_dir, title);
  out << "tune report: " << files.html_path << (summary["finished"].get<bool>() ? "" : " (the tune run has not finished)")
      << "\n";
  out << "tables: " << files.markdown_path << " and " << files.csv_paths.size() << " CSV file(s); summary: "
      << files.json_path << "\n";
  return 0;
}

namespace {

std::string hp_text(const json& hp) {
  std::string t;
  for (const auto& [k, v] : hp.items()) t += (t.empty() ? "" : " ") + k + "=" + format_exact(v.get<double>());
  return t;
}

std::string num(const json& v) { return v.is_number() ? fmt::format("{:.4g}", v.get<double>()) : "n/a"; }

std::string interval(const json& c, const char* key, const char* ci) {
  if (!c.contains(key) || !c[key].is_number()) return "n/a";
  std::string t = fmt::format("{:+.4g}", c[key].get<double>());
  if (c.contains(ci) && c[ci].is_array())
    t += fmt::format(" [95% CI {:+.4g}, {:+.4g}]", c[ci][0].get<double>(), c[ci][1].get<double>());
  return t;
}

}  // namespace

int analyze_tune(const std::string& path, bool as_json, std::ostream& out) {
  store::check_if_database(database_path(path));
  json j = tune_summary(path);
  if (as_json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  out << "tune run: its runs are the phases original, search and confirm (not mutation operators), so the study "
         "analysis does not apply; this is the tune summary and each candidate's confirmation against the original.\n";
  if (!j["finished"].get<bool>()) out << "the tune run has not finished: everything below is provisional\n";
  out << describe_summary(j);
  if (j["candidates"].empty()) {
    out << "confirmation: none (no evaluated configuration was predicted feasible and greener)\n";
    return 0;
  }
  const std::string metric = j["metric"].get<std::string>(), objective = j["objective"].get<std::string>();
  const std::string unit = j["objective_unit"].get<std::string>() + (j["estimated"].get<bool>() ? " (estimated)" : "");
  out << "confirmation (fresh interleaved runs only; one-sided Welch tests; each candidate has planned pairs and a share of alpha):\n";
  for (const auto& c : j["candidates"]) {
    const json& m = c["means"];
    out << fmt::format("  configuration {} ({}): {} candidate / {} original run(s)", c["configuration"].get<long long>(),
                       hp_text(c["hyperparameters"]), c["runs"]["candidate"].get<long long>(),
                       c["runs"]["original"].get<long long>());
    if (c["pairs_planned"].is_number())
      out << fmt::format(" of {} planned pairs, alpha share {}", c["pairs_planned"].get<long long>(), num(c["alpha_share"]));
    out << "\n";
    out << fmt::format("    {}: {} vs {}; change {}", metric, num(m["candidate_performance"]), num(m["original_performance"]),
                       interval(c, "performance_change", "performance_change_ci"));
    if (c.contains("margin")) out << fmt::format(", margin {}", num(c["margin"]));
    out << fmt::format("; non-inferiority p = {}\n", num(c["non_inferiority_p"]));
    out << fmt::format("    {}: {} vs {} {}; saving {}; saving p = {}\n", objective, num(m["candidate_objective"]),
                       num(m["original_objective"]), unit, interval(c, "objective_saving", "objective_saving_ci"),
                       num(c["saving_p"]));
    out << fmt::format("    verdict at level {}: {}{}\n", num(c["level"]), c["verdict"].get<std::string>(),
                       c["reason"].get<std::string>().empty() ? "" : " (" + c["reason"].get<std::string>() + ")");
  }
  return 0;
}

}  // namespace greentune::tune
