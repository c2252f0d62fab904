#include "greentune/analysis/analyze_command.hpp"

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <iostream>
#include <ostream>

#include "greentune/analysis/load_runs.hpp"
#include "greentune/analysis/run_table.hpp"
#include "greentune/core/error.hpp"

namespace greentune::analysis {

int run_analyze(const AnalyzeRequest& request, std::ostream& out) {
  if (request.database.empty() == request.runs_csv.empty())
    throw usage_error("analyze needs exactly one input: a study database (DB) or --runs FILE.csv");
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  const auto t0 = clock::now();
  const std::clock_t c0 = std::clock();
  const bool csv = !request.runs_csv.empty();
  auto loaded = load_run_table(csv ? request.runs_csv : request.database, csv);
  select_nodes(loaded, request.options.nodes, &std::cerr);
  const auto t1 = clock::now();
  const std::clock_t c1 = std::clock();
  const auto result = analyze(loaded.table, request.options, loaded.origins);
  const auto t2 = clock::now();
  const std::clock_t c2 = std::clock();
  if (request.json)
    write_json(out, result);
  else
    write_text(out, result);
  out.flush();
  if (std::getenv("GREENTUNE_ANALYZE_TIMING")) {
    auto cpu = [](std::clock_t a, std::clock_t b) { return static_cast<double>(b - a) / CLOCKS_PER_SEC; };
    std::cerr << "timing: " << loaded.table.size() << " runs; wall/cpu seconds: load " << seconds(t0, t1) << "/"
              << cpu(c0, c1) << ", analyze " << seconds(t1, t2) << "/" << cpu(c1, c2) << ", output "
              << seconds(t2, clock::now()) << "/" << cpu(c2, std::clock()) << "\n";
  }
  return 0;
}

}  // namespace greentune::analysis
