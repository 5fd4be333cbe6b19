// StartChild's lookup of a command (posix_spawnp's) and the niceness its
// commands run at, through real exec probes.
#include "probes/child_process.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "probes/exec_probes.h"
#include "tests/probes/exec_runner.h"
#include "tests/probes/probe_runner.h"

namespace vigil {
namespace {

using testing::ExecSpec;
using testing::ProbeRunner;

TEST(ExecCandidatesTest, ANameWithoutASlashIsLookedForInEachDirectoryOfThePath) {
  EXPECT_EQ(ExecCandidates("check", "/usr/local/bin:/bin"),
            (std::vector<std::string>{"/usr/local/bin/check", "/bin/check"}));
  // An empty entry, leading, inner or trailing, is the current directory.
  EXPECT_EQ(ExecCandidates("check", ":/bin::"),
            (std::vector<std::string>{"check", "/bin/check", "check", "check"}));
  // glibc's default path when PATH is unset.
  EXPECT_EQ(ExecCandidates("check", nullptr),
            (std::vector<std::string>{"/bin/check", "/usr/bin/check"}));
}

TEST(ExecCandidatesTest, ANameWithASlashIsItsOwnAndAnEmptyOneHasNone) {
  EXPECT_EQ(ExecCandidates("./check", "/bin"), (std::vector<std::string>{"./check"}));
  EXPECT_EQ(ExecCandidates("/opt/x/check", "/bin"), (std::vector<std::string>{"/opt/x/check"}));
  EXPECT_TRUE(ExecCandidates("", "/bin").empty());
}

class ChildProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) / ("vigil-child-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ / "first");
    std::filesystem::create_directories(dir_ / "second");
    const char* path = getenv("PATH");
    saved_path_ = path != nullptr ? path : "";
  }
  void TearDown() override {
    setenv("PATH", saved_path_.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }
  void Script(const std::filesystem::path& file, const std::string& body, mode_t mode) {
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    chmod(file.c_str(), mode);
  }
  std::filesystem::path dir_;
  std::string saved_path_;
};

TEST_F(ChildProcessTest, ACommandNotExecutableInOneDirectoryIsRunFromTheNext) {
  Script(dir_ / "first" / "vigil-check", "echo first", 0644);
  Script(dir_ / "second" / "vigil-check", "echo second", 0755);
  // The probe is prepared with the PATH of its time.
  setenv("PATH", ((dir_ / "first").string() + ":" + (dir_ / "second").string()).c_str(), 1);
  ProbeRunner runner;
  const ProbeResult result = runner.Run(ExecSpec({"vigil-check"}));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.message, "second\n");
}

TEST_F(ChildProcessTest, ACommandFoundButNeverExecutableIsDenied) {
  Script(dir_ / "first" / "vigil-check", "echo first", 0644);
  setenv("PATH", ((dir_ / "first").string() + ":" + (dir_ / "second").string()).c_str(), 1);
  ProbeRunner runner;
  const ProbeResult result = runner.Run(ExecSpec({"vigil-check"}));
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "fork/exec vigil-check: permission denied");
}

TEST(ChildNicenessTest, CommandsRunNicerThanTheProbeLoop) {
  // The loop thread inherits this thread's niceness; nice(1) prints its own.
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  ProbeRunner runner;
  const ProbeResult result = runner.Run(ExecSpec({"nice"}));
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.message,
            std::to_string(std::min(19, own + ExecProbes::kCommandNiceness)) + "\n");
  // What the command starts inherits it.
  const ProbeResult shell = runner.Run(testing::ShellSpec("nice"));
  EXPECT_EQ(shell.message, result.message);
}

}  // namespace
}  // namespace vigil
