#pragma once
// Live progress of a run: the per-epoch reports a run writes on its standard output while it
// trains, read as the output grows (docs/tune.md, "Pruning"). A line is a report when it is
//   - the report protocol: a JSON object {"greentune": "report", "epoch": k, "metric": x}
//     (what greentune.report writes; built-in models write the same line per epoch), or
//   - matched by the model's progress_regex (named groups `epoch` and `metric`), when given.
// Epochs are positive integers; a report for an epoch not after the last one replaces nothing
// and is skipped (a curve only moves forward); a non-finite or unparsable metric is skipped
// (divergence is judged from the whole output, as before). What each point cost (energy, time)
// is added by the runner from its meter.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace greentune::exec {

struct ProgressReport {
  int epoch = 0;
  double metric = 0;
};

// A report with what the run had used when it came: the meter's energy since the window began
// (integrated from its power samples, energy::MeterSession::energy_so_far) and the time.
struct ProgressPoint {
  int epoch = 0;
  double metric = 0;
  double energy_j = 0;
  double t_s = 0;
  bool estimated = false;  // the energy is an estimate
};

// A matcher for lines that are not protocol lines (progress_regex); nullopt: not a report.
using ProgressLineMatcher = std::function<std::optional<ProgressReport>(std::string_view line)>;

// One protocol line, or nullopt.
std::optional<ProgressReport> parse_report_line(std::string_view line);

// Reads a growing output: feed() the bytes as they come, get the reports of complete lines.
class ProgressParser {
 public:
  explicit ProgressParser(ProgressLineMatcher matcher = nullptr) : matcher_(std::move(matcher)) {}
  std::vector<ProgressReport> feed(std::string_view bytes);
  // The last line, when the output ended without a newline.
  std::vector<ProgressReport> finish();
  int last_epoch() const { return last_epoch_; }

 private:
  void line(std::string_view text, std::vector<ProgressReport>& out);
  ProgressLineMatcher matcher_;
  std::string partial_;
  int last_epoch_ = 0;
};

// The bytes appended to a file since the last call (a run's stdout log while it runs). A file
// that does not exist yet reads as empty.
class FileTail {
 public:
  explicit FileTail(std::string path) : path_(std::move(path)) {}
  std::string read_new();

 private:
  std::string path_;
  long long offset_ = 0;
};

}  // namespace greentune::exec
