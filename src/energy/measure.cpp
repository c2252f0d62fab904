#include "greentune/energy/measure.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/signal_scope.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/process_tree.hpp"

namespace greentune::energy {

namespace {

std::string join_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\"'\\$`") == std::string::npos;
    s += plain ? a : "'" + a + "'";
  }
  return s;
}

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

std::string fmt_j(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : "-"; }

}  // namespace

MeasureResult measure_command(const MeasureOptions& options) {
  if (options.command.empty()) throw usage_error("measure: no command given (usage: greentune measure [options] -- COMMAND ARGS...)");
  if (options.idle_baseline_s < 0) throw usage_error("--idle-baseline must be >= 0 seconds");
  MeterSession session(options.meter);  // meter errors surface before anything runs
  if (options.idle_baseline_s > 0) session.measure_idle(options.idle_baseline_s);

  SubprocessOptions so;
  so.argv = options.command;
  so.stdout_to = "";
  so.stderr_to = "";
  so.stdin_null = false;
  Subprocess child(so);
  // The child runs in its own process group, so a terminal's Ctrl-C reaches only us:
  // forward it (one that comes before the child exists is delivered when it does).
  SignalScope forward({SIGINT, SIGTERM, SIGHUP});
  session.begin();
  try {
    child.start();
  } catch (...) {
    session.end();
    throw;
  }
  forward.forward_to_group(child.pid());
  MeasureResult result;
  {
    session.track(child.pid(), "run");
    // Let it exit but do not reap it yet: its final CPU time is still in /proc.
    wait_exited_without_reaping(child.pid());
    result.measurement = session.end();
  }
  SubprocessResult r = child.wait();
  result.command = options.command;
  result.exit_code = r.term_signal != 0 ? 128 + r.term_signal : r.exit_code;
  result.status = r.describe();
  result.command_wall_s = r.wall_s;
  result.interval_ms = options.meter.interval_ms;
  return result;
}

nlohmann::json measurement_to_json(const Measurement& m, bool include_samples) {
  nlohmann::json j;
  j["duration_s"] = m.duration_s;
  j["machine_cpu_s"] = m.machine_cpu_s;
  j["cpu_s"] = m.cpu_s_by_label;
  j["backends"] = m.backends;
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& d : m.domains) {
    domains.push_back({{"domain", to_string(d.domain)},
                       {"joules", opt(d.joules)},
                       {"source", d.source == EnergySource::unknown ? nlohmann::json(nullptr) : nlohmann::json(to_string(d.source))},
                       {"attributed_joules", opt(d.attributed_joules)},
                       {"flagged", d.flagged},
                       {"idle_w", opt(d.idle_w)},
                       {"net_joules", opt(d.net_joules)},
                       {"note", d.note}});
  }
  j["domains"] = domains;
  j["idle_baseline"] = m.idle_baseline_w
                           ? nlohmann::json{{"watts", *m.idle_baseline_w}, {"seconds", m.idle_baseline_s}}
                           : nlohmann::json(nullptr);
  j["notes"] = m.notes;
  j["sampler"] = {{"ticks", m.sampler_ticks}, {"cpu_s", m.sampler_cpu_s}};
  if (include_samples) {
    nlohmann::json s = nlohmann::json::array();
    for (const auto& p : m.samples) s.push_back({{"t_s", p.t_s}, {"domain", to_string(p.domain)}, {"watts", p.watts}, {"source", to_string(p.source)}});
    j["samples"] = s;
  }
  return j;
}

nlohmann::json measure_result_to_json(const MeasureResult& r, bool include_samples) {
  nlohmann::json j;
  j["command"] = r.command;
  j["exit_code"] = r.exit_code;
  j["status"] = r.status;
  j["interval_ms"] = r.interval_ms;
  j["measurement"] = measurement_to_json(r.measurement, include_samples);
  return j;
}

std::string format_measure_table(const MeasureResult& r) {
  const Measurement& m = r.measurement;
  std::ostringstream o;
  o << "\n Energy of '" << join_command(r.command) << "' (" << r.status << "):\n\n";
  bool net = m.idle_baseline_w.has_value();
  o << fmt::format("   {:<12} {:>12}  {:<12} {:>15}", "domain", "energy (J)", "source", "attributed (J)");
  if (net) o << fmt::format(" {:>10} {:>12}", "idle (W)", "net (J)");
  o << "\n";
  bool any_estimate = false;
  for (const auto& d : m.domains) {
    std::string energy = d.flagged ? "flagged" : fmt_j(d.joules);
    o << fmt::format("   {:<12} {:>12}  {:<12} {:>15}", to_string(d.domain), energy,
                     d.source == EnergySource::unknown ? "-" : to_string(d.source),
                     fmt_j(d.attributed_joules));
    if (net) o << fmt::format(" {:>10} {:>12}", d.idle_w ? fmt::format("{:.3f}", *d.idle_w) : "-", fmt_j(d.net_joules));
    o << "\n";
    any_estimate = any_estimate || is_estimated(d.source);
  }
  o << "\n";
  for (const auto& d : m.domains)
    if (!d.note.empty()) o << "   " << to_string(d.domain) << ": " << d.note << "\n";
  o << fmt::format("\n   {:.3f} s elapsed", m.duration_s);
  auto run = m.cpu_s_by_label.find("run");
  if (run != m.cpu_s_by_label.end())
    o << fmt::format("; command CPU {:.3f} s of {:.3f} s busy machine CPU (attributed = energy x that share)", run->second,
                     m.machine_cpu_s);
  o << "\n";
  if (net) o << fmt::format("   idle baseline: {:.3f} W over {:.1f} s; net = energy - idle x elapsed\n", *m.idle_baseline_w, m.idle_baseline_s);
  o << fmt::format("   {} power samples at {} ms (sampler CPU {:.4f} s)\n", m.samples.size(), r.interval_ms, m.sampler_cpu_s);
  for (const auto& n : m.notes) o << "   note: " << n << "\n";
  if (any_estimate) o << "   ESTIMATED values come from a model of CPU time, not from a sensor.\n";
  o << "\n";
  return o.str();
}

int run_measure(const MeasureOptions& options, std::ostream& out, std::ostream& err) {
  MeasureResult r;
  try {
    r = measure_command(options);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::runtime || options.command.empty()) throw;
    // could not start the command: like a shell, 127
    err << "greentune: error: " << e.what() << "\n";
    return 127;
  }
  std::string report = options.json ? measure_result_to_json(r, options.include_samples).dump(2) + "\n" : format_measure_table(r);
  if (!options.output_path.empty()) {
    std::ofstream f(options.output_path, std::ios::trunc);
    f << report;
    f.close();
    if (!f) throw io_error("cannot write the measurement to " + options.output_path + ": " + std::strerror(errno));
  } else if (options.json) {
    out << report << std::flush;
  } else {
    err << report << std::flush;
  }
  return r.exit_code;
}

MetersReport detect_meters(const MeterOptions& options) {
  MetersReport report;
  report.backends = probe_backends(options);
  MeterOptions a = options;
  a.meter = "auto";
  OpenedMeters opened = open_meters(a);
  for (const auto& m : opened.meters) {
    report.auto_backends.push_back(m->name());
    for (const auto& d : m->domains()) report.auto_domains.emplace_back(d, m->name());
  }
  for (const auto& [d, why] : opened.missing) report.auto_domains.emplace_back(d, why);
  report.notes = opened.notes;
  return report;
}

nlohmann::json meters_to_json(const MetersReport& r) {
  nlohmann::json backends = nlohmann::json::array();
  for (const auto& b : r.backends)
    backends.push_back({{"name", b.name}, {"available", b.available}, {"domains", b.domains}, {"detail", b.detail}});
  nlohmann::json domains = nlohmann::json::object();
  for (const auto& [d, how] : r.auto_domains) domains[to_string(d)] = how;
  return {{"backends", backends}, {"auto", {{"backends", r.auto_backends}, {"domains", domains}, {"notes", r.notes}}}};
}

std::string format_meters_table(const MetersReport& r) {
  std::ostringstream o;
  o << "Energy meters on this machine:\n\n";
  for (const auto& b : r.backends)
    o << fmt::format("  {:<9} {:<12} {:<18} {}\n", b.name, b.available ? "available" : "unavailable", b.domains, b.detail);
  o << "\n--meter auto uses:";
  for (const auto& b : r.auto_backends) o << " " << b;
  o << "\n";
  for (const auto& [d, how] : r.auto_domains) o << fmt::format("  {:<12} {}\n", to_string(d), how);
  for (const auto& n : r.notes) o << "note: " << n << "\n";
  return o.str();
}

int run_meters(const MeterOptions& options, bool json, std::ostream& out) {
  MetersReport r = detect_meters(options);
  out << (json ? meters_to_json(r).dump(2) + "\n" : format_meters_table(r)) << std::flush;
  return 0;
}

}  // namespace greentune::energy
