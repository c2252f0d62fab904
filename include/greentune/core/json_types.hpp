#pragma once
// nlohmann::json conversions for the run model (core/run_model.hpp) and std::optional, so that
// structures holding them are written and read with nlohmann's own machinery (json(x),
// j.get<T>(), NLOHMANN_DEFINE_TYPE_* macros):
//   - an enum is its text spelling (to_string); reading any other text is an input_error naming
//     the kind and the choices;
//   - an EnergySource reads a text it does not know as unknown (older versions wrote a window
//     meter's backend name, such as "nvml", for a domain it never read);
//   - an empty std::optional is null, and null (or a missing key read with a default) is empty.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "greentune/core/run_model.hpp"

namespace greentune {

inline void to_json(nlohmann::json& j, RunStatus v) { j = to_string(v); }
inline void to_json(nlohmann::json& j, Scenario v) { j = to_string(v); }
inline void to_json(nlohmann::json& j, ScenarioKind v) { j = to_string(v); }
inline void to_json(nlohmann::json& j, EnergyDomain v) { j = to_string(v); }
inline void to_json(nlohmann::json& j, EnergySource v) { j = to_string(v); }
inline void to_json(nlohmann::json& j, CooldownMode v) { j = to_string(v); }

inline void from_json(const nlohmann::json& j, RunStatus& v) { v = run_status_from(j.get<std::string>(), "status"); }
inline void from_json(const nlohmann::json& j, Scenario& v) { v = scenario_from(j.get<std::string>(), "scenario"); }
inline void from_json(const nlohmann::json& j, ScenarioKind& v) {
  v = scenario_kind_from(j.get<std::string>(), "scenario kind");
}
inline void from_json(const nlohmann::json& j, EnergyDomain& v) {
  v = energy_domain_from(j.get<std::string>(), "domain");
}
inline void from_json(const nlohmann::json& j, EnergySource& v) {
  v = parse_energy_source(j.get<std::string>()).value_or(EnergySource::unknown);
}
inline void from_json(const nlohmann::json& j, CooldownMode& v) {
  v = cooldown_mode_from(j.get<std::string>(), "cool-down mode");
}

}  // namespace greentune

#if NLOHMANN_JSON_VERSION_MAJOR == 3 && NLOHMANN_JSON_VERSION_MINOR < 12  // 3.12 converts std::optional itself
namespace nlohmann {
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v) j = *v;
    else j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null()) v.reset();
    else v = j.get<T>();
  }
};
}  // namespace nlohmann
#endif
