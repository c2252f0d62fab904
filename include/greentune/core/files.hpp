#pragma once
// File helpers for study directories.
#include <string>

namespace greentune {

bool file_exists(const std::string& path);
bool is_directory(const std::string& path);
void make_directories(const std::string& path);             // mkdir -p; io_error on failure
std::string read_file(const std::string& path);             // io_error when unreadable
// Writes to a temporary file in the same folder, fsyncs (unless !sync: then the caller makes
// it durable later, e.g. with syncfs), renames over `path`.
void write_file_atomic(const std::string& path, const std::string& content, bool sync = true);
std::string random_id();                                    // 128 random bits, hex
std::string hostname();

}  // namespace greentune
