// One run's child process (command line, environment) and its outcome (status, metric),
// and the cool-down between tasks. execute_task is in execute_task.cpp.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "greentune/core/cpus.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/text.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/pattern.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/train_result.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/core/files.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/task.hpp"

namespace greentune::exec {

using namespace greentune::study;

using nlohmann::json;

namespace {


std::string last_nonempty_line(const std::string& s) {
  std::istringstream in(s);
  std::string line, last;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    // Progress lines rewritten with \r: keep the last part.
    auto cr = line.rfind('\r');
    if (cr != std::string::npos) line = line.substr(cr + 1);
    if (!line.empty()) last = line;
  }
  return last;
}

// The outcome `p` ends with: its status and why.
ParsedOutcome ended(ParsedOutcome p, RunStatus status, std::string reason) {
  p.status = status;
  p.reason = std::move(reason);
  return p;
}

// Why a run whose process did not exit cleanly failed: how it ended, and its last stderr line.
std::string crash_reason(const SubprocessResult& r, const std::string& stderr_text) {
  std::string last = last_nonempty_line(stderr_text);
  return r.describe() + (last.empty() ? "" : ": " + tail(last, 300));
}

void sleep_interruptible(double seconds, const std::atomic<bool>* cancel) {
  double end = monotonic_seconds() + seconds;
  while (monotonic_seconds() < end) {
    if (cancel && cancel->load()) throw Cancelled();
    double left = end - monotonic_seconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.1, std::max(0.0, left))));
  }
}

std::string greentune_bin(const ExecuteOptions& o) {
  if (!o.greentune_bin.empty()) return o.greentune_bin;
  if (const char* b = std::getenv("GREENTUNE_BIN"); b && *b) return b;
  std::string self = self_executable_path();
  // Rebuilt or reinstalled while the study runs: the old file is gone, but the running
  // image is still reachable (a forked child's /proc/self/exe is the same executable).
  const std::string deleted = " (deleted)";
  if (self.size() > deleted.size() && self.compare(self.size() - deleted.size(), deleted.size(), deleted) == 0)
    return "/proc/self/exe";
  return self;
}

}  // namespace

std::string format_hp_value(const ModelDefinition& m, const std::string& name, double value) {
  const HyperparameterSpec* s = m.find(name);
  return s ? s->format(value) : format_exact(value);
}

std::string expand_command(const ModelDefinition& m, const Configuration& hp) {
  std::string out;
  const std::string& t = m.command;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{' && i + 1 < t.size() && t[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (t[i] == '}' && i + 1 < t.size() && t[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (t[i] == '{') {
      auto close = t.find('}', i);
      std::string name = close == std::string::npos ? "" : t.substr(i + 1, close - i - 1);
      auto it = hp.find(name);
      if (it == hp.end()) {
        out += t[i];
        continue;
      }
      out += format_hp_value(m, name, it->second);
      i = close;
    } else {
      out += t[i];
    }
  }
  return out;
}

SubprocessOptions child_options(const ModelDefinition& m, const Configuration& hp, const ExecuteOptions& options,
                                int threads) {
  SubprocessOptions so;
  if (m.is_builtin()) {
    so.argv = {greentune_bin(options), "train", "--model", m.builtin};
    if (threads > 0) {
      so.argv.push_back("--threads");
      so.argv.push_back(std::to_string(threads));
    }
    for (const auto& [k, v] : hp) {
      so.argv.push_back("--set");
      so.argv.push_back(k + "=" + format_hp_value(m, k, v));
    }
    so.argv.push_back("--device");
    so.argv.push_back(m.device);
    so.argv.push_back("--json");
  } else {
    so.argv = {"/bin/sh", "-c", expand_command(m, hp)};
    so.working_dir = m.working_dir;
    for (const auto& [k, v] : m.env) so.env[k] = v;
    so.env["GREENTUNE_DEVICE"] = m.device;
  }
  for (const auto& [k, v] : hp) {
    std::string up;
    for (char c : k) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    so.env["GREENTUNE_HP_" + up] = format_hp_value(m, k, v);
  }
  return so;
}

namespace {

// A built-in model's outcome: the last stdout line that is a JSON object is its TrainResult.
ParsedOutcome builtin_outcome(const ModelDefinition& m, const Configuration& planned, const SubprocessResult& r,
                              const std::string& stdout_text, const std::string& stderr_text) {
  ParsedOutcome p;
  std::string diverged_reason;
  std::istringstream in(stdout_text);
  std::string line;
  std::optional<TrainResult> tr;
  std::string parse_error;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    try {
      tr = train_result_from_json(json::parse(line));
    } catch (const std::exception& e) {
      parse_error = e.what();
    }
  }
  if (tr) {
    p.train_result = to_json(*tr);
    p.performance = tr->performance;
    if (tr->status == "diverged") diverged_reason = tr->reason.empty() ? "training diverged" : tr->reason;
    for (const auto& [k, v] : planned) {
      auto it = tr->hyperparameters.find(k);
      if (it == tr->hyperparameters.end()) continue;
      if (std::memcmp(&it->second, &v, sizeof(double)) != 0)
        return ended(p, RunStatus::failed, "hyperparameter " + k + ": the trainer used " + format_exact(it->second) +
                                               ", the plan says " + format_exact(v));
    }
  }
  if (!diverged_reason.empty()) return ended(p, RunStatus::diverged, diverged_reason);
  if (!r.ok()) return ended(p, RunStatus::failed, crash_reason(r, stderr_text));
  if (!tr)
    return ended(p, RunStatus::failed,
                 "exit code 0 but no result JSON on stdout" + (parse_error.empty() ? "" : " (" + parse_error + ")"));
  if (!p.performance || !std::isfinite(*p.performance)) {
    p.performance.reset();
    return ended(p, RunStatus::failed, "no " + m.metric + " in the result");
  }
  return ended(p, RunStatus::succeeded, "");
}

// What an external command's output says of its metric.
struct MetricRead {
  std::optional<double> metric;
  std::string text;             // as printed (when it is not a number)
  bool nonfinite = false;       // NaN, inf, null
  std::string diverged_reason;  // a JSON line with "status": "diverged"
  std::string pattern_limit;    // metric_regex reached its limit on this output (core/pattern.hpp)
};

// result = "json-lines": the last line with metric_key decides.
void read_json_metric(const ModelDefinition& m, const std::string& stdout_text, MetricRead& out) {
  std::istringstream in(stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] != '{') continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const std::exception&) {
      continue;
    }
    if (!j.is_object()) continue;
    if (j.contains("status") && j["status"].is_string() && j["status"] == "diverged")
      out.diverged_reason = j.value("reason", std::string("the command reported status diverged"));
    if (!j.contains(m.metric_key)) continue;
    const json& v = j[m.metric_key];
    if (v.is_number()) {
      out.metric = v.get<double>();
      out.nonfinite = false;
    } else if (v.is_null() || (v.is_string() && !parse_double(v.get<std::string>()))) {
      out.metric.reset();
      out.nonfinite = true;
      out.text = v.dump();
    } else if (v.is_string()) {
      out.metric = parse_double(v.get<std::string>());
    }
  }
}

// metric_regex: the last match's first group decides.
void read_regex_metric(const ModelDefinition& m, const std::string& stdout_text, MetricRead& out) {
  std::string last;
  bool found = false;
  try {
    Pattern(m.metric_regex).for_each_match(stdout_text, [&](const Match& mm) {
      last = mm.size() > 1 ? mm.str(1) : std::string();
      found = true;
      return true;
    });
  } catch (const PatternLimitError& e) {
    out.pattern_limit = std::string("metric_regex: ") + e.what();
    found = false;
  }
  if (!found) return;
  out.text = last;
  out.metric = parse_double(last);
  if (!out.metric) {
    std::string low;
    for (char c : last) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (low.find("nan") != std::string::npos || low.find("inf") != std::string::npos) out.nonfinite = true;
  }
}

ParsedOutcome external_outcome(const ModelDefinition& m, const SubprocessResult& r, const std::string& stdout_text,
                               const std::string& stderr_text) {
  ParsedOutcome p;
  std::string diverged_reason, pattern_limit;
  if (!m.diverged_regex.empty()) {
    try {
      Pattern dre(m.diverged_regex);
      auto sm = dre.search(stdout_text);
      if (!sm) sm = dre.search(stderr_text);
      if (sm) diverged_reason = "output matched diverged_regex: " + tail(sm->group(0), 200);
    } catch (const PatternLimitError& e) {
      pattern_limit = std::string("diverged_regex: ") + e.what();
    }
  }
  MetricRead mr;
  if (m.result == "json-lines") read_json_metric(m, stdout_text, mr);
  else read_regex_metric(m, stdout_text, mr);
  if (!mr.diverged_reason.empty()) diverged_reason = mr.diverged_reason;
  if (!mr.pattern_limit.empty()) pattern_limit = mr.pattern_limit;
  if (!diverged_reason.empty()) return ended(p, RunStatus::diverged, diverged_reason);
  if (!r.ok()) return ended(p, RunStatus::failed, crash_reason(r, stderr_text));
  if (!pattern_limit.empty()) return ended(p, RunStatus::failed, pattern_limit);
  if (mr.nonfinite) return ended(p, RunStatus::diverged, m.metric + " is " + mr.text);
  if (!mr.metric)
    return ended(p, RunStatus::failed,
                 mr.text.empty()
                     ? (m.result == "json-lines" ? "no JSON line with '" + m.metric_key + "' on stdout"
                                                 : "metric not found on stdout (metric_regex " + m.metric_regex + ")")
                     : "metric '" + mr.text + "' is not a number");
  p.performance = mr.metric;
  return ended(p, RunStatus::succeeded, "");
}

}  // namespace

ParsedOutcome parse_outcome(const ModelDefinition& m, const Configuration& planned, const SubprocessResult& r,
                            const std::string& stdout_text, const std::string& stderr_text, double timeout_s) {
  if (r.timed_out) {
    ParsedOutcome p;
    return ended(p, RunStatus::timeout, "timed out after " + std::to_string(std::llround(r.wall_s)) +
                                            " s (run_timeout_s = " + format_exact(timeout_s) + ")");
  }
  if (m.is_builtin()) return builtin_outcome(m, planned, r, stdout_text, stderr_text);
  return external_outcome(m, r, stdout_text, stderr_text);
}

energy::MeterOptions meter_options(const StudyDefinition& def) {
  energy::MeterOptions mo;
  mo.meter = def.meter;
  mo.interval_ms = def.meter_interval_ms;
  return mo;
}

double cool_down(const LoadedStudy& study, const ExecuteOptions& options) {
  const CooldownDefinition& c = study.definition.cooldown;
  double t0 = monotonic_seconds();
  if (c.mode == CooldownMode::fixed) {
    sleep_interruptible(c.seconds, options.cancel);
    return monotonic_seconds() - t0;
  }
  energy::MeterSession meter(meter_options(study.definition));
  double baseline = options.idle_baseline_w;
  if (baseline < 0) baseline = meter.measure_idle(std::max(0.5, c.baseline_s));
  while (monotonic_seconds() - t0 < c.max_s) {
    if (options.cancel && options.cancel->load()) throw Cancelled();
    meter.begin();
    sleep_interruptible(1.0, options.cancel);
    energy::Measurement m = meter.end();
    double j = 0;
    bool any = false;
    for (const auto& d : m.domains)
      if (d.joules) {
        j += *d.joules;
        any = true;
      }
    if (!any || m.duration_s <= 0) break;  // nothing to compare: do not wait forever
    if (j / m.duration_s <= baseline * (1 + c.tolerance)) break;
  }
  return monotonic_seconds() - t0;
}

double measure_idle_baseline(const StudyDefinition& def) {
  energy::MeterSession meter(meter_options(def));
  return meter.measure_idle(std::max(0.5, def.cooldown.baseline_s));
}

}  // namespace greentune::exec
