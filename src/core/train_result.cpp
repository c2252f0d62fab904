#include "greentune/core/train_result.hpp"

#include "greentune/core/error.hpp"
#include "greentune/core/json_integer.hpp"

namespace greentune {

using nlohmann::json;

static json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

json to_json(const TrainResult& r) {
  json hps = json::object();
  for (const auto& [k, v] : r.hyperparameters) hps[k] = v;
  return json{
      {"model", r.model},
      {"hyperparameters", hps},
      {"metric", {{"name", r.metric}, {"value", optional_number(r.performance)},
                  {"higher_is_better", r.higher_is_better}}},
      {"final_train_loss", optional_number(r.final_train_loss)},
      {"epochs_completed", r.epochs_completed},
      {"wall_time_s", r.wall_time_s},
      {"status", r.status},
      {"reason", r.reason},
      {"dataset", {{"name", r.dataset.name}, {"path", r.dataset.path},
                   {"substitute_for", r.dataset.substitute_for}, {"note", r.dataset.note},
                   {"train_samples", r.dataset.train_samples},
                   {"test_samples", r.dataset.test_samples}}},
      {"device", r.device},
      {"torch_version", r.torch_version},
      {"cpu_threads", r.cpu_threads},
  };
}

static std::optional<double> read_optional(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  if (!j.at(key).is_number()) throw input_error(std::string("train result: '") + key + "' is not a number");
  return j.at(key).get<double>();
}

TrainResult train_result_from_json(const json& j) {
  if (!j.is_object()) throw input_error("train result: expected a JSON object");
  TrainResult r;
  try {
    r.model = j.at("model").get<std::string>();
    for (const auto& [k, v] : j.at("hyperparameters").items()) r.hyperparameters[k] = v.get<double>();
    const json& m = j.at("metric");
    r.metric = m.at("name").get<std::string>();
    r.higher_is_better = m.value("higher_is_better", true);
    r.performance = read_optional(m, "value");
    r.final_train_loss = read_optional(j, "final_train_loss");
    r.epochs_completed = json_integer(j, "epochs_completed", 0LL, "train result: ");
    r.wall_time_s = j.value("wall_time_s", 0.0);
    r.status = j.value("status", std::string("ok"));
    r.reason = j.value("reason", std::string());
    if (j.contains("dataset") && j.at("dataset").is_object()) {
      const json& d = j.at("dataset");
      r.dataset.name = d.value("name", std::string());
      r.dataset.path = d.value("path", std::string());
      r.dataset.substitute_for = d.value("substitute_for", std::string());
      r.dataset.note = d.value("note", std::string());
      r.dataset.train_samples = json_integer(d, "train_samples", 0LL, "train result: dataset.");
      r.dataset.test_samples = json_integer(d, "test_samples", 0LL, "train result: dataset.");
    }
    r.device = j.value("device", std::string("cpu"));
    r.torch_version = j.value("torch_version", std::string());
    r.cpu_threads = json_integer(j, "cpu_threads", 0, "train result: ");
  } catch (const json::exception& e) {
    throw input_error(std::string("train result: ") + e.what());
  }
  return r;
}

}  // namespace greentune
