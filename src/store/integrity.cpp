#include "greentune/store/integrity.hpp"

#include <sqlite3.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"

namespace greentune::store {

namespace {

bool has_sqlite_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof(header));
  return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  throw io_error(path + ": damaged database (SQLite: " + what +
                 "); nothing was read from it or changed: restore it from a copy (the runs of a study are also "
                 "in its results/task-*.json files)");
}

}  // namespace

bool looks_like_database(const std::string& path) {
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".db") == 0) return true;
  return has_sqlite_header(path);
}

namespace {

// PRAGMA quick_check on an open connection: the problem SQLite reports, empty when whole.
std::string quick_check(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  std::string problem;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, nullptr) != SQLITE_OK) {
    problem = sqlite3_errmsg(db);
  } else {
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      std::string text = t ? reinterpret_cast<const char*>(t) : "";
      if (text != "ok") problem = text;
    } else if (step != SQLITE_DONE) {
      problem = sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(st);
  return problem;
}

void fail_if_problem(const std::string& path, std::string problem) {
  if (!problem.empty()) {
    for (auto& c : problem)
      if (c == '\n') c = ' ';
    damaged(path, problem);
  }
}

}  // namespace

void check_database_integrity(const std::string& path) {
  if (!file_exists(path)) throw io_error("no study database at " + path);
  if (!has_sqlite_header(path)) damaged(path, "file is not a database (no SQLite header)");
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw io_error("cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 30000);
  std::string problem = quick_check(db);
  sqlite3_close(db);
  fail_if_problem(path, std::move(problem));
}

StudyStore open_checked(const std::string& path) {
  if (!file_exists(path)) throw io_error("no study database at " + path);
  if (!has_sqlite_header(path)) damaged(path, "file is not a database (no SQLite header)");
  std::optional<StudyStore> st;
  try {
    st.emplace(StudyStore::open(path));
  } catch (const Error&) {
    check_database_integrity(path);  // damaged: say so (the same message as before opening it)
    throw;                           // whole: why it is not a study database
  }
  fail_if_problem(path, quick_check(st->db().handle()));
  return std::move(*st);
}

void check_if_database(const std::string& path) {
  if (!path.empty() && file_exists(path) && looks_like_database(path)) check_database_integrity(path);
}

}  // namespace greentune::store
