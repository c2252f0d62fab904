// The study, status and export subcommands through the real executable.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "greentune/core/subprocess.hpp"

using namespace greentune;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/greentune-cli-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp");
  return d;
}

void write(const std::string& path, const std::string& text, bool exec = false) {
  std::ofstream(path) << text;
  if (exec) ::chmod(path.c_str(), 0755);
}

SubprocessResult gt(std::vector<std::string> args, const std::string& cwd = "") {
  SubprocessOptions o;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.working_dir = cwd;
  o.timeout_s = 120;
  return run_subprocess(o);
}

}  // namespace

TEST(StudyCli, DryRunOfTheEmbeddedDefaultPrintsThePlanAndAnEstimate) {
  auto r = gt({"study", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("study 'quick'"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("model mnist_cnn"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("estimated duration:"), std::string::npos);
  auto d = gt({"study", "--print-default"});
  ASSERT_EQ(d.exit_code, 0);
  EXPECT_NE(d.stdout_text.find("[[models]]"), std::string::npos);
  // The printed default is a valid study file.
  std::string dir = temp_dir();
  write(dir + "/default.toml", d.stdout_text);
  auto again = gt({"study", dir + "/default.toml", "--dry-run"});
  EXPECT_EQ(again.exit_code, 0) << again.stderr_text;
}

TEST(StudyCli, BadStudyFileIsAOneLineErrorNamingFileLineAndKey) {
  std::string dir = temp_dir();
  write(dir + "/bad.toml", "name = \"x\"\nrepetitions = 0\n[[models]]\nname = \"mnist_cnn\"\n");
  auto r = gt({"study", dir + "/bad.toml", "-o", dir + "/out"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.stderr_text, "greentune: error: " + dir + "/bad.toml:2: repetitions: 0 is outside [1, 100000]\n");
  struct stat st {};
  EXPECT_NE(::stat((dir + "/out").c_str(), &st), 0) << "nothing is created for a bad file";
  auto missing = gt({"study", dir + "/missing.toml"});
  EXPECT_EQ(missing.exit_code, 4);
  auto flags = gt({"study", "--partition", "p", "--dry-run"});
  EXPECT_EQ(flags.exit_code, 2) << "slurm-only flags without --executor slurm";
  auto resume = gt({"study", "--resume", dir + "/nowhere"});
  EXPECT_EQ(resume.exit_code, 4);
  EXPECT_NE(resume.stderr_text.find("no study at"), std::string::npos) << resume.stderr_text;
}

TEST(StudyCli, StudyStatusAndExportOfAnExternalModel) {
  std::string dir = temp_dir();
  write(dir + "/model.sh", "#!/bin/sh\necho \"acc=$1\"\n", true);
  write(dir + "/s.toml", R"T(
name = "cli"
repetitions = 2
cooldown = 0
meter = "estimate"
[[models]]
name = "m"
command = "./model.sh {lr}"
metric_regex = "acc=([0-9.e+-]+)"
operators = [{hyperparameter = "lr", values = [0.5]}]
hyperparameters = {lr = 0.1}
)T");
  auto r = gt({"study", "s.toml", "-o", "out", "--progress", "log"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("4 succeeded"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("greentune report out/study.db -o out/report"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stderr_text.find("[4/4]"), std::string::npos) << r.stderr_text;  // log lines, not a live line

  auto s = gt({"status", dir + "/out/study.db"});
  ASSERT_EQ(s.exit_code, 0) << s.stderr_text;
  EXPECT_NE(s.stdout_text.find("runs: 4/4 done"), std::string::npos) << s.stdout_text;

  auto csv = gt({"export", dir + "/out", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.stderr_text;
  EXPECT_EQ(csv.stdout_text.rfind("model,scenario,corunner,operator,repetition,hp.lr,cpu_package_j,dram_j,gpu_j,"
                                  "duration_s,performance",
                                  0),
            0u)
      << csv.stdout_text.substr(0, 200);
  EXPECT_NE(csv.stdout_text.find("\nm,single,,lr,"), std::string::npos);
  auto js = gt({"export", dir + "/out/study.db", "-f", "json", "-o", dir + "/runs.json"});
  ASSERT_EQ(js.exit_code, 0) << js.stderr_text;
  std::ifstream in(dir + "/runs.json");
  auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j.at("runs").size(), 4u);
  for (const auto& run : j.at("runs")) {
    EXPECT_EQ(run.at("status"), "succeeded");
    EXPECT_EQ(run.at("performance").get<double>(), run.at("hp").at("lr").get<double>());
    EXPECT_TRUE(run.at("gpu_j").is_null());
  }
  auto bad = gt({"export", dir + "/out", "--format", "xml"});
  EXPECT_EQ(bad.exit_code, 2);
  // A second study into the same directory is refused; nothing stored is lost.
  auto again = gt({"study", "s.toml", "-o", "out"}, dir);
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_NE(again.stderr_text.find("already holds a study"), std::string::npos) << again.stderr_text;
  auto s2 = gt({"status", dir + "/out"});
  EXPECT_NE(s2.stdout_text.find("runs: 4/4 done"), std::string::npos);
}
