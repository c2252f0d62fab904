#include "greentune/exec/overrides.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::exec {

void apply_overrides(study::StudyDefinition& def, const StudyOverrides& o) {
  if (!o.meter.empty()) def.meter = o.meter;
  if (o.cooldown_s) {
    if (!std::isfinite(*o.cooldown_s) || *o.cooldown_s < 0)
      throw usage_error("--cooldown must be a number of seconds >= 0 (got " + format_exact(*o.cooldown_s) + ")");
    def.cooldown.mode = CooldownMode::fixed;
    def.cooldown.seconds = *o.cooldown_s;
  }
}

StudyOverrides merge_overrides(const StudyOverrides& recorded, const StudyOverrides& given) {
  StudyOverrides m = recorded;
  if (!given.meter.empty()) m.meter = given.meter;
  if (given.cooldown_s) m.cooldown_s = given.cooldown_s;
  return m;
}

StudyOverrides recorded_overrides(store::StudyStore& st) {
  StudyOverrides o;
  auto text = st.meta("overrides");
  if (!text) return o;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
    if (j.contains("meter")) o.meter = j.at("meter").get<std::string>();
    if (j.contains("cooldown_s")) o.cooldown_s = j.at("cooldown_s").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw io_error(st.path() + ": meta 'overrides' is not readable (" + std::string(e.what()) + ")");
  }
  return o;
}

void record_overrides(store::StudyStore& st, const StudyOverrides& o) {
  if (o.empty()) return;
  StudyOverrides m = merge_overrides(recorded_overrides(st), o);
  nlohmann::json j = nlohmann::json::object();
  if (!m.meter.empty()) j["meter"] = m.meter;
  if (m.cooldown_s) j["cooldown_s"] = *m.cooldown_s;
  st.set_meta("overrides", j.dump());
}

std::string describe_overrides(const StudyOverrides& o) {
  std::string s;
  if (!o.meter.empty()) s += "--meter " + o.meter;
  if (o.cooldown_s) s += std::string(s.empty() ? "" : " ") + "--cooldown " + format_exact(*o.cooldown_s);
  return s;
}

}  // namespace greentune::exec
