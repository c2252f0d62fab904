#include "greentune/core/train_result.hpp"

#include "greentune/core/error.hpp"
#include "greentune/core/json_integer.hpp"

namespace greentune {

using nlohmann::json;

static json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

// "lr": a number for one parameter group, an array for several.
static json history_json(const std::vector<EpochRecord>& history) {
  json out = json::array();
  for (const auto& e : history) {
    json j = {{"epoch", e.epoch}};
    if (e.layer > 0) j["layer"] = e.layer;
    j["lr"] = e.lr.size() == 1 ? json(e.lr[0]) : json(e.lr);
    j["train_loss"] = optional_number(e.train_loss);
    j["metric"] = optional_number(e.metric);
    j["seconds"] = e.seconds;
    out.push_back(std::move(j));
  }
  return out;
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
      {"history", history_json(r.history)},
      {"extra_metrics", r.extra_metrics},
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
    if (j.contains("extra_metrics") && j.at("extra_metrics").is_object())
      for (const auto& [k, v] : j.at("extra_metrics").items()) r.extra_metrics[k] = v.get<double>();
    if (j.contains("history") && j.at("history").is_array()) {
      for (const json& h : j.at("history")) {
        EpochRecord e;
        e.epoch = json_integer<long long>(h.at("epoch"), "train result: history epoch");
        e.layer = json_integer(h, "layer", 0LL, "train result: history ");
        if (h.contains("lr") && h.at("lr").is_number()) e.lr = {h.at("lr").get<double>()};
        if (h.contains("lr") && h.at("lr").is_array()) e.lr = h.at("lr").get<std::vector<double>>();
        e.train_loss = read_optional(h, "train_loss");
        e.metric = read_optional(h, "metric");
        e.seconds = h.value("seconds", 0.0);
        r.history.push_back(std::move(e));
      }
    }
  } catch (const json::exception& e) {
    throw input_error(std::string("train result: ") + e.what());
  }
  return r;
}

}  // namespace greentune
