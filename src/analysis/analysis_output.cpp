// Names of metrics and outcomes, and AnalysisResult as human-readable tables (the JSON
// document is written by json_writer.cpp).
#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <ostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::analysis {

const char* to_string(Metric metric) {
  switch (metric) {
    case Metric::cpu_package_j: return "cpu_package_j";
    case Metric::dram_j: return "dram_j";
    case Metric::gpu_j: return "gpu_j";
    case Metric::total_j: return "total_j";
    case Metric::duration_s: return "duration_s";
    case Metric::performance: return "performance";
  }
  return "?";
}

bool is_energy(Metric metric) {
  return metric == Metric::cpu_package_j || metric == Metric::dram_j || metric == Metric::gpu_j ||
         metric == Metric::total_j;
}

bool higher_is_better(Metric metric, bool performance_higher_is_better) {
  return metric == Metric::performance && performance_higher_is_better;
}

std::string describe(const PerformanceMetric& metric) {
  return (metric.metric.empty() ? std::string("performance") : metric.metric) +
         (metric.higher_is_better ? " (higher is better)" : " (lower is better)");
}

std::string describe(const std::vector<PerformanceMetric>& metrics) {
  std::map<std::pair<std::string, bool>, std::vector<const PerformanceMetric*>> groups;
  for (const auto& m : metrics) groups[{m.metric, !m.higher_is_better}].push_back(&m);
  std::string out;
  for (const auto& [key, models] : groups) {
    out += (out.empty() ? "" : "; ") + describe(*models.front());
    if (groups.size() == 1 && models.size() > 4) {
      out += fmt::format(" for all {} models", models.size());
      continue;
    }
    out += " for ";
    const std::size_t shown = models.size() > 4 ? 3 : models.size();
    for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + models[i]->model;
    if (shown < models.size()) out += fmt::format(" and {} more", models.size() - shown);
  }
  return out;
}

PerformanceMetric AnalysisResult::performance_metric(const std::string& model) const {
  auto it = std::lower_bound(performance_metrics.begin(), performance_metrics.end(), model,
                             [](const PerformanceMetric& m, const std::string& name) { return m.model < name; });
  if (it != performance_metrics.end() && it->model == model) return *it;
  PerformanceMetric unknown;
  unknown.model = model;
  return unknown;
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::win: return "win";
    case Outcome::tie: return "tie";
    case Outcome::loss: return "loss";
  }
  return "?";
}

std::size_t TradeoffGrid::total() const {
  std::size_t n = 0;
  for (const auto& row : counts)
    for (auto c : row) n += c;
  return n;
}

const char* strength_key(stats::StrengthBin bin) {
  switch (bin) {
    case stats::StrengthBin::strong_negative: return "strong_negative";
    case stats::StrengthBin::weak_negative: return "weak_negative";
    case stats::StrengthBin::negligible: return "negligible";
    case stats::StrengthBin::weak_positive: return "weak_positive";
    case stats::StrengthBin::strong_positive: return "strong_positive";
  }
  return "?";
}

namespace {

// fn(t) for t in [0, threads): on this thread alone, or on one thread each.
template <class Fn>
void run_threads(std::size_t threads, const Fn& fn) {
  if (threads <= 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(threads);
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        fn(t);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// A plain-text table written as it is formatted: header plus rows, columns padded to their
// widest cell, so the widths come from a first pass over the rows and the text from a second
// (a million-row table is never held in memory). cells(i, c) fills c with row i's cells.
// Rows are formatted in parallel blocks on `threads` threads and written in order.
template <class Cells>
void write_table(std::ostream& out, const std::vector<std::string>& header, std::size_t rows, const Cells& cells,
                 std::size_t threads) {
  const std::size_t columns = header.size();
  std::vector<std::size_t> width(columns, 0);
  for (std::size_t i = 0; i < columns; ++i) width[i] = header[i].size();
  threads = std::max<std::size_t>(1, std::min<std::size_t>(threads, rows / 20000));
  // Pass 1: the widths, per thread over a share of the rows, then the widest.
  {
    std::vector<std::vector<std::size_t>> part(threads, width);
    auto measure = [&](std::size_t t) {
      std::vector<std::string> c(columns);
      for (std::size_t i = rows * t / threads; i < rows * (t + 1) / threads; ++i) {
        cells(i, c);
        for (std::size_t k = 0; k < columns; ++k) part[t][k] = std::max(part[t][k], c[k].size());
      }
    };
    run_threads(threads, measure);
    for (const auto& p : part)
      for (std::size_t k = 0; k < columns; ++k) width[k] = std::max(width[k], p[k]);
  }
  auto line = [&](std::string& buf, const std::vector<std::string>& c) {
    for (std::size_t k = 0; k < c.size(); ++k) {
      if (k) buf.append(2, ' ');
      buf += c[k];
      if (k + 1 < c.size() && k < columns && width[k] > c[k].size()) buf.append(width[k] - c[k].size(), ' ');
    }
    buf += '\n';
  };
  std::string head;
  line(head, header);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  head.append(total > 2 ? total - 2 : total, '-');
  head += '\n';
  out << head;
  // Pass 2: blocks of rows, each thread formatting its share into its own buffer.
  constexpr std::size_t kBlock = 16384;
  std::vector<std::string> buffers(threads);
  for (std::size_t start = 0; start < rows; start += kBlock * threads) {
    auto format = [&](std::size_t t) {
      std::vector<std::string> c(columns);
      std::string& buf = buffers[t];
      buf.clear();
      const std::size_t from = start + t * kBlock, to = std::min(rows, from + kBlock);
      for (std::size_t i = from; i < to; ++i) {
        cells(i, c);
        line(buf, c);
      }
    };
    run_threads(threads, format);
    for (const auto& buf : buffers) out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
}

std::string num(double v) { return fmt::format("{:.4g}", v); }
std::string pval(double p) { return p < 1e-4 ? fmt::format("{:.2e}", p) : fmt::format("{:.4f}", p); }
std::string coef(double v) { return fmt::format("{:+.3f}", v); }
std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }
std::string mark(bool estimated) { return estimated ? " (est.)" : ""; }
// The performance metric with its direction ("performance (lower is better)"); others plain.
std::string metric_text(Metric metric, bool higher_is_better) {
  if (metric != Metric::performance) return to_string(metric);
  return higher_is_better ? "performance (higher is better)" : "performance (lower is better)";
}

}  // namespace

void write_text(std::ostream& stream, const AnalysisResult& r) {
  const auto& o = r.options;
  const std::size_t threads =
      o.threads > 0 ? static_cast<std::size_t>(o.threads) : std::max(1u, std::thread::hardware_concurrency());
  std::string out;
  auto flush = [&] {
    stream << out;
    out.clear();
  };
  // Writes a table, or `none` when it has no rows.
  auto table = [&](const std::vector<std::string>& header, std::size_t rows, const auto& cells, const char* none) {
    if (rows == 0) {
      out += none;
      return;
    }
    flush();
    write_table(stream, header, rows, cells, threads);
  };
  out += fmt::format("greentune analysis: {} runs, {} used; test {}, alpha {}, negligible |delta| < {}\n",
                     r.runs_total, r.runs_used, stats::to_string(o.test), num(o.alpha), num(o.negligible));
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  if (!r.performance_metrics.empty()) out += "performance: " + describe(r.performance_metrics) + "\n";

  out += "\n== Correlations (RQ1; Spearman rho and Pearson r, two-sided p) ==\n";
  table({"model", "scenario", "corunner", "hyperparameter", "metric", "n", "rho", "p", "r", "p(r)", "strength"},
        r.correlations.size(),
        [&](std::size_t i, std::vector<std::string>& c) {
          const auto& x = r.correlations[i];
          c = {x.model, to_string(x.scenario), or_dash(x.corunner), x.hyperparameter, to_string(x.metric) + mark(x.estimated),
               std::to_string(x.n), x.defined ? coef(x.spearman_rho) : "const", pval(x.spearman_p),
               x.defined ? coef(x.pearson_r) : "const", pval(x.pearson_p),
               x.defined ? stats::to_string(x.strength) : "undefined"};
        },
        "(none: no hyperparameter has mutant runs with measured metrics)\n");

  out += fmt::format("\n== Correlation strength (Spearman rho; |rho| < {} negligible, >= {} strong) ==\n",
                     num(o.strength.weak), num(o.strength.strong));
  table({"scenario", "hyperparameter", "metric", "strong-", "weak-", "negligible", "weak+", "strong+", "undefined"},
        r.strength_summary.size(),
        [&](std::size_t i, std::vector<std::string>& c) {
          const auto& s = r.strength_summary[i];
          c = {to_string(s.scenario), s.hyperparameter, to_string(s.metric)};
          for (auto n : s.counts) c.push_back(std::to_string(n));
          c.push_back(std::to_string(s.undefined));
        },
        "(none)\n");

  out += "\n== Mutants against the original (RQ2; win = lower energy/time, better performance in its metric's "
         "direction) ==\n";
  table({"model", "scenario", "corunner", "hyperparameter", "value", "original", "metric", "n", "mean", "orig.mean", "p",
         "delta", "outcome"},
        r.comparisons.size(),
        [&](std::size_t i, std::vector<std::string>& c) {
          const auto& x = r.comparisons[i];
          c[0] = x.model;
          c[1] = to_string(x.scenario);
          c[2] = or_dash(x.corunner);
          c[3] = x.hyperparameter;
          c[4] = format_exact(x.value);
          c[5] = format_exact(x.original_value);
          c[6] = metric_text(x.metric, x.higher_is_better) + mark(x.estimated);
          c[7] = fmt::format("{}/{}", x.n_mutant, x.n_original);
          c[8] = num(x.mean_mutant);
          c[9] = num(x.mean_original);
          c[10] = pval(x.p);
          c[11] = coef(x.cliffs_delta);
          c[12] = to_string(x.outcome);
        },
        "(none)\n");

  out += "\n== Trade-off grids (mutants counted by energy outcome x performance outcome, summed over models) ==\n";
  if (r.tradeoffs.empty()) out += "(none: needs both an energy metric and performance)\n";
  for (const auto& t : r.tradeoffs) {
    out += fmt::format("\n{} / {} / {}  ({} mutants)\n", to_string(t.scenario), t.hyperparameter, to_string(t.metric), t.total());
    table({"energy \\ performance", "win", "tie", "loss"}, kOutcomes.size(),
          [&](std::size_t i, std::vector<std::string>& c) {
            const auto e = kOutcomes[i];
            c = {to_string(e)};
            for (auto p : kOutcomes)
              c.push_back(std::to_string(t.counts[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)]));
          },
          "");
  }

  out += fmt::format("\n== Greener mutants without performance loss (saving, {}% bootstrap interval) ==\n",
                     num(100 * o.bootstrap_confidence));
  table({"model", "scenario", "corunner", "hyperparameter", "value", "original", "metric", "saving %", "interval",
         "performance"},
        r.greener.size(),
        [&](std::size_t i, std::vector<std::string>& c) {
          const auto& g = r.greener[i];
          c = {g.model, to_string(g.scenario), or_dash(g.corunner), g.hyperparameter, format_exact(g.value),
               format_exact(g.original_value), to_string(g.metric) + mark(g.estimated),
               fmt::format("{:.1f}", g.saving_percent), fmt::format("[{:.1f}, {:.1f}]", g.saving_low, g.saving_high),
               fmt::format("{} ({:+.4g}, {} is better)", to_string(g.performance_outcome), g.performance_change,
                           g.performance_higher_is_better ? "higher" : "lower")};
        },
        "(none)\n");

  if (!r.parallel_correlations.empty() || !r.parallel_energy.empty()) {
    out += "\n== Parallel vs single: correlations (Spearman rho) ==\n";
    table({"model", "corunner", "hyperparameter", "metric", "single", "parallel", "bin single -> parallel", "changed"},
          r.parallel_correlations.size(),
          [&](std::size_t i, std::vector<std::string>& c) {
            const auto& p = r.parallel_correlations[i];
            c = {p.model, or_dash(p.corunner), p.hyperparameter, to_string(p.metric), coef(p.single_rho),
                 coef(p.parallel_rho),
                 fmt::format("{} -> {}", stats::to_string(p.single_strength), stats::to_string(p.parallel_strength)),
                 p.sign_changed ? "sign" : (p.bin_changed ? "bin" : "")};
          },
          "(none)\n");
    out += "\n== Parallel vs single: the same configuration alone and beside a co-runner ==\n";
    table({"model", "corunner", "configuration", "metric", "n", "single", "parallel", "change %", "p"},
          r.parallel_energy.size(),
          [&](std::size_t i, std::vector<std::string>& c) {
            const auto& p = r.parallel_energy[i];
            c = {p.model, or_dash(p.corunner), p.configuration, to_string(p.metric),
                 fmt::format("{}/{}", p.n_single, p.n_parallel), num(p.mean_single), num(p.mean_parallel),
                 fmt::format("{:+.1f}", p.change_percent), pval(p.p)};
          },
          "(none)\n");
  }
  flush();
}

std::string format_text(const AnalysisResult& r) {
  std::ostringstream out;
  write_text(out, r);
  return out.str();
}

}  // namespace greentune::analysis
