#pragma once
// Reading values out of a parsed TOML document with one-line errors "FILE:LINE: KEY: what is
// wrong": shared by study files (study_definition.cpp) and tune files (tune/).
#include <cmath>
#include <cstdint>
#include <set>
#include <string>

#include <toml++/toml.h>

#include "greentune/core/error.hpp"

namespace greentune::study {

class TomlReader {
 public:
  explicit TomlReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& key, const std::string& what) const {
    std::string where = source_;
    if (node && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
    throw input_error(where + ": " + key + ": " + what);
  }

  void check_keys(const toml::table& t, const std::string& prefix, const std::set<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      std::string key(k.str());
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(&v, prefix + key, "unknown key (allowed here: " + list + ")");
      }
    }
  }

  std::string str(const toml::node& n, const std::string& key) const {
    if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
    fail(&n, key, "expected a string");
  }
  double number(const toml::node& n, const std::string& key) const {
    if (n.is_integer()) return static_cast<double>(*n.value<int64_t>());
    if (n.is_floating_point()) {
      double v = *n.value<double>();
      if (!std::isfinite(v)) fail(&n, key, "expected a finite number");
      return v;
    }
    fail(&n, key, "expected a number");
  }
  long long integer(const toml::node& n, const std::string& key, long long lo, long long hi) const {
    if (!n.is_integer()) fail(&n, key, "expected an integer");
    long long v = *n.value<int64_t>();
    if (v < lo || v > hi)
      fail(&n, key, std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  bool boolean(const toml::node& n, const std::string& key) const {
    if (!n.is_boolean()) fail(&n, key, "expected true or false");
    return *n.value<bool>();
  }
  const toml::table& table(const toml::node& n, const std::string& key) const {
    if (!n.is_table()) fail(&n, key, "expected a table");
    return *n.as_table();
  }
  const toml::array& array(const toml::node& n, const std::string& key) const {
    if (!n.is_array()) fail(&n, key, "expected an array");
    return *n.as_array();
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

}  // namespace greentune::study
