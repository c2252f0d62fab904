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
#include "huge_pages.hpp"

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
  auto reserve = [](auto& v, std::size_t count) { reserve_in_huge_pages(v, count); };
  reserve(t.model, n), reserve(t.corunner, n), reserve(t.op, n), reserve(t.performance_metric, n), reserve(t.node, n);
  reserve(t.scenario, n), reserve(t.status, n), reserve(t.higher_is_better, n), reserve(t.measures, n);
  reserve(t.hp, n * t.hp_names.size()), reserve(t.hp_present, n * t.hp_names.size());
}

}  // namespace greentune::analysis::detail
