#include "probes/tcp_probe.h"

#include <gtest/gtest.h>

#include "tests/probes/probe_runner.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/tcp_sockets.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using testing::ProbeRunner;
using testing::RawTcpServer;
using testing::RefusingPort;
using testing::TcpSpec;
using namespace std::chrono_literals;

// Every test runs twice: on the engine's own sockets (plain HTTP and TCP to
// IP literals go there) and on libcurl alone; both must behave alike.
class TcpProbeTest : public ::testing::TestWithParam<bool> {
 protected:
  ProbeRunner runner_{ProbeEngine::Options{.native_sockets = GetParam()}};
};

TEST_P(TcpProbeTest, SucceedsWhenConnected) {
  RawTcpServer server(RawTcpServer::Behavior::kNeverAnswer);
  ProbeResult result = runner_.Run(TcpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, "");
  EXPECT_EQ(result.code, 0);
  EXPECT_LT(result.latency, 500ms);
}

TEST_P(TcpProbeTest, ConnectionRefused) {
  RefusingPort closed;
  ProbeResult result = runner_.Run(TcpSpec(closed.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "dial tcp 127.0.0.1:" + std::to_string(closed.port()) +
                                ": connect: connection refused");
}

TEST_P(TcpProbeTest, Ipv6) {
  RawTcpServer server(RawTcpServer::Behavior::kNeverAnswer, "::1");
  EXPECT_EQ(runner_.Run(TcpSpec(server.port(), "::1")).outcome, ProbeOutcome::kSuccess);
  RefusingPort closed("::1");
  ProbeResult result = runner_.Run(TcpSpec(closed.port(), "::1"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message,
            "dial tcp [::1]:" + std::to_string(closed.port()) + ": connect: connection refused");
}

TEST_P(TcpProbeTest, ClosesAtOnceLeavingNoTimeWait) {
  // On an address of this test's own, so that other processes' sockets
  // using the same port number do not count.
  const std::string address = testing::UniqueLoopbackAddress();
  RawTcpServer server(RawTcpServer::Behavior::kNeverAnswer, address);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(runner_.Run(TcpSpec(server.port(), address)).outcome, ProbeOutcome::kSuccess);
  }
  // The server sees each connection end: the probe does not hold it open.
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return testing::CountTcpSockets(address, server.port(), /*ESTABLISHED*/ 0x01) == 0; },
      5s));
  EXPECT_EQ(testing::CountTcpSockets(address, server.port(), testing::kTcpTimeWait), 0);
}

// kubelet: pkg/probe/tcp/tcp_test.go TestTcpHealthChecker "A connection is made and
// probing would succeed" (against an HTTP server), and "No connection can be
// made" with port -1. Deliberate difference: kubelet's prober calls port -1 a
// failure; vigil's config refuses it, and the engine reports an error.
TEST_P(TcpProbeTest, KubeletTcpHealthChecker) {
  testing::TestHttpServer server;
  EXPECT_EQ(runner_.Run(TcpSpec(server.port())).outcome, ProbeOutcome::kSuccess);
  const ProbeResult result = runner_.Run(TcpSpec(-1));
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "invalid probe port -1: not in 1-65535");
}

INSTANTIATE_TEST_SUITE_P(Paths, TcpProbeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sockets" : "Curl";
                         });

}  // namespace
}  // namespace vigil
