#pragma once
// Internals of RunTable building (run_table.cpp, run_table_csv.cpp): text -> id, and
// reserving a table's columns.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "greentune/analysis/run_table.hpp"

namespace greentune::analysis::detail {

// Text -> id over a table's text vector (RunTable::text).
class TextIds {
 public:
  explicit TextIds(std::vector<std::string>& text) : text_(text) {
    for (std::size_t i = 0; i < text.size(); ++i) ids_.emplace(keys_.emplace_back(text[i]), static_cast<std::uint32_t>(i));
  }
  std::uint32_t id(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(text_.size());
    text_.emplace_back(s);
    ids_.emplace(keys_.emplace_back(s), id);
    return id;
  }

 private:
  std::vector<std::string>& text_;
  std::deque<std::string> keys_;  // stable storage for the views in ids_
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

inline void reserve_runs(RunTable& t, std::size_t n) {
  t.model.reserve(n), t.corunner.reserve(n), t.op.reserve(n), t.performance_metric.reserve(n), t.node.reserve(n);
  t.scenario.reserve(n), t.status.reserve(n), t.higher_is_better.reserve(n), t.measures.reserve(n);
  t.hp.reserve(n * t.hp_names.size()), t.hp_present.reserve(n * t.hp_names.size());
}

}  // namespace greentune::analysis::detail
