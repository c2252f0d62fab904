#pragma once
// `greentune report` and `greentune analyze` on a tune run. A tune directory is a study directory
// whose runs' operator column holds tune's phases (original | search | confirm), not mutation
// operators, so the study analysis (each operator's mutants against the original) does not apply:
// these commands dispatch here instead when the database is a tune run's.
#include <iosfwd>
#include <string>

namespace greentune::store {
class StudyStore;
}

namespace greentune::tune {

// Whether `path` (a study.db, or a directory holding one) is a tune run's database (meta kind = tune).
// False for anything else, including files that are not databases (the caller reports those).
bool is_tune_database(const std::string& path);

// `greentune report` on a tune run: the tune report (report/tune_report.hpp) into out_dir; prints
// where the files are. Works on a finished, running or interrupted tune run (then marked provisional).
// `st` is the run's database (`path` or its study.db), opened and checked once by the caller
// (store/integrity.hpp open_checked).
int report_tune(const std::string& path, store::StudyStore& st, const std::string& out_dir, const std::string& title,
                std::ostream& out);

// `greentune analyze` on a tune run: the tune summary and, for every candidate, its confirmation
// against the original (runs, means, differences with 95% intervals, one-sided p-values, verdict);
// with json, the summary object (as `greentune tune --json`).
int analyze_tune(const std::string& path, bool json, std::ostream& out);

}  // namespace greentune::tune
