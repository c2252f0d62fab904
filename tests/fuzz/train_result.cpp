// Fuzz target: the trainer's result JSON (core/train_result.hpp) as the study runner reads a
// built-in model's stdout: each line starting with '{' is parsed; train_result_from_json
// may throw only greentune's input_error. A result read back must survive to_json and back.
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/train_result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // not JSON: the runner skips it too
    }
    TrainResult r;
    try {
      r = train_result_from_json(j);
    } catch (const Error&) {
      continue;
    }
    try {
      TrainResult back = train_result_from_json(to_json(r));
      if (back.model != r.model || back.hyperparameters.size() != r.hyperparameters.size() ||
          back.history.size() != r.history.size())
        fuzz::violated("to_json / train_result_from_json round trip changed the result", line);
    } catch (const Error& e) {
      fuzz::violated("to_json of a read result does not read back", e.what());
    }
  }
  return 0;
}
