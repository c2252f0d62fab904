#pragma once
// A thin RAII wrapper over SQLite: a connection and prepared statements. Errors become
// greentune::io_error naming the database file and the failing statement.
#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace greentune::store {

class Statement;

class Database {
 public:
  // Opens (creating when `create`) the file; WAL journal, 30 s busy timeout, foreign keys.
  Database(const std::string& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql);
  long long last_insert_id() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt, std::string sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding (1-based like SQLite); returns *this for chaining.
  Statement& bind(int index, long long value);
  Statement& bind(int index, int value) { return bind(index, static_cast<long long>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind(int index, const std::optional<double>& value);
  Statement& bind_null(int index);

  bool step();   // true while a row is available
  void run();    // steps to completion (for statements without rows)
  void reset();  // for re-use; keeps no bindings

  bool is_null(int col) const;
  long long column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  std::optional<double> column_optional_double(int col) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
};

}  // namespace greentune::store
