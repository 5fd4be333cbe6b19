// Exec probes as child processes of the engine: what they get (environment,
// stdin, descriptors), what is left after them (nothing: no process of the
// command's group, no zombie, no descriptor), and what a hostile command
// costs (10 MB of output: no memory).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/probes/exec_runner.h"
#include "tests/probes/probe_runner.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using testing::ExecSpec;
using ::testing::HasSubstr;
using testing::ProbeRunner;
using testing::ShellSpec;
using testing::WaitUntil;
using namespace std::chrono_literals;

class ExecProbeTest : public ::testing::Test {
 protected:
  std::string TempFile(const std::string& name) {
    return (std::filesystem::path(::testing::TempDir()) /
            ("vigil-exec-" + std::to_string(getpid()) + "-" + name))
        .string();
  }
  ProbeRunner runner_;
};

TEST_F(ExecProbeTest, TheEnvironmentNamesTheEndpointOnTopOfTheAgents) {
  setenv("VIGIL_TEST_INHERITED", "kept", 1);
  setenv("VIGIL_SERVICE", "overridden", 1);
  ProbeSpec spec = ShellSpec(
      "echo \"$VIGIL_SERVICE $VIGIL_ENDPOINT $VIGIL_ENDPOINT_ADDRESS $VIGIL_ENDPOINT_PORT "
      "$VIGIL_TEST_INHERITED\"");
  spec.environment = {"VIGIL_SERVICE=web", "VIGIL_ENDPOINT=[fd00::1]:8080",
                      "VIGIL_ENDPOINT_ADDRESS=fd00::1", "VIGIL_ENDPOINT_PORT=8080"};
  const ProbeResult result = runner_.Run(spec);
  unsetenv("VIGIL_TEST_INHERITED");
  unsetenv("VIGIL_SERVICE");
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, "web [fd00::1]:8080 fd00::1 8080 kept\n");
}

TEST_F(ExecProbeTest, StdinIsAtItsEnd) {
  // cat copies stdin: from /dev/null it ends at once, with nothing.
  ProbeSpec spec = ExecSpec({"cat"});
  spec.timeout = 10s;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, "");
  EXPECT_LT(result.latency, 5s);
  const ProbeResult read = runner_.Run(ShellSpec("if read line; then echo got; else echo eof; fi"));
  EXPECT_EQ(read.message, "eof\n");
}

TEST_F(ExecProbeTest, TheChildHoldsNoDescriptorOfTheAgentsBeyondItsThree) {
  // A descriptor the agent opened without CLOEXEC stays out of the child too.
  const int leaky = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  const ProbeResult result = runner_.Run(ExecSpec({"ls", "/proc/self/fd"}));
  close(leaky);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  // ls's own: 0, 1, 2 and the directory it reads.
  std::istringstream fds(result.message);
  std::vector<int> numbers;
  for (int fd; fds >> fd;) numbers.push_back(fd);
  ASSERT_GE(numbers.size(), 3u) << result.message;
  EXPECT_THAT(numbers, ::testing::IsSupersetOf({0, 1, 2}));
  EXPECT_LE(numbers.size(), 4u) << result.message;
}

TEST_F(ExecProbeTest, SignalsAreAtTheirDefaultsAndUnblocked) {
  // The agent blocks its stop signals in its threads; its children must not inherit that.
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  ProbeRunner runner;  // its loop thread inherits the mask
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const ProbeResult result = runner.Run(ShellSpec("grep -E '^Sig(Blk|Ign)' /proc/self/status"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_THAT(result.message, HasSubstr("SigBlk:\t0000000000000000"));
  // Of the standard signals (1-31) none is ignored, SIGPIPE included; glibc
  // itself keeps its two internal real-time signals (32, 33) ignored.
  const size_t at = result.message.find("SigIgn:\t");
  ASSERT_NE(at, std::string::npos);
  const unsigned long long ignored = std::stoull(result.message.substr(at + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & 0x7fffffffULL, 0u) << result.message;
}

TEST_F(ExecProbeTest, TheCommandLeadsAProcessGroupOfItsOwn) {
  const ProbeResult result = runner_.Run(ShellSpec("ps -o pid=,pgid= -p $$"));
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  std::istringstream ids(result.message);
  pid_t pid = 0;
  pid_t group = 0;
  ids >> pid >> group;
  EXPECT_GT(pid, 0);
  EXPECT_EQ(pid, group);
  EXPECT_NE(group, getpgrp());
}

TEST_F(ExecProbeTest, ATimeoutKillsTheWholeGroupGrandchildrenIncluded) {
  const std::string pids = TempFile("pids");
  // The shell starts a grandchild, writes both pids, and waits for ever.
  ProbeSpec spec = ShellSpec("sleep 1000 & echo $$ $! > " + pids + "; wait");
  spec.timeout = 500ms;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  std::ifstream in(pids);
  pid_t shell = 0;
  pid_t grandchild = 0;
  in >> shell >> grandchild;
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(WaitUntil([&] { return testing::Dead(grandchild) && testing::Dead(shell); }, 10s))
      << "the grandchild " << grandchild << " survived its probe";
  // The shell, the engine's child, is reaped: no zombie is left.
  EXPECT_TRUE(WaitUntil([&] { return testing::Children().empty(); }, 10s));
  std::filesystem::remove(pids);
}

TEST_F(ExecProbeTest, WhatTheCommandLeftRunningGoesWhenItExits) {
  const std::string pids = TempFile("left");
  const ProbeResult result =
      runner_.Run(ShellSpec("sleep 1000 >/dev/null 2>&1 & echo $! > " + pids + "; exit 3"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "command terminated with exit code 3");
  std::ifstream in(pids);
  pid_t grandchild = 0;
  in >> grandchild;
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(WaitUntil([&] { return testing::Dead(grandchild); }, 10s));
  std::filesystem::remove(pids);
}

TEST_F(ExecProbeTest, ADeathBySignalIsAFailure) {
  const ProbeResult result = runner_.Run(ShellSpec("echo dying; kill -SEGV $$"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kExit);
  EXPECT_EQ(result.message, "dying\ncommand terminated by signal SIGSEGV");
}

TEST_F(ExecProbeTest, TenMegabytesOfOutputCostNoMemory) {
  // Read and dropped past 10 KiB: the child never blocks on a full pipe,
  // the agent keeps 10 KiB.
  const long before = testing::ResidentKib();
  const ProbeResult result = runner_.Run(ShellSpec("head -c 10000000 /dev/zero | tr '\\0' x"));
  const long after = testing::ResidentKib();
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, std::string(10 * 1024, 'x'));
  EXPECT_LT(after - before, 4 * 1024) << "resident memory grew by " << after - before << " KiB";
}

TEST_F(ExecProbeTest, OutputThatIsNotUtf8IsMadeValid) {
  const ProbeResult result = runner_.Run(ShellSpec("printf 'ok \\377\\376 end'; exit 1"));
  EXPECT_EQ(result.message, "ok \xef\xbf\xbd\xef\xbf\xbd end\ncommand terminated with exit code 1");
}

TEST_F(ExecProbeTest, AThousandProbesLeaveNoZombieAndNoDescriptor) {
  // One to warm up whatever the first probe allocates for good.
  ASSERT_EQ(runner_.Run(ExecSpec({"true"})).outcome, ProbeOutcome::kSuccess);
  const size_t descriptors = testing::OpenDescriptors();
  std::vector<ProbeSpec> specs;
  for (int i = 0; i < 100; ++i)
    specs.push_back(i % 2 == 0 ? ExecSpec({"true"}) : ExecSpec({"false"}));
  for (int round = 0; round < 10; ++round) {
    const std::vector<ProbeResult> results = runner_.RunAll(specs);
    for (size_t i = 0; i < results.size(); ++i) {
      ASSERT_EQ(results[i].outcome, i % 2 == 0 ? ProbeOutcome::kSuccess : ProbeOutcome::kFailure)
          << results[i].message;
    }
  }
  EXPECT_TRUE(testing::Children().empty());
  EXPECT_EQ(testing::OpenDescriptors(), descriptors);
  EXPECT_EQ(runner_.OnLoop([&] { return runner_.engine().in_flight(); }), 0u);
}

TEST_F(ExecProbeTest, ProbesInFlightWhenTheEngineStopsAreKilledAndReaped) {
  const std::string pids = TempFile("stop");
  {
    ProbeRunner runner;
    runner.engine().Post([&] {
      runner.engine().Probe(ShellSpec("echo $$ > " + pids + "; exec sleep 1000"),
                            [](const ProbeResult&) { ADD_FAILURE() << "no result after Stop"; });
    });
    ASSERT_TRUE(WaitUntil(
        [&] { return std::filesystem::exists(pids) && std::filesystem::file_size(pids) > 0; },
        10s));
  }  // stops the engine
  std::ifstream in(pids);
  pid_t child = 0;
  in >> child;
  ASSERT_GT(child, 0);
  EXPECT_TRUE(testing::Dead(child));
  EXPECT_TRUE(testing::Children().empty());
  std::filesystem::remove(pids);
}

}  // namespace
}  // namespace vigil
