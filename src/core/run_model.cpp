#include "greentune/core/run_model.hpp"

#include "greentune/core/error.hpp"

namespace greentune {
namespace {

template <class E, std::size_t N>
struct Names {
  std::array<const char*, N> text;
  const char* kind;
};

constexpr Names<RunStatus, 7> kStatus{{"pending", "running", "succeeded", "failed", "diverged", "timeout", "pruned"},
                                      "run status"};
constexpr Names<Scenario, 2> kScenario{{"single", "parallel"}, "scenario"};
constexpr Names<ScenarioKind, 3> kScenarioKind{{"single", "parallel", "symmetric"}, "scenario kind"};
constexpr Names<EnergyDomain, 3> kDomain{{"cpu_package", "dram", "gpu"}, "energy domain"};
constexpr Names<EnergySource, 6> kSource{{"", "rapl", "perf", "nvml-energy", "nvml-power", "estimated"},
                                         "energy source"};
constexpr Names<CooldownMode, 2> kCooldown{{"fixed", "until-idle"}, "cool-down mode"};

template <class E, std::size_t N>
const char* name_of(const Names<E, N>& names, E value) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names.text[i] : "?";
}

template <class E, std::size_t N>
std::optional<E> parse_of(const Names<E, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (text == names.text[i]) return static_cast<E>(i);
  return std::nullopt;
}

template <class E, std::size_t N>
E parse_or_throw(const Names<E, N>& names, std::string_view text, const std::string& where) {
  if (auto v = parse_of(names, text)) return *v;
  std::string valid;
  for (const char* t : names.text) {
    if (*t == '\0') continue;
    if (!valid.empty()) valid += ", ";
    valid += t;
  }
  throw input_error(where + ": unknown " + names.kind + " '" + std::string(text) + "' (one of: " + valid + ")");
}

}  // namespace

const char* to_string(RunStatus s) { return name_of(kStatus, s); }
const char* to_string(Scenario s) { return name_of(kScenario, s); }
const char* to_string(ScenarioKind k) { return name_of(kScenarioKind, k); }
const char* to_string(EnergyDomain d) { return name_of(kDomain, d); }
const char* to_string(EnergySource s) { return name_of(kSource, s); }
const char* to_string(CooldownMode m) { return name_of(kCooldown, m); }

const char* energy_column(EnergyDomain d) {
  static constexpr std::array<const char*, kEnergyDomainCount> kColumns{"cpu_package_j", "dram_j", "gpu_j"};
  return kColumns[index(d)];
}
const char* source_column(EnergyDomain d) {
  static constexpr std::array<const char*, kEnergyDomainCount> kColumns{"cpu_package_source", "dram_source",
                                                                         "gpu_source"};
  return kColumns[index(d)];
}

std::optional<RunStatus> parse_run_status(std::string_view t) { return parse_of(kStatus, t); }
std::optional<Scenario> parse_scenario(std::string_view t) { return parse_of(kScenario, t); }
std::optional<ScenarioKind> parse_scenario_kind(std::string_view t) { return parse_of(kScenarioKind, t); }
std::optional<EnergyDomain> parse_energy_domain(std::string_view t) { return parse_of(kDomain, t); }
std::optional<EnergySource> parse_energy_source(std::string_view t) { return parse_of(kSource, t); }
std::optional<CooldownMode> parse_cooldown_mode(std::string_view t) { return parse_of(kCooldown, t); }

RunStatus run_status_from(std::string_view t, const std::string& w) { return parse_or_throw(kStatus, t, w); }
Scenario scenario_from(std::string_view t, const std::string& w) { return parse_or_throw(kScenario, t, w); }
ScenarioKind scenario_kind_from(std::string_view t, const std::string& w) {
  return parse_or_throw(kScenarioKind, t, w);
}
EnergyDomain energy_domain_from(std::string_view t, const std::string& w) { return parse_or_throw(kDomain, t, w); }
EnergySource energy_source_from(std::string_view t, const std::string& w) { return parse_or_throw(kSource, t, w); }
CooldownMode cooldown_mode_from(std::string_view t, const std::string& w) { return parse_or_throw(kCooldown, t, w); }

}  // namespace greentune
