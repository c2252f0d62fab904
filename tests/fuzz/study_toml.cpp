// Fuzz target: the study definition (study/study_definition.hpp), TOML as `greentune study
// FILE.toml` reads it. Only greentune's one-line input errors may escape.
#include <string>

#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/study/study_definition.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    study::StudyDefinition def = study::parse_study(text, "fuzz.toml", "/nonexistent-greentune-fuzz");
    for (const auto& m : def.models)
      if (def.find_model(m.name) == nullptr) fuzz::violated("a parsed model is not found by its name", m.name);
  } catch (const Error&) {
  }
  return 0;
}
