// Every failed probe carries one machine-readable reason (DESIGN.md, "Failure
// reasons"), and every probe the phases it went through, on both probe paths
// (the engine's own sockets and libcurl), against real servers on loopback.
// Reasons of the other kinds (tls, grpc, exit, body, header) are tested with
// those kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/probes/probe_runner.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/test_http_server.h"

namespace vigil {
namespace {

using testing::HttpSpec;
using testing::ProbeRunner;
using testing::RawTcpServer;
using testing::RefusingPort;
using testing::TcpSpec;
using testing::TestHttpServer;
using namespace std::chrono_literals;

bool Has(const ProbeResult& result, ProbePhase phase) {
  return result.phase(phase) >= std::chrono::microseconds::zero();
}

class FailureReasonTest : public ::testing::TestWithParam<bool> {
 protected:
  ProbeRunner runner_{ProbeEngine::Options{.native_sockets = GetParam()}};
};

INSTANTIATE_TEST_SUITE_P(BothPaths, FailureReasonTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Sockets" : "Curl"; });

TEST_P(FailureReasonTest, ASuccessHasNoReasonAndItsPhases) {
  TestHttpServer server;
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.reason, ProbeReason::kNone);
  EXPECT_TRUE(Has(result, ProbePhase::kConnect));
  EXPECT_TRUE(Has(result, ProbePhase::kFirstByte));
  // An IP literal: nothing to resolve; plain HTTP: no TLS.
  EXPECT_FALSE(Has(result, ProbePhase::kDns));
  EXPECT_FALSE(Has(result, ProbePhase::kTls));
  EXPECT_LE(result.phase(ProbePhase::kConnect) + result.phase(ProbePhase::kFirstByte),
            result.latency);
}

TEST_P(FailureReasonTest, Refused) {
  RefusingPort port;
  for (const ProbeSpec& spec : {HttpSpec(port.port()), TcpSpec(port.port())}) {
    const ProbeResult result = runner_.Run(spec);
    EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
    EXPECT_EQ(result.reason, ProbeReason::kRefused) << result.message;
    EXPECT_FALSE(Has(result, ProbePhase::kConnect));
  }
}

TEST_P(FailureReasonTest, TimeoutAfterConnecting) {
  RawTcpServer server(RawTcpServer::Behavior::kNeverAnswer);
  ProbeSpec spec = HttpSpec(server.port());
  spec.timeout = 200ms;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_EQ(result.reason, ProbeReason::kTimeout);
  EXPECT_TRUE(Has(result, ProbePhase::kConnect));
  EXPECT_FALSE(Has(result, ProbePhase::kFirstByte));
}

TEST_P(FailureReasonTest, ResetBeforeAnAnswer) {
  RawTcpServer server(RawTcpServer::Behavior::kResetAfterRequest);
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kReset) << result.message;
}

TEST_P(FailureReasonTest, ClosedBeforeAnAnswer) {
  RawTcpServer server(RawTcpServer::Script{"", RawTcpServer::End::kClose});
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kReset) << result.message;
}

TEST_P(FailureReasonTest, BytesThatAreNotHttpAreProtocol) {
  RawTcpServer server(RawTcpServer::Behavior::kNotHttp);
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kProtocol) << result.message;
  EXPECT_TRUE(Has(result, ProbePhase::kFirstByte));
}

TEST_P(FailureReasonTest, TooManyRedirectsAreProtocol) {
  TestHttpServer server;
  server.SetStatus("/loop", 302, "/loop");
  const ProbeResult result = runner_.Run(HttpSpec(server.port(), "/loop"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "stopped after 10 redirects");
  EXPECT_EQ(result.reason, ProbeReason::kProtocol);
}

TEST_P(FailureReasonTest, AFailingStatusIsStatus) {
  TestHttpServer server;
  server.SetStatus("/ready", 503);
  const ProbeResult result = runner_.Run(HttpSpec(server.port(), "/ready"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kStatus);
  EXPECT_TRUE(Has(result, ProbePhase::kConnect));
  EXPECT_TRUE(Has(result, ProbePhase::kFirstByte));
}

TEST_P(FailureReasonTest, ABodyCutShortIsAnErrorWithItsReason) {
  RawTcpServer server(RawTcpServer::Script{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                                           RawTcpServer::End::kClose});
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "unexpected EOF");
  EXPECT_EQ(result.reason, ProbeReason::kReset);
}

TEST_P(FailureReasonTest, ANameThatDoesNotResolveIsDns) {
  const ProbeResult result = runner_.Run(HttpSpec(80, "/", "nosuchhost.invalid"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kDns) << result.message;
}

TEST_P(FailureReasonTest, ANameIsResolvedInItsOwnPhase) {
  TestHttpServer server;
  const ProbeResult result = runner_.Run(HttpSpec(server.port(), "/", "localhost"));
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_TRUE(Has(result, ProbePhase::kDns));
  EXPECT_TRUE(Has(result, ProbePhase::kConnect));
}

TEST_P(FailureReasonTest, HttpsToAPlainServerIsTls) {
  TestHttpServer server;
  ProbeSpec spec = HttpSpec(server.port());
  spec.https = true;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kTls) << result.message;
  EXPECT_FALSE(Has(result, ProbePhase::kTls));
}

TEST_P(FailureReasonTest, HttpsHasATlsPhase) {
  TestHttpServer server(TestHttpServer::Options{.tls = true});
  ProbeSpec spec = HttpSpec(server.port());
  spec.https = true;
  const ProbeResult result = runner_.Run(spec);
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_TRUE(Has(result, ProbePhase::kConnect));
  EXPECT_TRUE(Has(result, ProbePhase::kTls));
  EXPECT_TRUE(Has(result, ProbePhase::kFirstByte));
}

}  // namespace
}  // namespace vigil
