// kubelet's exec probe cases (kubernetes/kubernetes pkg/probe/exec/exec_test.go
// TestExec), one for one, run as real child processes. kubelet's test feeds a
// fake command its output and error; here the command itself prints and
// exits so. Each test names the kubelet case it mirrors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/probes/exec_runner.h"
#include "tests/probes/probe_runner.h"

namespace vigil {
namespace {

using testing::ExecSpec;
using testing::ProbeRunner;
using testing::ShellSpec;
using namespace std::chrono_literals;

const std::string kOutput =
    "fake output (combined stdout and stderr, this content depends on the output of user script)";

class KubeletExecTest : public ::testing::Test {
 protected:
  ProbeRunner runner_;
};

// kubelet: pkg/probe/exec/exec_test.go TestExec "exec probe success"
TEST_F(KubeletExecTest, Success) {
  const ProbeResult result = runner_.Run(ShellSpec("printf '%s' '" + kOutput + "'"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.reason, ProbeReason::kNone);
  EXPECT_EQ(result.message, kOutput);
}

// kubelet: pkg/probe/exec/exec_test.go TestExec "exec probe success with truncated output":
// 11 KiB written, the first 10 KiB kept.
TEST_F(KubeletExecTest, SuccessWithTruncatedOutput) {
  std::string ten_kilobytes;
  for (int i = 0; i < 128 * 10; ++i) ten_kilobytes += "logs-123";
  const ProbeResult result =
      runner_.Run(ShellSpec("i=0; while [ $i -lt 1408 ]; do printf logs-123; i=$((i+1)); done"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message.size(), 10u * 1024);
  EXPECT_EQ(result.message, ten_kilobytes);
}

// kubelet: pkg/probe/exec/exec_test.go TestExec "exec probe success with 0 exit code"
TEST_F(KubeletExecTest, SuccessWithExitCodeZero) {
  const ProbeResult result = runner_.Run(ShellSpec("printf '%s' '" + kOutput + "'; exit 0"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, kOutput);
}

// kubelet: pkg/probe/exec/exec_test.go TestExec "exec probe failed with non-0 exit code":
// the output, then "command terminated with exit code 1".
TEST_F(KubeletExecTest, FailedWithNonZeroExitCode) {
  const ProbeResult result = runner_.Run(ShellSpec("printf '%s' '" + kOutput + "' >&2; exit 1"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kExit);
  EXPECT_EQ(result.message, kOutput + "\ncommand terminated with exit code 1");
}

// kubelet: pkg/probe/exec/exec_test.go TestExec "exec probe failed with timeout": a
// failure whose message says the command timed out. Deliberate difference: the
// message is DESIGN.md's "command timed out after 1s" (kubelet's runtime writes
// "command \"...\" timed out"), and the result is a timeout, as for every kind.
TEST_F(KubeletExecTest, FailedWithTimeout) {
  ProbeSpec spec = ExecSpec({"sleep", "30"});
  spec.timeout = 300ms;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_EQ(result.reason, ProbeReason::kTimeout);
  EXPECT_EQ(result.message, "command timed out after 300ms");
  EXPECT_LT(result.latency, 5s);
}

// kubelet: pkg/probe/exec/exec_test.go TestExec "unknown exec probe result": a command
// that cannot run is kubelet's prober error (probe.Unknown), not a failure.
TEST_F(KubeletExecTest, UnknownResultWhenTheCommandCannotStart) {
  ProbeResult result = runner_.Run(ExecSpec({"vigil-no-such-command", "x"}));
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "exec: \"vigil-no-such-command\": executable file not found in $PATH");
  result = runner_.Run(ExecSpec({"/nonexistent/check"}));
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "fork/exec /nonexistent/check: no such file or directory");
}

}  // namespace
}  // namespace vigil
