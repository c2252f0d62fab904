// execute_task: one task (one run, a run beside a co-runner loop, or k symmetric jobs) as
// metered child processes on this machine.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "greentune/core/cpus.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/train_result.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/core/files.hpp"
#include "greentune/exec/reports.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/task.hpp"

namespace greentune::exec {

using namespace greentune::study;

using nlohmann::json;

namespace {

std::string tail(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(s.size() - n); }

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

void sleep_interruptible(double seconds, const std::atomic<bool>* cancel) {
  double end = monotonic_seconds() + seconds;
  while (monotonic_seconds() < end) {
    if (cancel && cancel->load()) throw Cancelled();
    double left = end - monotonic_seconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.1, std::max(0.0, left))));
  }
}

struct Job {
  const PlannedRun* run = nullptr;
  const PlannedConfiguration* config = nullptr;
  const ModelDefinition* model = nullptr;
  std::string label;
  std::string out_path, err_path;
  std::string command_text;
  std::unique_ptr<Subprocess> proc;
  std::string started_at, finished_at;
  double start_mono = 0, end_mono = 0;
  bool done = false;
  bool timed_out = false;
  SubprocessResult result;
};

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

ParsedOutcome parse_outcome(const ModelDefinition& m, const Configuration& planned, const SubprocessResult& r,
                            const std::string& stdout_text, const std::string& stderr_text, double timeout_s) {
  ParsedOutcome p;
  if (r.timed_out) {
    p.status = "timeout";
    std::ostringstream o;
    o << "timed out after " << std::llround(r.wall_s) << " s (run_timeout_s = " << format_exact(timeout_s) << ")";
    p.reason = o.str();
    return p;
  }
  std::string diverged_reason;
  if (m.is_builtin()) {
    // The last stdout line that is a JSON object.
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
        if (std::memcmp(&it->second, &v, sizeof(double)) != 0) {
          p.status = "failed";
          p.reason = "hyperparameter " + k + ": the trainer used " + format_exact(it->second) +
                     ", the plan says " + format_exact(v);
          return p;
        }
      }
    }
    if (!diverged_reason.empty()) {
      p.status = "diverged";
      p.reason = diverged_reason;
      return p;
    }
    if (!r.ok()) {
      p.status = "failed";
      std::string last = last_nonempty_line(stderr_text);
      p.reason = r.describe() + (last.empty() ? "" : ": " + tail(last, 300));
      return p;
    }
    if (!tr) {
      p.status = "failed";
      p.reason = "exit code 0 but no result JSON on stdout" + (parse_error.empty() ? "" : " (" + parse_error + ")");
      return p;
    }
    if (!p.performance || !std::isfinite(*p.performance)) {
      p.status = "failed";
      p.reason = "no " + m.metric + " in the result";
      p.performance.reset();
      return p;
    }
    p.status = "succeeded";
    return p;
  }

  // External command.
  if (!m.diverged_regex.empty()) {
    std::regex dre(m.diverged_regex);
    std::smatch sm;
    if (std::regex_search(stdout_text, sm, dre) || std::regex_search(stderr_text, sm, dre))
      diverged_reason = "output matched diverged_regex: " + tail(sm.str(0), 200);
  }
  std::optional<double> metric;
  std::string metric_text;
  bool metric_nonfinite = false;
  if (m.result == "json-lines") {
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
        diverged_reason = j.value("reason", std::string("the command reported status diverged"));
      if (j.contains(m.metric_key)) {
        const json& v = j[m.metric_key];
        if (v.is_number()) {
          metric = v.get<double>();
          metric_nonfinite = false;
        } else if (v.is_null() || (v.is_string() && !parse_double(v.get<std::string>()))) {
          metric.reset();
          metric_nonfinite = true;
          metric_text = v.dump();
        } else if (v.is_string()) {
          metric = parse_double(v.get<std::string>());
        }
      }
    }
  } else {
    std::regex re(m.metric_regex);
    std::string last;
    bool found = false;
    for (auto it = std::sregex_iterator(stdout_text.begin(), stdout_text.end(), re); it != std::sregex_iterator();
         ++it) {
      last = (*it)[1].str();
      found = true;
    }
    if (found) {
      metric_text = last;
      metric = parse_double(last);
      if (!metric) {
        std::string low;
        for (char c : last) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (low.find("nan") != std::string::npos || low.find("inf") != std::string::npos) metric_nonfinite = true;
      }
    }
  }
  if (!diverged_reason.empty()) {
    p.status = "diverged";
    p.reason = diverged_reason;
    return p;
  }
  if (!r.ok()) {
    p.status = "failed";
    std::string last = last_nonempty_line(stderr_text);
    p.reason = r.describe() + (last.empty() ? "" : ": " + tail(last, 300));
    return p;
  }
  if (metric_nonfinite) {
    p.status = "diverged";
    p.reason = m.metric + " is " + metric_text;
    return p;
  }
  if (!metric) {
    p.status = "failed";
    p.reason = metric_text.empty()
                   ? (m.result == "json-lines" ? "no JSON line with '" + m.metric_key + "' on stdout"
                                               : "metric not found on stdout (metric_regex " + m.metric_regex + ")")
                   : "metric '" + metric_text + "' is not a number";
    return p;
  }
  p.status = "succeeded";
  p.performance = metric;
  return p;
}

TaskResult execute_task(const LoadedStudy& study, long long task_id, const ExecuteOptions& options) {
  const PlannedTask& task = study.task(task_id);
  const StudyDefinition& def = study.definition;
  auto log = [&](const std::string& s) {
    if (options.log) options.log(s);
  };
  make_directories(study.paths.logs_dir());
  make_directories(study.paths.results_dir());

  energy::MeterOptions mo;
  mo.meter = options.meter_override.empty() ? def.meter : options.meter_override;
  mo.interval_ms = def.meter_interval_ms;
  energy::MeterSession meter(mo);

  TaskResult result;
  result.study_id = study.study_id;
  result.task_id = task_id;
  result.node = hostname();
  result.result_id = result.node + "-" + std::to_string(::getpid()) + "-" + random_id().substr(0, 16);
  result.environment = collect_environment(meter.backends());
  if (!options.governor_state.empty()) result.environment["governor"] = options.governor_state;
  result.started_at = store::utc_now_iso();

  std::vector<Job> jobs;
  for (long long rid : task.run_ids) {
    Job j;
    j.run = &study.run(rid);
    j.config = &study.configuration(j.run->configuration_id);
    j.model = def.find_model(j.run->model);
    if (!j.model) throw input_error("task " + std::to_string(task_id) + ": model '" + j.run->model + "' is not in the study");
    j.label = task.jobs > 1 ? "job" + std::to_string(j.run->job) : "run";
    j.out_path = study.paths.logs_dir() + "/run-" + std::to_string(rid) + ".out";
    j.err_path = study.paths.logs_dir() + "/run-" + std::to_string(rid) + ".err";
    jobs.push_back(std::move(j));
  }
  const ModelDefinition* corunner = nullptr;
  Configuration corunner_hp;
  if (!task.corunner_model.empty()) {
    corunner = def.find_model(task.corunner_model);
    if (!corunner) throw input_error("task " + std::to_string(task_id) + ": co-runner '" + task.corunner_model + "' is not in the study");
    corunner_hp = corunner->defaults;
  }

  // Trainings that run at once share the CPUs: each built-in one gets its share of threads
  // (a run alone takes them all).
  const int processes = static_cast<int>(jobs.size()) + (corunner ? 1 : 0);
  const int threads = processes > 1 ? threads_per_process(processes) : 0;

  // --- run ---
  meter.begin();
  double window_start = monotonic_seconds();
  auto stop_all = [&](std::unique_ptr<Subprocess>& cr) {
    for (auto& j : jobs)
      if (j.proc && !j.done) j.proc->terminate();
    if (cr) cr->terminate();
  };
  for (auto& j : jobs) {
    SubprocessOptions so = child_options(*j.model, j.config->hp, options, threads);
    so.stdout_to = j.out_path;
    so.stderr_to = j.err_path;
    so.timeout_s = 0;  // enforced below (several children at once)
    so.env["GREENTUNE_RUN_ID"] = std::to_string(j.run->id);
    so.env["GREENTUNE_TASK_ID"] = std::to_string(task_id);
    for (const auto& a : so.argv) j.command_text += (j.command_text.empty() ? "" : " ") + a;
    j.proc = std::make_unique<Subprocess>(so);
    j.started_at = store::utc_now_iso();
    j.start_mono = monotonic_seconds();
    try {
      j.proc->start();
    } catch (const Error& e) {
      j.done = true;
      j.end_mono = j.start_mono;
      j.finished_at = j.started_at;
      j.result.exit_code = 127;
      std::ofstream(j.err_path) << e.what() << "\n";
      continue;
    }
    meter.track(j.proc->pid(), j.label);
    if (options.on_run_start) {
      std::string desc = j.run->model + " " + (j.run->op == "original" ? "original" : j.run->op + "=" +
                         format_hp_value(*j.model, j.run->op, j.config->hp.at(j.run->op))) +
                         " rep " + std::to_string(j.run->repetition) +
                         (task.scenario == "single" ? "" : " (" + task.corunner + ")");
      options.on_run_start(j.run->id, desc);
    }
  }

  std::unique_ptr<Subprocess> cr;
  int corunner_starts = 0, corunner_completed = 0, corunner_failed = 0, consecutive_failures = 0;
  double corunner_start_mono = 0, corunner_active_s = 0;
  std::string corunner_note;
  auto start_corunner = [&] {
    SubprocessOptions so = child_options(*corunner, corunner_hp, options, threads);
    so.stdout_to = "/dev/null";
    so.stderr_to = study.paths.logs_dir() + "/run-" + std::to_string(jobs.front().run->id) + ".corunner.err";
    so.kill_grace_s = 2;
    so.env["GREENTUNE_CORUNNER"] = "1";
    cr = std::make_unique<Subprocess>(so);
    try {
      cr->start();
    } catch (const Error& e) {
      corunner_note = std::string("co-runner could not start: ") + e.what();
      cr.reset();
      return;
    }
    ++corunner_starts;
    corunner_start_mono = monotonic_seconds();
    meter.track(cr->pid(), "corunner");
  };
  if (corunner) start_corunner();

  double timeout_s = def.run_timeout_s;
  while (true) {
    bool any_running = false;
    for (auto& j : jobs) {
      if (j.done) continue;
      if (!j.proc->running()) {
        j.result = j.proc->wait();
        j.done = true;
      } else if (timeout_s > 0 && monotonic_seconds() - j.start_mono >= timeout_s) {
        j.result = j.proc->terminate();
        j.result.timed_out = true;
        j.done = true;
      }
      if (j.done) {
        j.end_mono = monotonic_seconds();
        j.finished_at = store::utc_now_iso();
        j.result.wall_s = j.end_mono - j.start_mono;
      } else {
        any_running = true;
      }
    }
    if (options.cancel && options.cancel->load()) {
      stop_all(cr);
      meter.end();
      throw Cancelled();
    }
    if (!any_running) break;
    if (corunner && cr && !cr->running()) {
      SubprocessResult cres = cr->wait();
      corunner_active_s += monotonic_seconds() - corunner_start_mono;
      if (cres.ok()) {
        ++corunner_completed;
        consecutive_failures = 0;
      } else {
        ++corunner_failed;
        ++consecutive_failures;
        corunner_note = "co-runner " + cres.describe();
      }
      cr.reset();
      if (consecutive_failures >= 3) corunner_note += "; stopped restarting it after 3 failures in a row";
      else start_corunner();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double fg_end = monotonic_seconds();
  if (cr) {
    corunner_active_s += fg_end - corunner_start_mono;
    cr->terminate();
    cr.reset();
  }
  energy::Measurement m = meter.end();
  double window_s = monotonic_seconds() - window_start;
  result.finished_at = store::utc_now_iso();

  // --- outcomes ---
  double fg_span = 0;
  for (auto& j : jobs) fg_span = std::max(fg_span, j.end_mono - window_start);
  std::string notes;
  for (const auto& n : m.notes) notes += (notes.empty() ? "" : "; ") + n;
  for (auto& j : jobs) {
    store::RunOutcome o;
    o.run_id = j.run->id;
    o.result_id = result.result_id;
    o.node = result.node;
    o.started_at = j.started_at;
    o.finished_at = j.finished_at;
    o.duration_s = j.result.wall_s;
    if (!j.result.timed_out && j.result.term_signal == 0) o.exit_code = j.result.exit_code;
    std::string out_text = file_exists(j.out_path) ? read_file(j.out_path) : "";
    std::string err_text = file_exists(j.err_path) ? read_file(j.err_path) : "";
    ParsedOutcome p = parse_outcome(*j.model, j.config->hp, j.result, out_text, err_text, timeout_s);
    o.status = p.status;
    o.reason = p.reason;
    o.performance = p.status == "succeeded" ? p.performance : std::nullopt;
    if (p.status != "succeeded" && p.performance) o.details["reported_performance"] = format_exact(*p.performance);
    double share_cpu = 0;
    auto it = m.cpu_s_by_label.find(j.label);
    if (it != m.cpu_s_by_label.end()) share_cpu = it->second;
    double share = m.machine_cpu_s > 0 ? std::min(1.0, share_cpu / m.machine_cpu_s) : 0.0;
    for (const auto& d : m.domains) {
      store::DomainEnergy e;
      e.domain = d.domain;
      e.joules = d.joules;
      e.source = d.source;
      e.flagged = d.flagged;
      e.note = d.note;
      if (d.joules && d.domain != "gpu") e.attributed_j = *d.joules * share;
      if (d.net_joules) o.details[d.domain + "_net_j"] = format_exact(*d.net_joules);
      o.energy.push_back(e);
    }
    for (const auto& s : m.samples) o.samples.push_back({s.t_s, s.domain, s.watts, s.source});
    o.details["cpu_s"] = format_exact(share_cpu);
    o.details["machine_cpu_s"] = format_exact(m.machine_cpu_s);
    o.details["meter_window_s"] = format_exact(window_s);
    o.details["attributed_share"] = format_exact(share);
    o.details["command"] = j.command_text;
    o.details["stdout_log"] = j.out_path;
    o.details["stderr_log"] = j.err_path;
    o.details["stderr_tail"] = tail(err_text, 2000);
    if (!notes.empty()) o.details["meter_notes"] = notes;
    if (m.idle_baseline_w) o.details["idle_baseline_w"] = format_exact(*m.idle_baseline_w);
    if (!j.model->is_builtin()) {  // greentune.report lines (the Python module), per epoch
      nlohmann::json reports = collect_reports(out_text);
      if (!reports.empty()) o.details[kReportsDetailKey] = reports.dump();
    }
    if (!p.train_result.is_null()) {
      o.details["train_result"] = p.train_result.dump();
      if (p.train_result.contains("torch_version"))
        result.environment["torch_version"] = p.train_result["torch_version"].get<std::string>();
      if (p.train_result.contains("dataset")) {
        const json& ds = p.train_result["dataset"];
        o.details["dataset"] = ds.value("name", std::string());
        if (!ds.value("substitute_for", std::string()).empty())
          o.details["dataset_substitute_for"] = ds.value("substitute_for", std::string());
      }
    }
    if (task.jobs > 1) {
      o.details["symmetric_jobs"] = std::to_string(task.jobs);
      o.details["other_jobs_cpu_s"] = format_exact(
          std::max(0.0, [&] {
            double s = 0;
            for (const auto& [l, c] : m.cpu_s_by_label)
              if (l != j.label) s += c;
            return s;
          }()));
    }
    if (corunner) {
      double cpu = m.cpu_s_by_label.count("corunner") ? m.cpu_s_by_label.at("corunner") : 0;
      double cshare = m.machine_cpu_s > 0 ? std::min(1.0, cpu / m.machine_cpu_s) : 0.0;
      o.details["corunner_model"] = corunner->name;
      o.details["corunner_configuration"] = format_configuration(corunner_hp);
      o.details["corunner_starts"] = std::to_string(corunner_starts);
      o.details["corunner_completed"] = std::to_string(corunner_completed);
      o.details["corunner_failed"] = std::to_string(corunner_failed);
      o.details["corunner_overlap_s"] = format_exact(std::min(corunner_active_s, fg_span));
      o.details["corunner_overlap_fraction"] = format_exact(fg_span > 0 ? std::min(1.0, corunner_active_s / fg_span) : 0.0);
      o.details["corunner_cpu_s"] = format_exact(cpu);
      for (const auto& d : m.domains)
        if (d.joules && d.domain != "gpu") o.details["corunner_attributed_" + d.domain + "_j"] = format_exact(*d.joules * cshare);
      if (!corunner_note.empty()) o.details["corunner_note"] = corunner_note;
    }
    log("run " + std::to_string(o.run_id) + " " + o.status + (o.reason.empty() ? "" : " (" + o.reason + ")"));
    result.runs.push_back(std::move(o));
  }

  if (options.cooldown_after) cool_down(study, options);
  return result;
}

double cool_down(const LoadedStudy& study, const ExecuteOptions& options) {
  const CooldownDefinition& c = study.definition.cooldown;
  double t0 = monotonic_seconds();
  if (c.mode == "fixed") {
    sleep_interruptible(c.seconds, options.cancel);
    return monotonic_seconds() - t0;
  }
  energy::MeterOptions mo;
  mo.meter = options.meter_override.empty() ? study.definition.meter : options.meter_override;
  mo.interval_ms = study.definition.meter_interval_ms;
  energy::MeterSession meter(mo);
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

double measure_idle_baseline(const StudyDefinition& def, const std::string& meter_override) {
  energy::MeterOptions mo;
  mo.meter = meter_override.empty() ? def.meter : meter_override;
  mo.interval_ms = def.meter_interval_ms;
  energy::MeterSession meter(mo);
  return meter.measure_idle(std::max(0.5, def.cooldown.baseline_s));
}

}  // namespace greentune::exec
