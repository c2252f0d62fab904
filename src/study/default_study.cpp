// The embedded default study: src/exec/default_study.toml.inc (TOML inside a raw string).
#include <string>

#include "greentune/study/study_definition.hpp"

namespace greentune::study {

const std::string& default_study_text() {
  static const std::string text =
#include "default_study.toml.inc"
      ;
  return text;
}

}  // namespace greentune::study
