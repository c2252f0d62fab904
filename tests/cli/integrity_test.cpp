// A damaged study.db (truncated, overwritten): every command that reads or continues the
// study says so in one line instead of failing later or reporting partial data as whole.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/greentune_cli.hpp"
#include "greentune/core/subprocess.hpp"

using namespace greentune;

namespace {

using greentune::testing::run_greentune;

void expect_damaged(const std::vector<std::string>& args, const std::string& db) {
  SubprocessResult r = run_greentune(args);
  std::string cmd = args.front();
  EXPECT_EQ(r.exit_code, 4) << cmd << ": " << r.stderr_text;
  EXPECT_EQ(r.stderr_text.rfind("greentune: error: " + db + ": damaged database (SQLite: ", 0), 0u)
      << cmd << ": " << r.stderr_text;
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << cmd << ": " << r.stderr_text;
  EXPECT_EQ(r.stdout_text.find("run"), std::string::npos) << cmd << " printed data: " << r.stdout_text;
}

}  // namespace

TEST(Integrity, TruncatedOrOverwrittenDatabaseIsNamedDamagedByEveryCommand) {
  std::string dir = greentune::testing::make_temp_dir("integrity");
  {
    std::ofstream(dir + "/model.sh") << "#!/bin/sh\necho \"acc=$1\"\n";
    ::chmod((dir + "/model.sh").c_str(), 0755);
    std::ofstream(dir + "/s.toml") << R"T(
name = "integrity"
repetitions = 20
cooldown = 0
meter = "estimate"
governor = "keep"
[[models]]
name = "m"
command = "./model.sh {lr}"
metric_regex = "acc=([0-9.]+)"
operators = [{hyperparameter = "lr", values = [0.5, 0.75]}]
hyperparameters = {lr = 0.25}
)T";
  }
  std::string out = dir + "/out", db = out + "/study.db";
  auto r = run_greentune({"study", dir + "/s.toml", "-o", out, "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  ASSERT_EQ(run_greentune({"export", db}).exit_code, 0);
  auto size = std::filesystem::file_size(db);
  ASSERT_GT(size, 8192u);
  std::string whole;
  {
    std::ifstream in(db, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::vector<std::string> damages = {"truncated", "overwritten"};
  for (const auto& how : damages) {
    SCOPED_TRACE(how);
    {
      std::ofstream f(db, std::ios::binary | std::ios::trunc);
      if (how == "truncated") f << whole.substr(0, whole.size() / 2);
      else f << "name,value\nnot,a database\n";
    }
    expect_damaged({"status", out}, db);
    expect_damaged({"export", db, "--format", "csv"}, db);
    expect_damaged({"analyze", db}, db);
    expect_damaged({"report", db, "-o", dir + "/report"}, db);
    expect_damaged({"study", "--resume", out, "--progress", "none"}, db);
    // Nothing was written to it.
    EXPECT_LT(std::filesystem::file_size(db), size);
  }
}
