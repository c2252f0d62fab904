#include "greentune/store/study_store.hpp"

#include <sys/stat.h>
#include <time.h>

#include <chrono>
#include <cstdio>

#include "greentune/core/error.hpp"
#include "greentune/core/run_model.hpp"

namespace greentune::store {

namespace {

bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS environment(node TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(node, key));
CREATE TABLE IF NOT EXISTS models(name TEXT PRIMARY KEY, kind TEXT NOT NULL, metric TEXT NOT NULL,
  higher_is_better INTEGER NOT NULL, command TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS configurations(id INTEGER PRIMARY KEY, model TEXT NOT NULL,
  operator TEXT NOT NULL, mutant INTEGER NOT NULL, UNIQUE(model, operator, mutant));
CREATE TABLE IF NOT EXISTS configuration_values(configuration_id INTEGER NOT NULL
  REFERENCES configurations(id), name TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY(configuration_id, name));
CREATE TABLE IF NOT EXISTS tasks(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,
  corunner TEXT NOT NULL DEFAULT '', jobs INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id),
  job INTEGER NOT NULL DEFAULT 1, configuration_id INTEGER NOT NULL REFERENCES configurations(id),
  model TEXT NOT NULL, scenario TEXT NOT NULL, corunner TEXT NOT NULL DEFAULT '',
  operator TEXT NOT NULL, repetition INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', reason TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT, node TEXT,
  duration_s REAL, performance REAL, exit_code INTEGER, result_id TEXT,
  UNIQUE(task_id, job));
CREATE TABLE IF NOT EXISTS run_energy(run_id INTEGER NOT NULL REFERENCES runs(id), domain TEXT NOT NULL,
  joules REAL, source TEXT NOT NULL DEFAULT '', attributed_j REAL, flagged INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '', PRIMARY KEY(run_id, domain));
CREATE TABLE IF NOT EXISTS run_details(run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY(run_id, key));
CREATE TABLE IF NOT EXISTS power_samples(run_id INTEGER NOT NULL REFERENCES runs(id), t_s REAL NOT NULL,
  domain TEXT NOT NULL, watts REAL NOT NULL, source TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS power_samples_run ON power_samples(run_id, t_s);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
)SQL";

// Text read back from the database: one of the spellings of core/run_model.hpp, else an
// input_error naming the database, the row and the column.
std::string where(const std::string& db, const char* table, long long id, const char* column) {
  return db + ": " + table + " " + std::to_string(id) + ": " + column;
}

RunRow read_run(Statement& s, const std::string& db) {
  RunRow r;
  r.id = s.column_int(0);
  r.task_id = s.column_int(1);
  r.job = static_cast<int>(s.column_int(2));
  r.configuration_id = s.column_int(3);
  r.model = s.column_text(4);
  r.scenario = scenario_from(s.column_text(5), where(db, "run", r.id, "scenario"));
  r.corunner = s.column_text(6);
  r.op = s.column_text(7);
  r.repetition = s.column_int(8);
  r.status = run_status_from(s.column_text(9), where(db, "run", r.id, "status"));
  r.reason = s.column_text(10);
  r.attempts = static_cast<int>(s.column_int(11));
  r.started_at = s.column_text(12);
  r.finished_at = s.column_text(13);
  r.node = s.column_text(14);
  r.duration_s = s.column_optional_double(15);
  r.performance = s.column_optional_double(16);
  if (!s.is_null(17)) r.exit_code = s.column_int(17);
  r.result_id = s.column_text(18);
  return r;
}

// A configurations row (id, model, operator, mutant), without its values.
ConfigurationRow read_configuration(Statement& s) {
  return {s.column_int(0), s.column_text(1), s.column_text(2), static_cast<int>(s.column_int(3)), {}};
}

const char* kRunColumns =
    "id, task_id, job, configuration_id, model, scenario, corunner, operator, repetition, status, "
    "reason, attempts, started_at, finished_at, node, duration_s, performance, exit_code, result_id";

}  // namespace

std::string utc_now_iso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

StudyStore::StudyStore(const std::string& path, bool create)
    : path_(path), db_(std::make_unique<Database>(path, create)) {}
StudyStore::StudyStore(StudyStore&&) noexcept = default;
StudyStore::~StudyStore() = default;

StudyStore StudyStore::create(const std::string& path) {
  if (file_exists(path)) throw io_error("database " + path + " already exists (use --resume to continue it)");
  StudyStore s(path, true);
  s.create_schema();
  return s;
}

StudyStore StudyStore::open(const std::string& path) {
  if (!file_exists(path)) throw io_error("no study database at " + path);
  StudyStore s(path, false);
  bool has_meta = false;
  {
    auto st = s.db_->prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
    if (st.step()) has_meta = st.column_int(0) > 0;
  }
  if (!has_meta) throw io_error(path + " is not a greentune study database (no meta table)");
  auto v = s.meta("schema_version");
  if (!v) throw io_error(path + " is not a greentune study database (no schema_version)");
  if (std::stoi(*v) > kSchemaVersion)
    throw io_error(path + " has schema version " + *v + ", newer than this greentune (" +
                   std::to_string(kSchemaVersion) + ")");
  return s;
}

void StudyStore::create_schema() {
  Transaction t(*db_);
  db_->exec(kSchema);
  set_meta("schema_version", std::to_string(kSchemaVersion));
  set_meta("created_at", utc_now_iso());
  t.commit();
}

void StudyStore::set_meta(const std::string& key, const std::string& value) {
  db_->prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value")
      .bind(1, key)
      .bind(2, value)
      .run();
}

std::optional<std::string> StudyStore::meta(const std::string& key) {
  auto s = db_->prepare("SELECT value FROM meta WHERE key=?");
  s.bind(1, key);
  if (s.step()) return s.column_text(0);
  return std::nullopt;
}

std::map<std::string, std::string> StudyStore::all_meta() {
  std::map<std::string, std::string> m;
  auto s = db_->prepare("SELECT key, value FROM meta");
  while (s.step()) m[s.column_text(0)] = s.column_text(1);
  return m;
}

void StudyStore::set_environment(const std::string& node, const std::map<std::string, std::string>& env) {
  auto s = db_->prepare(
      "INSERT INTO environment(node, key, value) VALUES(?, ?, ?) "
      "ON CONFLICT(node, key) DO UPDATE SET value=excluded.value");
  for (const auto& [k, v] : env) {
    s.bind(1, node).bind(2, k).bind(3, v);
    s.run();
  }
}

std::map<std::string, std::map<std::string, std::string>> StudyStore::environments() {
  std::map<std::string, std::map<std::string, std::string>> m;
  auto s = db_->prepare("SELECT node, key, value FROM environment ORDER BY node, key");
  while (s.step()) m[s.column_text(0)][s.column_text(1)] = s.column_text(2);
  return m;
}

void StudyStore::add_model(const ModelRow& m) {
  db_->prepare(
         "INSERT INTO models(name, kind, metric, higher_is_better, command) VALUES(?,?,?,?,?) "
         "ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, metric=excluded.metric, "
         "higher_is_better=excluded.higher_is_better, command=excluded.command")
      .bind(1, m.name)
      .bind(2, m.kind)
      .bind(3, m.metric)
      .bind(4, m.higher_is_better ? 1 : 0)
      .bind(5, m.command)
      .run();
}

std::vector<ModelRow> StudyStore::models() {
  std::vector<ModelRow> out;
  auto s = db_->prepare("SELECT name, kind, metric, higher_is_better, command FROM models ORDER BY name");
  while (s.step())
    out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_int(3) != 0, s.column_text(4)});
  return out;
}

long long StudyStore::add_configuration(const ConfigurationRow& c) {
  auto s = db_->prepare("INSERT INTO configurations(id, model, operator, mutant) VALUES(?,?,?,?)");
  if (c.id > 0) s.bind(1, c.id); else s.bind_null(1);
  s.bind(2, c.model).bind(3, c.op).bind(4, c.mutant).run();
  long long id = db_->last_insert_id();
  auto v = db_->prepare("INSERT INTO configuration_values(configuration_id, name, value) VALUES(?,?,?)");
  for (const auto& [k, val] : c.hp) {
    v.bind(1, id).bind(2, k).bind(3, val);
    v.run();
  }
  return id;
}

std::vector<ConfigurationRow> StudyStore::configurations() {
  std::map<long long, ConfigurationRow> byid;
  {
    auto s = db_->prepare("SELECT id, model, operator, mutant FROM configurations ORDER BY id");
    while (s.step()) byid[s.column_int(0)] = read_configuration(s);
  }
  auto s = db_->prepare("SELECT configuration_id, name, value FROM configuration_values");
  while (s.step()) {
    auto it = byid.find(s.column_int(0));
    if (it != byid.end()) it->second.hp[s.column_text(1)] = s.column_double(2);
  }
  std::vector<ConfigurationRow> out;
  for (auto& [id, c] : byid) out.push_back(std::move(c));
  return out;
}

ConfigurationRow StudyStore::configuration(long long id) {
  auto s = db_->prepare("SELECT id, model, operator, mutant FROM configurations WHERE id=?");
  s.bind(1, id);
  if (!s.step()) throw io_error("database " + path_ + ": no configuration " + std::to_string(id));
  ConfigurationRow c = read_configuration(s);
  auto v = db_->prepare("SELECT name, value FROM configuration_values WHERE configuration_id=?");
  v.bind(1, id);
  while (v.step()) c.hp[v.column_text(0)] = v.column_double(1);
  return c;
}

long long StudyStore::add_task(const TaskRow& t) {
  auto s = db_->prepare("INSERT INTO tasks(id, scenario, corunner, jobs) VALUES(?,?,?,?)");
  if (t.id > 0) s.bind(1, t.id); else s.bind_null(1);
  s.bind(2, to_string(t.scenario)).bind(3, t.corunner).bind(4, t.jobs).run();
  return db_->last_insert_id();
}

long long StudyStore::add_run(const RunRow& r) {
  auto s = db_->prepare(
      "INSERT INTO runs(id, task_id, job, configuration_id, model, scenario, corunner, operator, "
      "repetition) VALUES(?,?,?,?,?,?,?,?,?)");
  if (r.id > 0) s.bind(1, r.id); else s.bind_null(1);
  s.bind(2, r.task_id).bind(3, r.job).bind(4, r.configuration_id).bind(5, r.model).bind(6, to_string(r.scenario))
      .bind(7, r.corunner).bind(8, r.op).bind(9, r.repetition).run();
  return db_->last_insert_id();
}

std::vector<TaskRow> StudyStore::tasks() {
  std::vector<TaskRow> out;
  auto s = db_->prepare("SELECT id, scenario, corunner, jobs FROM tasks ORDER BY id");
  while (s.step()) {
    TaskRow t;
    t.id = s.column_int(0);
    t.scenario = scenario_from(s.column_text(1), where(path_, "task", t.id, "scenario"));
    t.corunner = s.column_text(2);
    t.jobs = static_cast<int>(s.column_int(3));
    out.push_back(t);
  }
  return out;
}

std::vector<RunRow> StudyStore::runs() {
  std::vector<RunRow> out;
  auto s = db_->prepare(std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id");
  while (s.step()) out.push_back(read_run(s, path_));
  return out;
}

std::vector<RunRow> StudyStore::runs_of_task(long long task_id) {
  std::vector<RunRow> out;
  auto s = db_->prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE task_id=? ORDER BY job");
  s.bind(1, task_id);
  while (s.step()) out.push_back(read_run(s, path_));
  return out;
}

std::optional<RunRow> StudyStore::run(long long run_id) {
  auto s = db_->prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id=?");
  s.bind(1, run_id);
  if (s.step()) return read_run(s, path_);
  return std::nullopt;
}

void StudyStore::mark_running(long long run_id, const std::string& node, const std::string& started_at) {
  db_->prepare(
         "UPDATE runs SET status='running', attempts=attempts+1, node=?, started_at=? "
         "WHERE id=? AND status IN ('pending','running')")
      .bind(1, node)
      .bind(2, started_at)
      .bind(3, run_id)
      .run();
}

long long StudyStore::reset_in_flight() {
  db_->prepare("UPDATE runs SET status='pending', reason='interrupted; re-run on resume' WHERE status='running'")
      .run();
  return db_->changes();
}

StoreResult StudyStore::store_outcome(const RunOutcome& o) {
  if (!is_final(o.status))
    throw input_error("run " + std::to_string(o.run_id) + ": '" + to_string(o.status) + "' is not a final status");
  Transaction t(*db_);
  auto cur = run(o.run_id);
  if (!cur) throw input_error("database " + path_ + " has no run " + std::to_string(o.run_id));
  if (is_final(cur->status)) {
    // Same result again: nothing to do. A different execution of a finished run: keep the first.
    return cur->result_id == o.result_id ? StoreResult::unchanged : StoreResult::superseded;
  }
  {
    auto u = db_->prepare(
        "UPDATE runs SET status=?, reason=?, started_at=?, finished_at=?, node=?, duration_s=?, "
        "performance=?, exit_code=?, result_id=?, attempts=max(attempts, 1) WHERE id=?");
    u.bind(1, to_string(o.status)).bind(2, o.reason).bind(3, o.started_at).bind(4, o.finished_at).bind(5, o.node)
        .bind(6, o.duration_s).bind(7, o.performance);
    if (o.exit_code) u.bind(8, *o.exit_code); else u.bind_null(8);
    u.bind(9, o.result_id).bind(10, o.run_id).run();
  }
  for (const char* table : {"run_energy", "run_details", "power_samples"})
    db_->prepare(std::string("DELETE FROM ") + table + " WHERE run_id=?").bind(1, o.run_id).run();
  auto e = db_->prepare(
      "INSERT INTO run_energy(run_id, domain, joules, source, attributed_j, flagged, note) VALUES(?,?,?,?,?,?,?)");
  for (const auto& d : o.energy) {
    e.bind(1, o.run_id).bind(2, to_string(d.domain)).bind(3, d.joules).bind(4, to_string(d.source)).bind(5, d.attributed_j)
        .bind(6, d.flagged ? 1 : 0).bind(7, d.note);
    e.run();
  }
  auto dt = db_->prepare("INSERT INTO run_details(run_id, key, value) VALUES(?,?,?)");
  for (const auto& [k, v] : o.details) {
    dt.bind(1, o.run_id).bind(2, k).bind(3, v);
    dt.run();
  }
  auto ps = db_->prepare("INSERT INTO power_samples(run_id, t_s, domain, watts, source) VALUES(?,?,?,?,?)");
  for (const auto& p : o.samples) {
    ps.bind(1, o.run_id).bind(2, p.t_s).bind(3, to_string(p.domain)).bind(4, p.watts).bind(5, to_string(p.source));
    ps.run();
  }
  t.commit();
  return StoreResult::stored;
}

StatusCounts StudyStore::counts() {
  StatusCounts c;
  auto s = db_->prepare("SELECT status, count(*) FROM runs GROUP BY status");
  while (s.step()) {
    std::string st = s.column_text(0);
    long long n = s.column_int(1);
    c.total += n;
    const auto status = parse_run_status(st);
    if (!status) continue;
    switch (*status) {
      case RunStatus::pending: c.pending = n; break;
      case RunStatus::running: c.running = n; break;
      case RunStatus::succeeded: c.succeeded = n; break;
      case RunStatus::failed: c.failed = n; break;
      case RunStatus::diverged: c.diverged = n; break;
      case RunStatus::timeout: c.timeout = n; break;
      case RunStatus::pruned: c.pruned = n; break;
    }
  }
  return c;
}

std::vector<DomainEnergy> StudyStore::energy_of(long long run_id) {
  std::vector<DomainEnergy> out;
  auto s = db_->prepare(
      "SELECT domain, joules, source, attributed_j, flagged, note FROM run_energy WHERE run_id=? ORDER BY domain");
  s.bind(1, run_id);
  while (s.step()) {
    DomainEnergy d;
    d.domain = energy_domain_from(s.column_text(0), where(path_, "run", run_id, "energy domain"));
    d.joules = s.column_optional_double(1);
    d.source = energy_source_from(s.column_text(2), where(path_, "run", run_id, "energy source"));
    d.attributed_j = s.column_optional_double(3);
    d.flagged = s.column_int(4) != 0;
    d.note = s.column_text(5);
    out.push_back(d);
  }
  return out;
}

std::map<std::string, std::string> StudyStore::details_of(long long run_id) {
  std::map<std::string, std::string> m;
  auto s = db_->prepare("SELECT key, value FROM run_details WHERE run_id=?");
  s.bind(1, run_id);
  while (s.step()) m[s.column_text(0)] = s.column_text(1);
  return m;
}

std::vector<PowerSampleRow> StudyStore::samples_of(long long run_id) {
  std::vector<PowerSampleRow> out;
  auto s = db_->prepare("SELECT t_s, domain, watts, source FROM power_samples WHERE run_id=? ORDER BY t_s, rowid");
  s.bind(1, run_id);
  while (s.step())
    out.push_back({s.column_double(0), energy_domain_from(s.column_text(1), where(path_, "run", run_id, "sample domain")),
                   s.column_double(2), energy_source_from(s.column_text(3), where(path_, "run", run_id, "sample source"))});
  return out;
}

}  // namespace greentune::store
