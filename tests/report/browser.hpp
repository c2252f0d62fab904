#pragma once
// Headless Chromium for the report tests: load a page, collect its console messages and
// the DOM it parsed, take a screenshot and measure it (tests/report/png_stats.py).
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "greentune/core/subprocess.hpp"

namespace greentune::report::fixture {

inline std::optional<std::string> chromium_path() {
  if (const char* env = std::getenv("GREENTUNE_CHROMIUM"); env && *env) return std::string(env);
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(p)) return std::string(p);
  return std::nullopt;
}

struct BrowserResult {
  SubprocessResult process;
  std::vector<std::string> console;  // console messages (errors, warnings, logs, CSP violations)
  std::string dom;                   // --dump-dom output
};

// Runs Chromium headless on file `page` with one action: "--dump-dom" or "--screenshot=PNG".
inline BrowserResult run_chromium(const std::filesystem::path& page, const std::string& action,
                                  const std::filesystem::path& profile, const std::string& window = "1000,1400") {
  std::filesystem::remove_all(profile);
  SubprocessOptions o;
  o.argv = {*chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + profile.string(),
            "--enable-logging=stderr", "--v=0", "--window-size=" + window, action,
            "file://" + std::filesystem::absolute(page).string()};
  o.timeout_s = 90;
  BrowserResult r;
  r.process = run_subprocess(o);
  std::istringstream err(r.process.stderr_text);
  for (std::string line; std::getline(err, line);)
    if (line.find(":CONSOLE") != std::string::npos || line.find("CONSOLE(") != std::string::npos)
      r.console.push_back(line);
  if (action == "--dump-dom") r.dom = r.process.stdout_text;
  return r;
}

struct PngStats {
  int width = 0, height = 0;
  double non_background_fraction = 0, dark_fraction = 0, saturated_fraction = 0;
  int distinct_colors = 0;
};

inline PngStats png_stats(const std::filesystem::path& png) {
  SubprocessOptions o;
  o.argv = {"/usr/bin/python3", std::string(GREENTUNE_SOURCE_DIR) + "/tests/report/png_stats.py", png.string()};
  o.timeout_s = 120;
  auto r = run_subprocess(o);
  if (!r.ok()) throw std::runtime_error("png_stats.py failed: " + r.describe() + ": " + r.stderr_text);
  auto j = nlohmann::json::parse(r.stdout_text);
  PngStats s;
  s.width = j.at("width");
  s.height = j.at("height");
  s.non_background_fraction = j.at("non_background_fraction");
  s.dark_fraction = j.at("dark_fraction");
  s.saturated_fraction = j.at("saturated_fraction");
  s.distinct_colors = j.at("distinct_colors");
  return s;
}

// A screenshot of a rendered page: text and rules on a background, in several colours.
inline bool looks_rendered(const PngStats& s) {
  return s.non_background_fraction > 0.03 && s.dark_fraction > 0.003 && s.distinct_colors >= 12;
}

}  // namespace greentune::report::fixture
