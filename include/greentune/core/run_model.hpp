#pragma once
// The typed run model: what a run's status, scenario, energy domain and energy source, and a
// study's cool-down mode, can be. Code passes these enums around; text exists only at the
// edges (the study database, the runs CSV, JSON, the command line), through to_string() and
// the parse functions below, which are the one definition of each spelling.
//
//   RunStatus     pending | running | succeeded | failed | diverged | timeout | pruned
//                 (pruned: tune stopped the run early because its learning curve could not reach
//                 the feasible region or beat the best feasible objective; it is neither a
//                 success nor a failure, and its energy and time still count)
//   Scenario      single | parallel
//   ScenarioKind  single | parallel | symmetric   (a study's scenario; symmetric runs are parallel)
//   EnergyDomain  cpu_package | dram | gpu          (whole-machine domains; never overlapping)
//   EnergySource  rapl | perf | nvml-energy | nvml-power | estimated  (or unknown: not recorded)
//   CooldownMode  fixed | until-idle
//
// "Estimated" has one definition: is_estimated(EnergySource), true for the `estimated` source
// only. An estimate is a model of power, not a measurement: the analysis leaves it out unless
// asked (AnalysisOptions::include_estimated) and everything that shows it labels it.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace greentune {

enum class RunStatus { pending = 0, running, succeeded, failed, diverged, timeout, pruned };
enum class Scenario { single = 0, parallel };
// How a study runs a configuration: alone, beside a co-runner model, or as k copies at once.
enum class ScenarioKind { single = 0, parallel, symmetric };
enum class EnergyDomain { cpu_package = 0, dram, gpu };
enum class EnergySource { unknown = 0, rapl, perf, nvml_energy, nvml_power, estimated };
enum class CooldownMode { fixed = 0, until_idle };

inline constexpr std::size_t kEnergyDomainCount = 3;
// In storage and output order.
inline constexpr std::array<EnergyDomain, kEnergyDomainCount> kEnergyDomains{
    EnergyDomain::cpu_package, EnergyDomain::dram, EnergyDomain::gpu};
inline constexpr std::size_t index(EnergyDomain d) { return static_cast<std::size_t>(d); }

// A run that ended (succeeded, failed, diverged, timeout or pruned); pending and running are not.
inline constexpr bool is_final(RunStatus s) { return s != RunStatus::pending && s != RunStatus::running; }
// A run that ended badly: failed, diverged or timeout. Pruned is not a failure (nor a success).
inline constexpr bool is_failure(RunStatus s) {
  return s == RunStatus::failed || s == RunStatus::diverged || s == RunStatus::timeout;
}
// The one definition of an estimated energy value.
inline constexpr bool is_estimated(EnergySource s) { return s == EnergySource::estimated; }
// The scenario a kind's runs are recorded under: single stays single, the others are parallel.
inline constexpr Scenario scenario_of(ScenarioKind k) {
  return k == ScenarioKind::single ? Scenario::single : Scenario::parallel;
}

// Text of each value (the storage/CSV/JSON spelling). EnergySource::unknown is "".
const char* to_string(RunStatus s);
const char* to_string(Scenario s);
const char* to_string(ScenarioKind k);
const char* to_string(EnergyDomain d);
const char* to_string(EnergySource s);
const char* to_string(CooldownMode m);
// "<domain>_j": the runs CSV column of a domain's energy (cpu_package_j, dram_j, gpu_j).
const char* energy_column(EnergyDomain d);
// "<domain>_source": the runs CSV column of a domain's source.
const char* source_column(EnergyDomain d);

// Exact spellings only (as to_string writes them); nullopt for anything else.
// parse_energy_source("") is EnergySource::unknown.
std::optional<RunStatus> parse_run_status(std::string_view text);
std::optional<Scenario> parse_scenario(std::string_view text);
std::optional<ScenarioKind> parse_scenario_kind(std::string_view text);
std::optional<EnergyDomain> parse_energy_domain(std::string_view text);
std::optional<EnergySource> parse_energy_source(std::string_view text);
std::optional<CooldownMode> parse_cooldown_mode(std::string_view text);

// The same, throwing input_error "<where>: unknown <kind> '<text>' (one of: a, b, c)" when the
// text is not one of the spellings.
RunStatus run_status_from(std::string_view text, const std::string& where);
Scenario scenario_from(std::string_view text, const std::string& where);
ScenarioKind scenario_kind_from(std::string_view text, const std::string& where);
EnergyDomain energy_domain_from(std::string_view text, const std::string& where);
EnergySource energy_source_from(std::string_view text, const std::string& where);
CooldownMode cooldown_mode_from(std::string_view text, const std::string& where);

}  // namespace greentune
