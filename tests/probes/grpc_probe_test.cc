// gRPC probes beyond kubelet's test cases: the wire format as pure
// functions, then against the real gRPC server: statuses switching, named
// and unknown services, TLS, HTTP/2 servers that are not gRPC.
#include "probes/grpc_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/probes/probe_runner.h"
#include "tests/support/grpc_test_server.h"
#include "tests/support/nghttpd_server.h"
#include "tests/support/test_certs.h"

namespace vigil {
namespace {

using ::testing::ElementsAre;
using testing::GrpcTestServer;
using ::testing::HasSubstr;
using testing::NghttpdServer;
using testing::ProbeRunner;
using testing::TestCertificates;
using namespace std::chrono_literals;

ProbeSpec GrpcSpec(int port, const std::string& service = "") {
  ProbeSpec spec;
  spec.kind = ProbeSpec::Kind::kGrpc;
  spec.host = "127.0.0.1";
  spec.port = port;
  spec.grpc_service = service;
  spec.timeout = 5s;
  return spec;
}

// ---- The wire format ----

TEST(GrpcWireTest, TheRequestIsAFramedHealthCheckRequest) {
  EXPECT_EQ(GrpcHealthRequest(""), std::string("\0\0\0\0\0", 5));
  EXPECT_EQ(GrpcHealthRequest("db"), std::string("\0\0\0\0\x04\x0a\x02"
                                                 "db",
                                                 9));
  const std::string long_name(200, 'a');
  const std::string framed = GrpcHealthRequest(long_name);
  // 200 needs a two-byte varint: 0xc8 0x01; 203 bytes of message.
  EXPECT_EQ(framed.substr(0, 8), std::string("\0\0\0\0\xcb\x0a\xc8\x01", 8));
  EXPECT_EQ(framed.size(), 5u + 203u);
}

TEST(GrpcWireTest, ParsesTheResponsesStatus) {
  EXPECT_EQ(*ParseHealthResponse(std::string("\0\0\0\0\x02\x08\x01", 7)), 1);
  EXPECT_EQ(*ParseHealthResponse(std::string("\0\0\0\0\x02\x08\x02", 7)), 2);
  // proto3 leaves a 0 out: an empty message is UNKNOWN.
  EXPECT_EQ(*ParseHealthResponse(std::string("\0\0\0\0\0", 5)), 0);
  // Unknown fields are skipped.
  EXPECT_EQ(*ParseHealthResponse(std::string("\0\0\0\0\x06\x12\x02hi\x08\x01", 11)), 1);
  EXPECT_FALSE(ParseHealthResponse("").ok());
  EXPECT_FALSE(ParseHealthResponse(std::string("\x01\0\0\0\x02\x08\x01", 7)).ok());  // compressed
  EXPECT_FALSE(ParseHealthResponse(std::string("\0\0\0\0\x09\x08\x01", 7)).ok());    // cut short
  EXPECT_FALSE(ParseHealthResponse(std::string("\0\0\0\0\x02\x08\x81", 7)).ok());    // bad varint
  EXPECT_FALSE(ParseHealthResponse(std::string("\0\0\0\0\x02\x12\x05", 7)).ok());    // bad length
}

TEST(GrpcWireTest, NamesAsGoPrintsThem) {
  EXPECT_EQ(HealthStatusName(0), "UNKNOWN");
  EXPECT_EQ(HealthStatusName(3), "SERVICE_UNKNOWN");
  EXPECT_EQ(HealthStatusName(7), "7");
  EXPECT_EQ(GrpcCodeName(5), "NotFound");
  EXPECT_EQ(GrpcCodeName(16), "Unauthenticated");
  EXPECT_EQ(GrpcCodeName(99), "Code(99)");
  EXPECT_EQ(DecodeGrpcMessage("unknown%20service%zz%"), "unknown service%zz%");
}

TEST(GrpcWireTest, TheRequestCarriesTheTimeout) {
  EXPECT_THAT(GrpcHeaderLines(1500ms), ::testing::Contains("grpc-timeout: 1500m"));
  EXPECT_THAT(GrpcHeaderLines(1s), ::testing::Contains("Content-Type: application/grpc"));
  EXPECT_THAT(GrpcHeaderLines(1s), ::testing::Contains("TE: trailers"));
}

// ---- Against the real server ----

class GrpcProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!GrpcTestServer::Available(&why)) GTEST_SKIP() << why;
  }
  ProbeRunner runner_;
};

TEST_F(GrpcProbeTest, FollowsTheServerSwitchingStatus) {
  GrpcTestServer server;
  const ProbeSpec spec = GrpcSpec(server.port());
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  server.Set("", "NOT_SERVING");
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kFailure);
  server.Set("", "SERVING");
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  server.Set("", "UNKNOWN");
  const ProbeResult unknown = runner_.Run(spec);
  EXPECT_EQ(unknown.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(unknown.message, "service unhealthy (responded with \"UNKNOWN\")");
}

TEST_F(GrpcProbeTest, ANamedService) {
  GrpcTestServer server;
  server.Set("db.v1.Store", "SERVING");
  server.Set("", "NOT_SERVING");
  EXPECT_EQ(runner_.Run(GrpcSpec(server.port(), "db.v1.Store")).outcome, ProbeOutcome::kSuccess);
  server.Set("db.v1.Store", "SERVICE_UNKNOWN");
  const ProbeResult result = runner_.Run(GrpcSpec(server.port(), "db.v1.Store"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "service unhealthy (responded with \"SERVICE_UNKNOWN\")");
}

// gRPC's health service answers NOT_FOUND for a service it does not know;
// kubelet reports the RPC error as it comes.
TEST_F(GrpcProbeTest, AnUnknownService) {
  GrpcTestServer server;
  const ProbeResult result = runner_.Run(GrpcSpec(server.port(), "nosuch.Service"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kGrpc);
  EXPECT_EQ(result.message,
            "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service");
}

TEST_F(GrpcProbeTest, AHangingServerTimesOutWithinTheProbesTimeout) {
  GrpcTestServer server;
  server.Hang(true);
  ProbeSpec spec = GrpcSpec(server.port());
  spec.timeout = 300ms;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_LT(result.latency, 2s);
  server.Hang(false);
}

TEST_F(GrpcProbeTest, PhasesOfAConnection) {
  GrpcTestServer server;
  const ProbeResult result = runner_.Run(GrpcSpec(server.port()));
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_GE(result.phase(ProbePhase::kConnect).count(), 0);
  EXPECT_GE(result.phase(ProbePhase::kFirstByte).count(), 0);
  EXPECT_LT(result.phase(ProbePhase::kTls).count(), 0);
  EXPECT_LT(result.phase(ProbePhase::kDns).count(), 0);
}

TEST_F(GrpcProbeTest, OverTls) {
  TestCertificates certs;
  const auto cert = certs.Issue({.name = "grpc", .dns_names = {"grpc.test"}, .ips = {"127.0.0.1"}});
  GrpcTestServer server({.cert_file = cert.cert_file, .key_file = cert.key_file});
  ProbeSpec spec = GrpcSpec(server.port());
  // Cleartext HTTP/2 to a TLS server: no answer the protocol allows.
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kFailure);
  // TLS without verification, as kubelet's client would if it spoke TLS.
  spec.tls = ProbeSpec::Tls{};
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_GE(result.phase(ProbePhase::kTls).count(), 0);
  EXPECT_EQ(result.certificate_expiry, cert.not_after);
  // Verified against the CA, by IP and by server name.
  spec.tls->ca_file = certs.ca_file();
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  spec.tls->server_name = "grpc.test";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.tls->server_name = "other.test";
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kTls) << result.message;
}

TEST_F(GrpcProbeTest, AnHttp2ServerThatIsNotGrpc) {
  std::string why;
  if (NghttpdServer::Find(&why).empty()) GTEST_SKIP() << why;
  NghttpdServer server;
  const ProbeResult result = runner_.Run(GrpcSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kProtocol);
  // grpc-go's reading of a 404: Unimplemented.
  EXPECT_EQ(result.message,
            "error: this server does not implement the grpc health protocol "
            "(grpc.health.v1.Health): unexpected HTTP status code received from server: 404 (Not "
            "Found)");
}

}  // namespace
}  // namespace vigil
