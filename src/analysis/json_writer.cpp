// The analysis as JSON, written once: write_json streams the document row by row without
// building the tree (a million-run analysis has about a million comparison rows; the tree
// costs seconds and gigabytes), one row per line; to_json parses that same text.
#include <array>
#include <charconv>
#include <cmath>
#include <ostream>
#include <sstream>
#include <string_view>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::analysis {
namespace {

using nlohmann::json;

constexpr std::array<stats::StrengthBin, stats::kStrengthBins> kBins = {
    stats::StrengthBin::strong_negative, stats::StrengthBin::weak_negative, stats::StrengthBin::negligible,
    stats::StrengthBin::weak_positive, stats::StrengthBin::strong_positive};

class Writer {
 public:
  explicit Writer(std::ostream& out) : out_(out) { buf_.reserve(1 << 16); }
  ~Writer() { flush(); }

  void raw(const char* s) { buf_ += s; }
  void raw(const std::string& s) { buf_ += s; }
  void str(std::string_view s) {
    buf_ += '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': buf_ += "\\\""; break;
        case '\\': buf_ += "\\\\"; break;
        case '\n': buf_ += "\\n"; break;
        case '\r': buf_ += "\\r"; break;
        case '\t': buf_ += "\\t"; break;
        case '\b': buf_ += "\\b"; break;
        case '\f': buf_ += "\\f"; break;
        default:
          if (c < 0x20) {
            static const char* hex = "0123456789abcdef";
            buf_ += "\\u00";
            buf_ += hex[c >> 4];
            buf_ += hex[c & 15];
          } else {
            buf_ += ch;
          }
      }
    }
    buf_ += '"';
  }
  // The shortest text that reads back to v (format_exact's), written in place.
  void num(double v) {
    if (!std::isfinite(v)) {
      buf_ += "null";
      return;
    }
    char text[64];
    const auto end = std::to_chars(text, text + sizeof(text), v).ptr;
    buf_.append(text, static_cast<std::size_t>(end - text));
  }
  void num(std::size_t v) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof(text), v).ptr;
    buf_.append(text, static_cast<std::size_t>(end - text));
  }
  void boolean(bool b) { buf_ += b ? "true" : "false"; }

  // "key":
  void key(const char* k, bool first = false) {
    if (!first) buf_ += ',';
    buf_ += '"';
    buf_ += k;
    buf_ += "\":";
  }
  void field(const char* k, std::string_view v, bool first = false) { key(k, first), str(v); }
  void field(const char* k, double v) { key(k), num(v); }
  void field(const char* k, std::size_t v) { key(k), num(v); }
  void field_bool(const char* k, bool v) { key(k), boolean(v); }

  void row_separator(bool first) {
    buf_ += first ? "\n" : ",\n";
    if (buf_.size() > (1 << 16) - 4096) flush();
  }
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  std::ostream& out_;
  std::string buf_;
};

// The small parts of the document (options, input, notes, performance metrics, strength
// summary, trade-off grids) as trees; the row arrays are streamed.
json head_json(const AnalysisResult& r) {
  json out;
  const auto& o = r.options;
  out["options"] = {{"test", stats::to_string(o.test)},
                    {"alpha", o.alpha},
                    {"negligible", o.negligible},
                    {"strength_thresholds", {{"weak", o.strength.weak}, {"strong", o.strength.strong}}},
                    {"bootstrap", {{"resamples", o.bootstrap_resamples},
                                   {"confidence", o.bootstrap_confidence},
                                   {"seed", o.bootstrap_seed}}},
                    {"include_estimated", o.include_estimated}};
  out["input"] = {{"runs", r.runs_total},
                  {"used", r.runs_used},
                  {"not_succeeded", r.runs_not_succeeded},
                  {"estimated_values", r.estimated_values}};
  // Only inputs with pruned runs (exports of tune runs) have the key, so study outputs keep their bytes.
  if (r.runs_pruned > 0) out["input"]["pruned"] = r.runs_pruned;
  out["notes"] = r.notes;
  json perf = json::array();
  for (const auto& m : r.performance_metrics)
    perf.push_back({{"model", m.model}, {"metric", m.metric}, {"higher_is_better", m.higher_is_better}});
  out["performance_metrics"] = std::move(perf);

  json summary = json::array();
  for (const auto& s : r.strength_summary) {
    json counts = json::object();
    for (auto b : kBins) counts[strength_key(b)] = s.counts[static_cast<std::size_t>(b)];
    summary.push_back({{"scenario", to_string(s.scenario)},
                       {"hyperparameter", s.hyperparameter},
                       {"metric", to_string(s.metric)},
                       {"counts", counts},
                       {"undefined", s.undefined}});
  }
  out["strength_summary"] = std::move(summary);

  json trade = json::array();
  for (const auto& t : r.tradeoffs) {
    json counts = json::object();
    for (auto e : kOutcomes) {
      json row = json::object();
      for (auto p : kOutcomes) row[to_string(p)] = t.counts[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)];
      counts[to_string(e)] = row;
    }
    trade.push_back({{"scenario", to_string(t.scenario)},
                     {"hyperparameter", t.hyperparameter},
                     {"metric", to_string(t.metric)},
                     {"counts", counts},  // counts[energy outcome][performance outcome]
                     {"total", t.total()}});
  }
  out["tradeoffs"] = std::move(trade);
  return out;
}

template <class Rows, class Fn>
void array(Writer& w, const char* name, const Rows& rows, Fn&& fn, bool first_key = false) {
  w.key(name, first_key);
  w.raw("[");
  bool first = true;
  for (const auto& r : rows) {
    w.row_separator(first);
    first = false;
    w.raw("{");
    fn(r);
    w.raw("}");
  }
  w.raw(first ? "]" : "\n]");
}

}  // namespace

void write_json(std::ostream& out, const AnalysisResult& r) {
  Writer w(out);
  const json head = head_json(r);
  w.raw("{");
  w.key("options", true);
  w.raw(head.at("options").dump());
  w.key("input");
  w.raw(head.at("input").dump());
  w.key("notes");
  w.raw(head.at("notes").dump());
  w.key("performance_metrics");
  w.raw(head.at("performance_metrics").dump());
  array(w, "correlations", r.correlations, [&](const CorrelationRow& c) {
    w.field("model", c.model, true);
    w.field("scenario", to_string(c.scenario));
    w.field("corunner", c.corunner);
    w.field("hyperparameter", c.hyperparameter);
    w.field("metric", to_string(c.metric));
    w.field("n", c.n);
    w.field("spearman_rho", c.spearman_rho);
    w.field("spearman_p", c.spearman_p);
    w.field("pearson_r", c.pearson_r);
    w.field("pearson_p", c.pearson_p);
    w.field_bool("defined", c.defined);
    w.field("strength", strength_key(c.strength));
    w.field_bool("estimated", c.estimated);
  });
  w.key("strength_summary");
  w.raw(head.at("strength_summary").dump());
  array(w, "comparisons", r.comparisons, [&](const ComparisonRow& c) {
    w.field("model", c.model, true);
    w.field("scenario", to_string(c.scenario));
    w.field("corunner", c.corunner);
    w.field("hyperparameter", c.hyperparameter);
    w.field("value", c.value);
    w.field("original_value", c.original_value);
    w.field("metric", to_string(c.metric));
    w.field("test", c.test);
    w.field("method", c.method);
    w.field("p", c.p);
    w.field("cliffs_delta", c.cliffs_delta);
    w.field("outcome", to_string(c.outcome));
    w.field_bool("higher_is_better", c.higher_is_better);
    w.field("n_mutant", c.n_mutant);
    w.field("n_original", c.n_original);
    w.field("mean_mutant", c.mean_mutant);
    w.field("mean_original", c.mean_original);
    w.field_bool("estimated", c.estimated);
  });
  w.key("tradeoffs");
  w.raw(head.at("tradeoffs").dump());
  array(w, "greener", r.greener, [&](const GreenerRow& g) {
    w.field("model", g.model, true);
    w.field("scenario", to_string(g.scenario));
    w.field("corunner", g.corunner);
    w.field("hyperparameter", g.hyperparameter);
    w.field("value", g.value);
    w.field("original_value", g.original_value);
    w.field("metric", to_string(g.metric));
    w.field("saving_percent", g.saving_percent);
    w.field("saving_ci_low", g.saving_low);
    w.field("saving_ci_high", g.saving_high);
    w.field("confidence", r.options.bootstrap_confidence);
    w.field("p", g.p);
    w.field("cliffs_delta", g.cliffs_delta);
    w.field("performance_outcome", to_string(g.performance_outcome));
    w.field("performance_change", g.performance_change);
    w.field_bool("performance_higher_is_better", g.performance_higher_is_better);
    w.field_bool("estimated", g.estimated);
  });
  w.key("parallel_vs_single");
  w.raw("{");
  array(
      w, "correlations", r.parallel_correlations,
      [&](const ParallelCorrelationRow& p) {
        w.field("model", p.model, true);
        w.field("corunner", p.corunner);
        w.field("hyperparameter", p.hyperparameter);
        w.field("metric", to_string(p.metric));
        w.field("single_rho", p.single_rho);
        w.field("single_p", p.single_p);
        w.field("parallel_rho", p.parallel_rho);
        w.field("parallel_p", p.parallel_p);
        w.field("single_strength", strength_key(p.single_strength));
        w.field("parallel_strength", strength_key(p.parallel_strength));
        w.field_bool("bin_changed", p.bin_changed);
        w.field_bool("sign_changed", p.sign_changed);
      },
      true);
  array(w, "energy", r.parallel_energy, [&](const ParallelEnergyRow& p) {
    w.field("model", p.model, true);
    w.field("corunner", p.corunner);
    w.field("configuration", p.configuration);
    w.field("hyperparameter", p.hyperparameter);
    w.field("value", p.value);
    w.field("metric", to_string(p.metric));
    w.field("n_single", p.n_single);
    w.field("n_parallel", p.n_parallel);
    w.field("mean_single", p.mean_single);
    w.field("mean_parallel", p.mean_parallel);
    w.field("change_percent", p.change_percent);
    w.field("p", p.p);
  });
  w.raw("}}\n");
}

nlohmann::json to_json(const AnalysisResult& result) {
  std::ostringstream text;
  write_json(text, result);
  return json::parse(text.str());
}

}  // namespace greentune::analysis
