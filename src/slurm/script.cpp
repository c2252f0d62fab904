// Slurm, the submission side that needs no cluster: array specs (which task ids one job array
// covers) and the batch script that runs them, and sbatch's answer (slurm/script.hpp).
#include <algorithm>
#include <cctype>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/text.hpp"
#include "greentune/slurm/script.hpp"

namespace greentune::slurm {

// ---------------------------------------------------------------- array specs

std::string compress_ids(std::vector<long long> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out;
  size_t i = 0;
  while (i < ids.size()) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ids[i]);
    if (j > i) out += '-' + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<long long> expand_ids(const std::string& spec_in) {
  std::string spec = trim(spec_in);
  auto pct = spec.find('%');
  if (pct != std::string::npos) spec = spec.substr(0, pct);
  if (!spec.empty() && spec.front() == '[') {
    if (spec.back() != ']') throw input_error("array spec '" + spec_in + "': unbalanced '['");
    spec = spec.substr(1, spec.size() - 2);
  }
  std::vector<long long> out;
  if (spec.empty()) return out;
  for (const std::string& part : split(spec, ',')) {
    auto dash = part.find('-');
    long long a = 0, b = 0;
    if (dash == std::string::npos) {
      if (!parse_whole_number(part, a) || a < 0) throw input_error("array spec '" + spec_in + "': bad element '" + part + "'");
      out.push_back(a);
      continue;
    }
    std::string range = part;
    long long step = 1;
    auto colon = range.find(':');
    if (colon != std::string::npos) {
      if (!parse_whole_number(range.substr(colon + 1), step) || step < 1)
        throw input_error("array spec '" + spec_in + "': bad step in '" + part + "'");
      range = range.substr(0, colon);
      dash = range.find('-');
    }
    if (!parse_whole_number(range.substr(0, dash), a) || !parse_whole_number(range.substr(dash + 1), b) || a < 0 || b < a)
      throw input_error("array spec '" + spec_in + "': bad range '" + part + "'");
    for (long long v = a; v <= b; v += step) out.push_back(v);
  }
  return out;
}

std::vector<long long> ArrayChunk::task_ids() const {
  std::vector<long long> out;
  out.reserve(indices.size());
  for (long long i : indices) out.push_back(base + i);
  return out;
}

std::vector<ArrayChunk> split_into_arrays(std::vector<long long> task_ids, long long max_array_size) {
  if (max_array_size < 2) max_array_size = 2;
  std::sort(task_ids.begin(), task_ids.end());
  task_ids.erase(std::unique(task_ids.begin(), task_ids.end()), task_ids.end());
  std::vector<ArrayChunk> out;
  for (long long id : task_ids) {
    // Indices must stay in [0, max_array_size - 1]; windows of that width, aligned.
    long long base = (id / max_array_size) * max_array_size;
    if (out.empty() || out.back().base != base) out.push_back(ArrayChunk{base, {}});
    out.back().indices.push_back(id - base);
  }
  return out;
}

// ---------------------------------------------------------------- the batch script

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string make_batch_script(const BatchScript& spec) {
  const SlurmOptions& o = spec.options;
  if (o.greentune_bin.empty() || o.greentune_bin.front() != '/')
    throw usage_error("the greentune executable for Slurm tasks must be an absolute path (got '" +
                      o.greentune_bin + "')");
  if (spec.study_dir.empty() || spec.study_dir.front() != '/')
    throw usage_error("the study folder for Slurm tasks must be an absolute path (got '" + spec.study_dir + "')");
  for (const std::string* p : {&spec.study_dir, &spec.log_dir})
    if (p->find_first_of("\"\n%") != std::string::npos)
      throw usage_error("the study folder '" + *p + "' contains a double quote, '%' or a newline, which sbatch cannot take");
  if (spec.chunk.indices.empty()) throw usage_error("no tasks to submit");
  for (const std::string& a : o.sbatch_args) {
    if (a.find('\n') != std::string::npos) throw usage_error("--sbatch-arg '" + a + "' contains a newline");
    if (a.empty() || a.front() != '-') throw usage_error("--sbatch-arg '" + a + "' is not an sbatch option (must start with '-')");
  }
  if (o.partition.find_first_of(" \t\n'\"") != std::string::npos)
    throw usage_error("--partition '" + o.partition + "' contains blanks or quotes");

  std::string array = compress_ids(spec.chunk.indices);
  if (o.max_parallel > 0) array += "%" + std::to_string(o.max_parallel);
  std::string name = o.job_name;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';

  std::ostringstream s;
  s << "#!/bin/sh\n";
  s << "#SBATCH --job-name=" << name << "\n";
  s << "#SBATCH --array=" << array << "\n";
  // sbatch reads double-quoted directive values, so folders may contain blanks.
  s << "#SBATCH --output=\"" << spec.log_dir << "/%A_%a.out\"\n";
  s << "#SBATCH --error=\"" << spec.log_dir << "/%A_%a.err\"\n";
  s << "#SBATCH --chdir=\"" << spec.study_dir << "\"\n";
  s << "#SBATCH --nodes=1\n";
  s << "#SBATCH --ntasks=1\n";
  if (o.exclusive) s << "#SBATCH --exclusive\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  for (const std::string& a : o.sbatch_args) s << "#SBATCH " << a << "\n";
  s << "#\n";
  s << "# Generated by greentune for study '" << spec.study_name << "' (" << spec.study_dir << ").\n";
  s << "# Array element i performs task " << spec.chunk.base << " + i: one run, or a parallel set that\n";
  s << "# shares this node. The task cools down, runs, and writes its result into\n";
  s << "# " << spec.study_dir << "/results/ (atomically); `greentune collect` merges them.\n";
  s << "task=$((" << spec.chunk.base << " + SLURM_ARRAY_TASK_ID))\n";
  s << "exec " << shell_quote(o.greentune_bin) << " run-task --study-dir " << shell_quote(spec.study_dir)
    << " --task \"$task\"";
  for (const std::string& a : o.run_task_args) s << " " << shell_quote(a);
  s << "\n";
  return s.str();
}

long long parse_sbatch_job_id(const std::string& output) {
  for (const std::string& line : nonempty_lines(output)) {
    std::string first = split(line, ';')[0];
    long long id = 0;
    if (parse_whole_number(first, id) && id > 0) return id;
  }
  throw runtime_error("could not read a job id from sbatch's output '" + trim(output) + "'");
}

}  // namespace greentune::slurm
