#include "greentune/exec/run_progress.hpp"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

namespace greentune::exec {

std::optional<ProgressReport> parse_report_line(std::string_view line) {
  const auto b = line.find_first_not_of(" \t");
  if (b == std::string_view::npos || line[b] != '{' || line.find("\"greentune\"") == std::string_view::npos)
    return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line.substr(b));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!j.is_object()) return std::nullopt;
  auto g = j.find("greentune");
  auto e = j.find("epoch");
  auto m = j.find("metric");
  if (g == j.end() || *g != "report" || e == j.end() || m == j.end()) return std::nullopt;
  if (!e->is_number_integer() || !m->is_number()) return std::nullopt;
  const long long epoch = e->get<long long>();
  const double metric = m->get<double>();
  if (epoch < 1 || epoch > 1'000'000'000 || !std::isfinite(metric)) return std::nullopt;
  return ProgressReport{static_cast<int>(epoch), metric};
}

void ProgressParser::line(std::string_view text, std::vector<ProgressReport>& out) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  std::optional<ProgressReport> r = parse_report_line(text);
  if (!r && matcher_) r = matcher_(text);
  if (!r || r->epoch <= last_epoch_ || !std::isfinite(r->metric)) return;
  last_epoch_ = r->epoch;
  out.push_back(*r);
}

std::vector<ProgressReport> ProgressParser::feed(std::string_view bytes) {
  std::vector<ProgressReport> out;
  std::size_t start = 0;
  for (std::size_t nl = bytes.find('\n'); nl != std::string_view::npos; nl = bytes.find('\n', start)) {
    if (partial_.empty()) {
      line(bytes.substr(start, nl - start), out);
    } else {
      partial_.append(bytes.substr(start, nl - start));
      line(partial_, out);
      partial_.clear();
    }
    start = nl + 1;
  }
  // A line longer than 1 MiB is no report: keep only its start (enough to tell).
  if (partial_.size() < (1u << 20)) partial_.append(bytes.substr(start, (1u << 20) - partial_.size()));
  return out;
}

std::vector<ProgressReport> ProgressParser::finish() {
  std::vector<ProgressReport> out;
  if (!partial_.empty()) line(partial_, out);
  partial_.clear();
  return out;
}

std::string FileTail::read_new() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const long long size = static_cast<long long>(in.tellg());
  if (size <= offset_) return "";
  in.seekg(offset_);
  std::string out(static_cast<std::size_t>(size - offset_), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  offset_ += static_cast<long long>(out.size());
  return out;
}

}  // namespace greentune::exec
