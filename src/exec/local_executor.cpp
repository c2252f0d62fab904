#include "greentune/exec/local_executor.hpp"

#include <iostream>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/exec/results.hpp"
#include "greentune/exec/session.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/store/integrity.hpp"

namespace greentune::exec {

using namespace greentune::study;

StudyDefinition study_definition_for(const StudyRunOptions& options) {
  if (options.study_file.empty()) return parse_study(default_study_text(), "<embedded default study>", "");
  return load_study_file(options.study_file);
}

std::string default_study_dir(const StudyDefinition& study) { return timestamped_dir_name("greentune-", study.name); }

int merge_result_files(const LoadedStudy& study, store::StudyStore& st, std::vector<std::string>* bad_files) {
  CollectReport rep = merge_results(study.paths, st, /*unfinished_only=*/true);
  if (bad_files) *bad_files = rep.bad_files;
  return rep.stored;
}

int run_study(const StudyRunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& err = options.err ? *options.err : std::cerr;
  LoadedStudy study;
  std::optional<store::StudyStore> st;
  FileLock lock;
  const StudyOverrides given{options.meter_override, options.cooldown_s};
  if (!options.resume.empty()) {
    if (options.dry_run) throw usage_error("--dry-run and --resume cannot be combined");
    if (!options.study_file.empty()) throw usage_error("--resume continues a study: give no study file with it");
    StudyPaths paths = StudyPaths::from_path(options.resume);
    // One runner per study: refused before anything is read or written.
    lock = lock_study(paths.dir, "greentune study --resume");
    store::check_database_integrity(paths.db());
    study = load_study_directory(paths);
    st.emplace(store::StudyStore::open(study.paths.db()));
    std::vector<std::string> bad;
    int merged = merge_result_files(study, *st, &bad);
    for (const auto& b : bad) err << "greentune: warning: result file skipped (its task runs again): " << b << "\n";
    long long reset = st->reset_in_flight();
    out << "resuming study '" << study.definition.name << "' in " << study.paths.dir << ": " << merged
        << " run(s) recovered from result files, " << reset << " interrupted run(s) to re-run\n";
    // Overrides given now join those recorded when the study started; all apply.
    settle_overrides(*st, study.definition, given);
  } else {
    StudyDefinition def = study_definition_for(options);
    apply_overrides(def, given);  // to the parsed definition; DIR/study.toml stays as given
    if (options.dry_run) {
      Plan plan = make_plan(def);
      out << describe_plan(def, plan);
      return 0;
    }
    std::string dir = options.out_dir.empty() ? default_study_dir(def) : options.out_dir;
    make_directories(dir);
    lock = lock_study(dir, "greentune study");
    study = create_study_directory(def, dir);
    st.emplace(store::StudyStore::open(study.paths.db()));
    record_overrides(*st, given);
    out << "study '" << def.name << "': " << study.plan.runs.size() << " runs in " << study.plan.tasks.size()
        << " tasks; database " << study.paths.db() << "\n";
  }
  if (!given.empty()) out << "overrides: " << describe_overrides(recorded_overrides(*st)) << " (recorded in the database)\n";
  const StudyDefinition& def = study.definition;
  st->set_meta("executor", "local");
  std::vector<long long> todo;
  for (const auto& t : study.plan.tasks)
    for (const auto& r : st->runs_of_task(t.id))
      if (!is_final(r.status)) {
        todo.push_back(t.id);
        break;
      }

  SessionOptions so;
  so.greentune_bin = options.greentune_bin;
  so.resume_command = "greentune study --resume " + study.paths.dir;
  so.progress = options.progress;
  so.err = options.err;
  Session session(study, &*st, so);
  if (session.run(todo) == BatchEnd::cancelled) return 130;
  st->set_meta("finished_at", store::utc_now_iso());
  store::StatusCounts c = st->counts();
  out << "study '" << def.name << "' done: " << c.succeeded << " succeeded, " << c.failed << " failed, "
      << c.diverged << " diverged, " << c.timeout << " timed out (of " << c.total << " runs)\n";
  out << "database: " << study.paths.db() << "\n";
  out << "report:   greentune report " << study.paths.db() << " -o " << study.paths.dir << "/report"
      << "  (then open " << study.paths.dir << "/report/report.html)\n";
  return 0;
}

}  // namespace greentune::exec
