#pragma once
// Is a study database whole? SQLite's own check, run before a command reads or continues a
// study, so that a truncated or overwritten study.db is said to be damaged in one line
// instead of failing later or being reported as if its partial data were whole.
#include <string>

#include "greentune/store/study_store.hpp"

namespace greentune::store {

// True when the file starts with SQLite's header or its name ends in ".db" (what `analyze`
// and `report` treat as a database rather than a runs CSV).
bool looks_like_database(const std::string& path);

// Opens `path` read-only and runs PRAGMA quick_check (every page, index and constraint;
// O(size)). Throws io_error "PATH: damaged database (SQLite: ...); ..." when the file is not
// a whole SQLite database. Writes nothing.
void check_database_integrity(const std::string& path);

// For commands that take a database or a runs CSV: checks `path` when it looks like a
// database (nothing to do for an empty path or a CSV).
void check_if_database(const std::string& path);

// The one open of `greentune report`: opens `path` as a study database and runs the same
// PRAGMA quick_check on that connection, so the integrity check, the tune-run probe and the
// loaders share one open database. Throws what check_database_integrity throws for a damaged
// file (also when opening it fails because it is damaged), else what StudyStore::open throws.
StudyStore open_checked(const std::string& path);

}  // namespace greentune::store
