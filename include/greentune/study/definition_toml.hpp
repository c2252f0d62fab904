#pragma once
// A definition file's TOML parsed once: for files that extend the study format (tune files),
// which read their own tables from the same parse as parse_study (study_definition.hpp).
#include <string>

#include <toml++/toml.h>

#include "greentune/study/study_definition.hpp"

namespace greentune::study {

// The file's TOML; input_error "SOURCE:LINE: what" on a syntax error.
toml::table parse_definition_toml(const std::string& text, const std::string& source_name);
// parse_study on an already parsed file (text: the file as given, kept in the definition).
StudyDefinition parse_study_table(const toml::table& root, const std::string& text, const std::string& source_name,
                                  const std::string& base_dir, const ParseExtensions& extensions);

}  // namespace greentune::study
