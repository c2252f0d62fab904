#pragma once
// `greentune measure` and `greentune meters` as library functions (the CLI files only
// parse flags and call these; the tests call them in-process).
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "greentune/energy/meter.hpp"
#include "greentune/energy/registry.hpp"

namespace greentune::energy {

struct MeasureOptions {
  MeterOptions meter;
  std::vector<std::string> command;  // argv; argv[0] looked up on PATH
  double idle_baseline_s = 0;        // > 0: measure idle power first, report net energy
  bool json = false;                 // one JSON object instead of the table
  bool include_samples = false;      // put the power time series into the JSON
  std::string output_path;           // report to this file instead of stdout (json) / stderr (table)
};

struct MeasureResult {
  std::vector<std::string> command;
  int exit_code = 0;         // the command's own, or 128 + signal when a signal ended it
  std::string status;        // "exit code 0", "killed by signal 9 (Killed)"
  double command_wall_s = 0; // from fork to exit
  Measurement measurement;
  int interval_ms = 0;
};

// Runs the command under a MeterSession (stdin/stdout/stderr inherited, SIGINT/SIGTERM/
// SIGHUP forwarded to it) and returns what was measured. Throws meter_error before running
// anything if the meters cannot be opened; runtime_error if the command cannot be started.
MeasureResult measure_command(const MeasureOptions& options);

nlohmann::json measurement_to_json(const Measurement& m, bool include_samples);
nlohmann::json measure_result_to_json(const MeasureResult& r, bool include_samples);
std::string format_measure_table(const MeasureResult& r);

// Whole subcommand: measure, write the report, return the command's exit code (127 when
// it could not be started). The report goes to `out` (json) or `err` (table) unless
// options.output_path is set.
int run_measure(const MeasureOptions& options, std::ostream& out, std::ostream& err);

struct MetersReport {
  std::vector<BackendStatus> backends;    // every registered backend, available or not
  std::vector<std::string> auto_backends; // what --meter auto would use here
  std::vector<std::pair<EnergyDomain, std::string>> auto_domains;  // domain -> backend / why not
  std::vector<std::string> notes;
};

MetersReport detect_meters(const MeterOptions& options);
nlohmann::json meters_to_json(const MetersReport& r);
std::string format_meters_table(const MetersReport& r);
int run_meters(const MeterOptions& options, bool json, std::ostream& out);

}  // namespace greentune::energy
