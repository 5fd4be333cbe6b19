// The extensions of HTTP probes (DESIGN.md, "Extensions beyond Kubernetes"),
// against real servers on loopback: HTTP/2 (h2c with nghttpd, h2 over TLS
// by ALPN), methods and bodies, followRedirects, and the expect assertions
// (RE2, in linear time, over the body's first 10 KiB). Without them a probe
// is kubelet's GET on the engine's own sockets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "probes/prepared_probe.h"
#include "tests/probes/probe_runner.h"
#include "tests/support/nghttpd_server.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_http_server.h"

namespace vigil {
namespace {

using ::testing::HasSubstr;
using testing::HttpSpec;
using testing::NghttpdServer;
using testing::ProbeRunner;
using testing::RawTcpServer;
using testing::TestCertificates;
using testing::TestHttpServer;
using namespace std::chrono_literals;

class HttpExtensionsTest : public ::testing::Test {
 protected:
  ProbeRunner runner_;
};

TEST(HttpExtensionsPathTest, OnlyPlainProbesRunOnTheEnginesSockets) {
  EXPECT_TRUE(PrepareProbe(HttpSpec(80))->native);
  const auto with = [](auto change) {
    ProbeSpec spec = HttpSpec(80);
    change(spec);
    return PrepareProbe(spec)->native;
  };
  EXPECT_FALSE(with([](ProbeSpec& s) { s.http2 = true; }));
  EXPECT_FALSE(with([](ProbeSpec& s) { s.method = "HEAD"; }));
  EXPECT_FALSE(with([](ProbeSpec& s) { s.follow_redirects = false; }));
  EXPECT_FALSE(with([](ProbeSpec& s) { s.expect_status = {{200, 200}}; }));
  EXPECT_FALSE(with([](ProbeSpec& s) { s.expect_body = "ok"; }));
  EXPECT_FALSE(with([](ProbeSpec& s) { s.expect_headers = {{"X-A", "b"}}; }));
}

// ---- HTTP/2 ----

TEST_F(HttpExtensionsTest, H2cWithPriorKnowledge) {
  std::string why;
  if (NghttpdServer::Find(&why).empty()) GTEST_SKIP() << why;
  NghttpdServer server;
  server.AddFile("ready", "ok");
  ProbeSpec spec = HttpSpec(server.port(), "/ready");
  // nghttpd speaks HTTP/2 only: it closes on kubelet's HTTP/1.1 request.
  const ProbeResult http1 = runner_.Run(spec);
  EXPECT_EQ(http1.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(http1.reason, ProbeReason::kReset) << http1.message;
  spec.http2 = true;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.code, 200);
  spec.path = "/missing";
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 404");
  EXPECT_EQ(result.reason, ProbeReason::kStatus);
}

// An HTTP/1.1 server closes on HTTP/2's preface without an answer.
TEST_F(HttpExtensionsTest, H2cToAnHttp1ServerFails) {
  TestHttpServer server;
  ProbeSpec spec = HttpSpec(server.port());
  spec.http2 = true;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kReset) << result.message;
}

TEST_F(HttpExtensionsTest, Http2OverTlsByAlpn) {
  std::string why;
  if (NghttpdServer::Find(&why).empty()) GTEST_SKIP() << why;
  TestCertificates certs;
  const auto cert = certs.Issue({.name = "h2", .dns_names = {}, .ips = {"127.0.0.1"}});
  NghttpdServer server({.cert_file = cert.cert_file, .key_file = cert.key_file});
  server.AddFile("ready", "ok");
  ProbeSpec spec = HttpSpec(server.port(), "/ready");
  spec.https = true;
  spec.http2 = true;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_GE(result.phase(ProbePhase::kTls).count(), 0);
  spec.tls = ProbeSpec::Tls{};
  spec.tls->ca_file = certs.ca_file();
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
}

TEST_F(HttpExtensionsTest, Http2OverTlsToAServerWithoutItIsProtocol) {
  TestHttpServer server(TestHttpServer::Options{.tls = true});  // HTTP/1.1 only, no ALPN
  ProbeSpec spec = HttpSpec(server.port());
  spec.https = true;
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.http2 = true;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kProtocol);
  EXPECT_EQ(result.message, "the server did not negotiate HTTP/2 (ALPN \"h2\")");
}

// ---- Methods and bodies ----

TEST_F(HttpExtensionsTest, PostAndPutSendTheBodyAsIs) {
  TestHttpServer server;
  ProbeSpec spec = HttpSpec(server.port(), "/deep");
  spec.method = "POST";
  spec.body = R"({"deep": true})";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.method = "PUT";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.method = "POST";
  spec.body.reset();
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, R"({"deep": true})");
  EXPECT_EQ(requests[0].Header("Content-Length"), "14");
  // As Go's client: no Content-Type unless configured, no Expect.
  EXPECT_EQ(requests[0].HeaderCount("Content-Type"), 0u);
  EXPECT_EQ(requests[0].HeaderCount("Expect"), 0u);
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].body, R"({"deep": true})");
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].body, "");
}

TEST_F(HttpExtensionsTest, AConfiguredContentTypeGoesOut) {
  TestHttpServer server;
  ProbeSpec spec = HttpSpec(server.port());
  spec.method = "POST";
  spec.body = "{}";
  spec.headers = {{"Content-Type", "application/json"}};
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].Header("Content-Type"), "application/json");
}

TEST_F(HttpExtensionsTest, HeadReadsNoBody) {
  RawTcpServer server(RawTcpServer::Script{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
                                           RawTcpServer::End::kStall});
  ProbeSpec spec = HttpSpec(server.port());
  spec.method = "HEAD";
  spec.timeout = 2s;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_LT(result.latency, 1s);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_THAT(server.requests()[0], ::testing::StartsWith("HEAD / HTTP/1.1\r\n"));
}

// Go's client: 301, 302 and 303 turn a POST into a GET without a body; 307
// and 308 repeat it.
TEST_F(HttpExtensionsTest, RedirectsChangeTheMethodAsGosClient) {
  TestHttpServer server;
  server.SetStatus("/see-other", 303, "/landed");
  server.SetStatus("/temporary", 307, "/landed");
  ProbeSpec spec = HttpSpec(server.port(), "/see-other");
  spec.method = "POST";
  spec.body = "payload";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.path = "/temporary";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].body, "");
  EXPECT_EQ(requests[3].method, "POST");
  EXPECT_EQ(requests[3].body, "payload");
}

TEST_F(HttpExtensionsTest, FollowRedirectsFalseJudgesTheRedirect) {
  TestHttpServer server;
  server.SetStatus("/moved", 302, "/elsewhere");
  ProbeSpec spec = HttpSpec(server.port(), "/moved");
  spec.follow_redirects = false;
  ProbeResult result = runner_.Run(spec);
  // 302 is within the default 200-399.
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.code, 302);
  EXPECT_EQ(server.request_count(), 1u);
  spec.expect_status = {{200, 299}};
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kStatus);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 302");
  EXPECT_EQ(server.request_count(), 2u);
  // Followed (the default), the redirect's target answers.
  spec.follow_redirects = true;
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(server.request_count(), 4u);
}

// ---- expect ----

TEST_F(HttpExtensionsTest, ExpectStatusCodesAndRanges) {
  TestHttpServer server;
  server.SetStatus("/created", 201);
  server.SetStatus("/down", 503);
  const auto judge = [&](const std::string& path, std::vector<ProbeSpec::StatusRange> ranges) {
    ProbeSpec spec = HttpSpec(server.port(), path);
    spec.expect_status = std::move(ranges);
    return runner_.Run(spec);
  };
  EXPECT_EQ(judge("/created", {{200, 200}, {201, 201}}).outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(judge("/created", {{204, 299}}).outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(judge("/created", {{200, 299}}).outcome, ProbeOutcome::kSuccess);
  // What kubelet calls a failure may be what is expected (a standby answering 503).
  const ProbeResult down = judge("/down", {{503, 503}});
  EXPECT_EQ(down.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(down.code, 503);
  const ProbeResult ok = judge("/", {{500, 599}});
  EXPECT_EQ(ok.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(ok.reason, ProbeReason::kStatus);
  EXPECT_EQ(ok.message, "HTTP probe failed with statuscode: 200");
}

TEST_F(HttpExtensionsTest, ExpectBodyMatchesAndNotMatches) {
  TestHttpServer server;
  server.SetResponse("/health", 200, R"({"status": "UP", "mode": "maintenance"})");
  ProbeSpec spec = HttpSpec(server.port(), "/health");
  spec.expect_body = R"("status":\s*"UP")";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.expect_body = R"("status":\s*"DOWN")";
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kBody);
  EXPECT_EQ(result.message, R"(body does not match ""status":\s*"DOWN"")");
  spec.expect_body.reset();
  spec.expect_no_body = "maintenance";
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kBody);
  EXPECT_EQ(result.message, "body matches \"maintenance\", which expect.bodyNotMatches forbids");
  spec.expect_no_body = "outage";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
}

TEST_F(HttpExtensionsTest, ExpectHeadersMatch) {
  TestHttpServer server;
  server.SetResponse("/", 200, "ok", {{"X-Ready", "yes"}, {"X-Role", "replica"}});
  ProbeSpec spec = HttpSpec(server.port());
  spec.expect_headers = {{"x-ready", "^yes$"}};  // names in any case
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.expect_headers = {{"X-Ready", "^yes$"}, {"X-Role", "^primary$"}};
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kHeader);
  EXPECT_EQ(result.message, "header X-Role: \"replica\" does not match \"^primary$\"");
  spec.expect_headers = {{"X-Missing", "."}};
  result = runner_.Run(spec);
  EXPECT_EQ(result.reason, ProbeReason::kHeader);
  EXPECT_EQ(result.message, "header X-Missing is missing");
}

TEST_F(HttpExtensionsTest, AHeaderMatchesWhenAnyOfItsValuesDoes) {
  RawTcpServer server(
      RawTcpServer::Script{"HTTP/1.1 200 OK\r\nX-Zone: a\r\nX-Zone: b\r\nContent-Length: 0\r\n\r\n",
                           RawTcpServer::End::kClose});
  ProbeSpec spec = HttpSpec(server.port());
  spec.expect_headers = {{"X-Zone", "^b$"}};
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
}

TEST_F(HttpExtensionsTest, TheStatusIsJudgedBeforeHeadersAndBody) {
  TestHttpServer server;
  server.SetResponse("/", 500, "nope");
  ProbeSpec spec = HttpSpec(server.port());
  spec.expect_body = "ok";
  spec.expect_headers = {{"X-Ready", "yes"}};
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.reason, ProbeReason::kStatus);
}

// The body patterns see the first 10 KiB, as much as kubelet reads.
TEST_F(HttpExtensionsTest, BodyPatternsSearchTheFirstTenKibibytes) {
  const auto probe = [&](size_t offset) {
    const std::string body = std::string(offset, '.') + "needle" + std::string(20000, '.');
    RawTcpServer server(RawTcpServer::Script{
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
        RawTcpServer::End::kClose});
    ProbeSpec spec = HttpSpec(server.port());
    spec.expect_body = "needle";
    return runner_.Run(spec).outcome;
  };
  EXPECT_EQ(probe(0), ProbeOutcome::kSuccess);
  EXPECT_EQ(probe(10 * 1024 - 6), ProbeOutcome::kSuccess);  // ends at the 10,240th byte
  EXPECT_EQ(probe(10 * 1024 - 5), ProbeOutcome::kFailure);  // its last byte past the window
  EXPECT_EQ(probe(12000), ProbeOutcome::kFailure);
}

// Patterns that take a backtracking engine exponential time take RE2 linear
// time: a hostile body costs the probe nothing.
TEST_F(HttpExtensionsTest, CatastrophicPatternsOnHostileBodiesRunInLinearTime) {
  const std::string body = std::string(10 * 1024 - 1, 'a') + "!";
  RawTcpServer server(RawTcpServer::Script{
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
      RawTcpServer::End::kClose});
  for (const char* pattern : {"^(a+)+$", "(a|aa)+$", "^(a|a?)+$", "(.*a){20}b"}) {
    ProbeSpec spec = HttpSpec(server.port());
    spec.expect_body = pattern;
    const ProbeResult result = runner_.Run(spec);
    EXPECT_EQ(result.outcome, ProbeOutcome::kFailure) << pattern;
    EXPECT_EQ(result.reason, ProbeReason::kBody) << pattern;
    EXPECT_LT(result.latency, 1s) << pattern;
  }
}

TEST_F(HttpExtensionsTest, HeaderValuesInMessagesAreValidUtf8AndShort) {
  RawTcpServer server(RawTcpServer::Script{
      "HTTP/1.1 200 OK\r\nX-Ready: \xff" + std::string(300, 'n') + "\r\nContent-Length: 0\r\n\r\n",
      RawTcpServer::End::kClose});
  ProbeSpec spec = HttpSpec(server.port());
  spec.expect_headers = {{"X-Ready", "^yes$"}};
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.reason, ProbeReason::kHeader);
  EXPECT_THAT(result.message, ::testing::StartsWith("header X-Ready: \"\xef\xbf\xbdnnn"));
  EXPECT_LT(result.message.size(), 200u);
}

}  // namespace
}  // namespace vigil
