#include "greentune/store/study_store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>

#include <sstream>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/store/export.hpp"
#include "greentune/store/integrity.hpp"
#include "greentune/store/interchange.hpp"
#include "greentune/store/run_records.hpp"

using namespace greentune;
using namespace greentune::store;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/greentune-store-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp");
  return d;
}

// A study with one model, two configurations, three runs (one task each).
void fill(StudyStore& s) {
  Transaction t(s.db());
  s.set_meta("study_id", "abc");
  s.set_meta("name", "unit");
  s.add_model({"m", "external", "acc", true, "echo"});
  ConfigurationRow c0{1, "m", "original", 0, {{"lr", 0.1}, {"epochs", 3}}};
  ConfigurationRow c1{2, "m", "lr", 1, {{"lr", 0.30000000000000004}, {"epochs", 3}}};
  s.add_configuration(c0);
  s.add_configuration(c1);
  for (long long i = 1; i <= 3; ++i) {
    TaskRow task;
    task.id = i;
    task.scenario = i == 3 ? Scenario::parallel : Scenario::single;
    task.corunner = i == 3 ? "m" : "";
    s.add_task(task);
    RunRow r;
    r.id = i;
    r.task_id = i;
    r.configuration_id = i == 2 ? 2 : 1;
    r.model = "m";
    r.scenario = task.scenario;
    r.corunner = task.corunner;
    r.op = i == 2 ? "lr" : "original";
    r.repetition = i == 3 ? 1 : i;
    s.add_run(r);
  }
  t.commit();
}

RunOutcome outcome(long long run_id, const std::string& result_id) {
  RunOutcome o;
  o.run_id = run_id;
  o.result_id = result_id;
  o.status = RunStatus::succeeded;
  o.started_at = "2026-11-26T10:00:00.000Z";
  o.finished_at = "2026-11-26T10:00:05.000Z";
  o.node = "node-a";
  o.duration_s = 5.25;
  o.performance = 0.875;
  o.exit_code = 0;
  o.energy = {{EnergyDomain::cpu_package, 123.5, EnergySource::estimated, 100.25, false, "estimated from CPU time"},
              {EnergyDomain::dram, std::nullopt, EnergySource::unknown, std::nullopt, false, "no DRAM domain"}};
  o.samples = {{0.1, EnergyDomain::cpu_package, 20.5, EnergySource::estimated},
               {0.2, EnergyDomain::cpu_package, 21.5, EnergySource::estimated}};
  o.details = {{"cpu_s", "4.5"}};
  return o;
}

}  // namespace

TEST(StudyStore, CreateRefusesAnExistingFileAndOpenRefusesForeignFiles) {
  std::string dir = temp_dir();
  std::string db = dir + "/s.db";
  { StudyStore s = StudyStore::create(db); }
  EXPECT_THROW(StudyStore::create(db), Error);
  EXPECT_NO_THROW(StudyStore::open(db));
  EXPECT_THROW(StudyStore::open(dir + "/missing.db"), Error);
  {
    Database other(dir + "/other.db", true);
    other.exec("CREATE TABLE x(y)");
  }
  try {
    StudyStore::open(dir + "/other.db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("not a greentune study database"), std::string::npos);
  }
}

// open_checked (the report's one open): a whole study opens and stays usable; a damaged file is
// named damaged as check_database_integrity names it; a whole foreign database says why.
TEST(StudyStore, OpenCheckedOpensOnceAndNamesDamagedOrForeignFiles) {
  std::string dir = temp_dir();
  std::string db = dir + "/s.db";
  {
    StudyStore s = StudyStore::create(db);
    fill(s);
  }
  {
    StudyStore st = open_checked(db);
    EXPECT_EQ(st.meta("name").value_or(""), "unit");
    EXPECT_EQ(load_run_records(st).size(), 3u);
  }
  {
    Database other(dir + "/other.db", true);
    other.exec("CREATE TABLE x(y)");
  }
  auto message = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message([&] { open_checked(dir + "/other.db"); }).find("not a greentune study database"), std::string::npos);
  std::string overwritten = dir + "/overwritten.db";
  { std::ofstream(overwritten) << "name,value\nnot,a database\n"; }
  std::string m = message([&] { open_checked(overwritten); });
  EXPECT_EQ(m.rfind(overwritten + ": damaged database (SQLite: ", 0), 0u) << m;
  EXPECT_EQ(m, message([&] { check_database_integrity(overwritten); }));
  EXPECT_NE(message([&] { open_checked(dir + "/missing.db"); }).find("no study database at"), std::string::npos);
}

TEST(StudyStore, LifecycleAndIdempotentOutcomes) {
  std::string db = temp_dir() + "/s.db";
  StudyStore s = StudyStore::create(db);
  fill(s);
  EXPECT_EQ(s.counts().pending, 3);
  s.mark_running(1, "node-a", "2026-11-26T10:00:00.000Z");
  s.mark_running(2, "node-a", "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(s.counts().running, 2);
  EXPECT_EQ(s.reset_in_flight(), 2);
  EXPECT_EQ(s.counts().pending, 3);
  EXPECT_EQ(s.run(1)->attempts, 1);

  EXPECT_EQ(s.store_outcome(outcome(1, "r1")), StoreResult::stored);
  EXPECT_EQ(s.store_outcome(outcome(1, "r1")), StoreResult::unchanged);
  EXPECT_EQ(s.store_outcome(outcome(1, "other")), StoreResult::superseded);
  EXPECT_EQ(s.samples_of(1).size(), 2u);
  EXPECT_EQ(s.energy_of(1).size(), 2u);
  EXPECT_EQ(s.counts().succeeded, 1);
  EXPECT_EQ(s.run(1)->result_id, "r1");

  RunOutcome bad = outcome(2, "r2");
  bad.status = RunStatus::running;
  EXPECT_THROW(s.store_outcome(bad), Error);
  EXPECT_THROW(s.store_outcome(outcome(99, "x")), Error);
}

TEST(RunRecords, LoadGivesFullConfigurationsExactValuesAndMissingAsNullopt) {
  std::string db = temp_dir() + "/s.db";
  {
    StudyStore s = StudyStore::create(db);
    fill(s);
    s.store_outcome(outcome(2, "r2"));
    RunOutcome failed = outcome(3, "r3");
    failed.status = RunStatus::failed;
    failed.reason = "exit code 1";
    failed.performance.reset();
    s.store_outcome(failed);
    s.set_environment("node-a", {{"cpu_model", "Test CPU"}, {"cpu_cores", "2"}, {"hostname", "node-a"}});
  }
  auto recs = load_run_records(db);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].status, RunStatus::pending);
  EXPECT_FALSE(recs[0].reading(EnergyDomain::cpu_package).joules.has_value());
  const RunRecord& r = recs[1];
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.op, "lr");
  EXPECT_EQ(r.scenario, Scenario::single);
  double lr = r.hp.at("lr");
  double expected = 0.30000000000000004;
  EXPECT_EQ(std::memcmp(&lr, &expected, sizeof lr), 0);
  EXPECT_EQ(r.hp.at("epochs"), 3);
  ASSERT_TRUE(r.reading(EnergyDomain::cpu_package).joules.has_value());
  EXPECT_EQ(*r.reading(EnergyDomain::cpu_package).joules, 123.5);
  EXPECT_FALSE(r.reading(EnergyDomain::dram).joules.has_value());
  EXPECT_FALSE(r.reading(EnergyDomain::gpu).joules.has_value());
  EXPECT_EQ(*r.duration_s, 5.25);
  EXPECT_EQ(*r.performance, 0.875);
  EXPECT_EQ(r.node, "node-a");
  EXPECT_EQ(r.reading(EnergyDomain::cpu_package).source, EnergySource::estimated);
  EXPECT_EQ(r.extra.count("cpu_package_source"), 0u);
  EXPECT_EQ(r.extra.at("cpu_package_attributed_j"), "100.25");
  EXPECT_EQ(r.extra.at("cpu_s"), "4.5");
  EXPECT_EQ(r.extra.at("run_id"), "2");
  EXPECT_EQ(recs[2].status, RunStatus::failed);
  EXPECT_EQ(recs[2].scenario, Scenario::parallel);
  EXPECT_EQ(recs[2].corunner, "m");
  EXPECT_EQ(recs[2].extra.at("status_reason"), "exit code 1");
  EXPECT_FALSE(recs[2].performance.has_value());

  auto env = load_environment(db);
  EXPECT_EQ(env.at("cpu_model"), "Test CPU");
  EXPECT_EQ(env.at("study.name"), "unit");
  EXPECT_EQ(env.count("nodes"), 0u);

  auto series = load_power_series(db, 2);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[1].watts, 21.5);
  EXPECT_EQ(series[0].domain, greentune::EnergyDomain::cpu_package);
  EXPECT_TRUE(load_power_series(db, 1).empty());
  EXPECT_EQ(load_all_power_series(db).size(), 2u);
}

// Power samples come back typed; text that is not a domain's spelling (a hand-edited database)
// is an input error naming the database and the run, from both readers.
TEST(RunRecords, PowerSampleWithUnknownDomainIsAnInputErrorNamingTheRun) {
  std::string db = temp_dir() + "/s.db";
  {
    StudyStore s = StudyStore::create(db);
    fill(s);
    s.store_outcome(outcome(2, "r2"));
    ASSERT_EQ(load_all_power_series(db).at(2).front().source, outcome(2, "r2").samples.front().source);
    s.db().exec("UPDATE power_samples SET domain = 'psys' WHERE rowid = (SELECT max(rowid) FROM power_samples)");
  }
  for (int reader = 0; reader < 2; ++reader) {
    try {
      if (reader == 0) load_all_power_series(db);
      else load_power_series(db, 2);
      FAIL() << "no error from reader " << reader;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::input);
      EXPECT_NE(std::string(e.what()).find(db + ": run 2: sample domain: unknown energy domain 'psys'"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(RunRecords, FlaggedReadingsAreNotNumbers) {
  std::string db = temp_dir() + "/s.db";
  {
    StudyStore s = StudyStore::create(db);
    fill(s);
    RunOutcome o = outcome(1, "r");
    o.energy[0].flagged = true;
    s.store_outcome(o);
  }
  auto recs = load_run_records(db);
  EXPECT_FALSE(recs[0].reading(EnergyDomain::cpu_package).joules.has_value());
  EXPECT_EQ(recs[0].extra.at("cpu_package_flagged"), "1");
}

TEST(RunRecords, PerformanceDirectionComesFromTheModelsTable) {
  std::string db = temp_dir() + "/s.db";
  {
    StudyStore s = StudyStore::create(db);
    fill(s);
    s.add_model({"m", "external", "val_loss", false, "echo"});  // replaces m's row: lower is better
    s.store_outcome(outcome(1, "r1"));
  }
  auto recs = load_run_records(db);
  ASSERT_EQ(recs.size(), 3u);
  for (const auto& r : recs) {  // every run, pending ones included
    EXPECT_EQ(r.performance_metric, "val_loss");
    EXPECT_FALSE(r.higher_is_better);
  }
  // Export: the CSV column, read back as it was; JSON fields.
  std::ostringstream csv;
  export_runs(db, "csv", csv);
  EXPECT_NE(csv.str().find(",performance_metric,higher_is_better,"), std::string::npos) << csv.str();
  std::istringstream in(csv.str());
  for (const auto& r : read_runs_csv(in, "export.csv")) {
    EXPECT_EQ(r.performance_metric, "val_loss");
    EXPECT_FALSE(r.higher_is_better);
  }
  std::ostringstream js;
  export_runs(db, "json", js);
  auto j = nlohmann::json::parse(js.str());
  ASSERT_EQ(j.at("runs").size(), 3u);
  EXPECT_EQ(j["runs"][0]["performance_metric"], "val_loss");
  EXPECT_EQ(j["runs"][0]["higher_is_better"], false);

  // A model missing from the models table keeps the default (higher is better, unnamed).
  {
    StudyStore s = StudyStore::open(db);
    s.db().exec("DELETE FROM models");
  }
  for (const auto& r : load_run_records(db)) {
    EXPECT_TRUE(r.higher_is_better);
    EXPECT_EQ(r.performance_metric, "");
  }
}

// A run that tune stopped early: stored as `pruned` with the energy and time it used, counted
// as done but neither succeeded nor failed, exported and read back with its status.
TEST(StudyStore, PrunedRunsAreStoredCountedAndExportedAsPruned) {
  std::string db = temp_dir() + "/s.db";
  {
    StudyStore s = StudyStore::create(db);
    fill(s);
    s.store_outcome(outcome(1, "r1"));
    RunOutcome p = outcome(2, "r2");
    p.status = RunStatus::pruned;
    p.reason = "pruned at epoch 2 of 3";
    p.performance = 0.5;  // the metric at the epoch it reached
    p.details["progress"] = R"([{"epoch":1,"metric":0.4},{"epoch":2,"metric":0.5}])";
    EXPECT_EQ(s.store_outcome(p), StoreResult::stored);
    EXPECT_EQ(s.store_outcome(p), StoreResult::unchanged);  // idempotent like any final status
    RunOutcome f = outcome(3, "r3");
    f.status = RunStatus::failed;
    s.store_outcome(f);
    const StatusCounts c = s.counts();
    EXPECT_EQ(c.pruned, 1);
    EXPECT_EQ(c.succeeded, 1);
    EXPECT_EQ(c.failed, 1);
    EXPECT_EQ(c.done(), 3);
    EXPECT_EQ(s.run(2)->status, RunStatus::pruned);
    EXPECT_EQ(s.run(2)->reason, "pruned at epoch 2 of 3");
    EXPECT_EQ(*s.energy_of(2).front().joules, 123.5);  // the energy it used is kept
    EXPECT_EQ(s.details_of(2).at("progress"), R"([{"epoch":1,"metric":0.4},{"epoch":2,"metric":0.5}])");
    // Resume never sends a pruned run back to pending.
    EXPECT_EQ(s.reset_in_flight(), 0);
    EXPECT_EQ(s.run(2)->status, RunStatus::pruned);
  }
  auto recs = load_run_records(db);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].status, RunStatus::pruned);

  std::ostringstream csv;
  export_runs(db, "csv", csv);
  std::istringstream in(csv.str());
  auto back = read_runs_csv(in, "export.csv");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].status, RunStatus::succeeded);
  EXPECT_EQ(back[1].status, RunStatus::pruned);
  EXPECT_EQ(back[2].status, RunStatus::failed);
  EXPECT_EQ(*back[1].reading(EnergyDomain::cpu_package).joules, 123.5);

  std::ostringstream js;
  export_runs(db, "json", js);
  auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j["runs"][1]["status"], "pruned");

  std::ostringstream only;
  export_runs(db, "csv", only, "pruned");
  std::istringstream only_in(only.str());
  auto pruned = read_runs_csv(only_in, "pruned.csv");
  ASSERT_EQ(pruned.size(), 1u);
  EXPECT_EQ(pruned[0].status, RunStatus::pruned);
}
