#pragma once
// Errors that reach the user. Library code throws; only main() maps them to exit codes.
#include <stdexcept>
#include <string>

namespace greentune {

enum class ErrorKind {
  usage,     // bad command line (exit 2)
  input,     // bad config / study file / CSV / hyperparameter value (exit 2)
  data,      // missing or corrupt dataset (exit 3)
  io,        // files, database (exit 4)
  meter,     // energy meter unusable (exit 5)
  runtime,   // anything else that went wrong at run time (exit 1)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }
  int exit_code() const noexcept { return exit_code_for(kind_); }

  static int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
      case ErrorKind::usage: return 2;
      case ErrorKind::input: return 2;
      case ErrorKind::data: return 3;
      case ErrorKind::io: return 4;
      case ErrorKind::meter: return 5;
      case ErrorKind::runtime: return 1;
    }
    return 1;
  }

 private:
  ErrorKind kind_;
};

inline Error usage_error(const std::string& m) { return Error(ErrorKind::usage, m); }
inline Error input_error(const std::string& m) { return Error(ErrorKind::input, m); }
inline Error data_error(const std::string& m) { return Error(ErrorKind::data, m); }
inline Error io_error(const std::string& m) { return Error(ErrorKind::io, m); }
inline Error meter_error(const std::string& m) { return Error(ErrorKind::meter, m); }
inline Error runtime_error(const std::string& m) { return Error(ErrorKind::runtime, m); }

}  // namespace greentune
