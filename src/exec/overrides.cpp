#include "greentune/exec/overrides.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/text.hpp"
#include "greentune/energy/registry.hpp"

namespace greentune::exec {

namespace {

// auto | none | a comma list of the registry's backends (energy/registry.hpp, whose message this
// is: refused here before anything is created or recorded, not when the meter first opens).
void check_meter_name(const std::string& meter) {
  std::string known = "auto, none";
  for (const auto& b : energy::backend_registry()) known += std::string(", ") + b.name;
  for (const std::string& item : split(meter, ',')) {
    const std::string name = trim(item);
    if (name.empty()) continue;  // as the registry reads the list
    bool found = name == "auto" || name == "none";
    for (const auto& b : energy::backend_registry()) found = found || name == b.name;
    if (!found) throw usage_error("--meter " + name + ": unknown meter (known: " + known + ")");
  }
}

}  // namespace

void check_overrides(const StudyOverrides& o) {
  if (!o.meter.empty()) check_meter_name(o.meter);
  if (o.cooldown_s && (!std::isfinite(*o.cooldown_s) || *o.cooldown_s < 0))
    throw usage_error("--cooldown must be a number of seconds >= 0 (got " + format_exact(*o.cooldown_s) + ")");
}

void apply_overrides(study::StudyDefinition& def, const StudyOverrides& o) {
  check_overrides(o);
  if (!o.meter.empty()) def.meter = o.meter;
  if (o.cooldown_s) {
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

StudyOverrides settle_overrides(store::StudyStore& st, study::StudyDefinition& def, const StudyOverrides& given) {
  apply_overrides(def, given);  // refused (usage error) before anything is recorded
  record_overrides(st, given);
  StudyOverrides in_force = recorded_overrides(st);
  apply_overrides(def, in_force);
  return in_force;
}

std::vector<std::string> run_task_arguments(const StudyOverrides& in_force) {
  std::vector<std::string> args;
  if (in_force.cooldown_s) args.insert(args.end(), {"--cooldown", format_exact(*in_force.cooldown_s)});
  if (!in_force.meter.empty()) args.insert(args.end(), {"--meter", in_force.meter});
  return args;
}

}  // namespace greentune::exec
