#include "probes/http_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/version.h"
#include "probes/request_headers.h"
#include "tests/probes/probe_runner.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/tcp_sockets.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HttpSpec;
using testing::ProbeRunner;
using testing::RawTcpServer;
using testing::RefusingPort;
using ::testing::StartsWith;
using testing::TestHttpServer;
using namespace std::chrono_literals;

const std::string kUserAgent = std::string("vigil-probe/") + kVersion;

// --- The request, as pure functions ---------------------------------------

TEST(HttpUrlTest, BuildsTheUrlKubeletWould) {
  ProbeSpec spec = HttpSpec(8080, "/ready");
  EXPECT_EQ(HttpUrl(spec), "http://127.0.0.1:8080/ready");
  spec.https = true;
  EXPECT_EQ(HttpUrl(spec), "https://127.0.0.1:8080/ready");
  EXPECT_EQ(HttpUrl(HttpSpec(80, "/", "::1")), "http://[::1]:80/");
  EXPECT_EQ(HttpUrl(HttpSpec(80, "", "db.example")), "http://db.example:80/");
  EXPECT_EQ(HttpUrl(HttpSpec(80, "healthz")), "http://127.0.0.1:80/healthz");
  EXPECT_EQ(HttpUrl(HttpSpec(80, "/a?b=c&d=%20")), "http://127.0.0.1:80/a?b=c&d=%20");
  EXPECT_EQ(HttpUrl(HttpSpec(80, "/a b/\"<\xc3\xa9>")),
            "http://127.0.0.1:80/a%20b/%22%3C%C3%A9%3E");
}

std::vector<std::string> CurlLines(const std::vector<ProbeSpec::Header>& headers,
                                   bool with_host = true) {
  Result<RequestHeaders> built = BuildRequestHeaders(headers);
  EXPECT_TRUE(built.ok()) << built.status().message();
  return built.ok() ? CurlHeaderLines(*built, with_host) : std::vector<std::string>{};
}

TEST(CurlHeaderLinesTest, DefaultsToVigilUserAgentAndAcceptAll) {
  EXPECT_THAT(CurlLines({}),
              ElementsAre("User-Agent: " + kUserAgent, "Accept: */*", "Connection: close"));
}

TEST(CurlHeaderLinesTest, HostFirstUnlessLeftOut) {
  EXPECT_THAT(CurlLines({{"Host", "example.com"}}),
              ElementsAre("Host: example.com", "User-Agent: " + kUserAgent, "Accept: */*",
                          "Connection: close"));
  EXPECT_THAT(CurlLines({{"Host", "example.com"}}, /*with_host=*/false),
              ElementsAre("User-Agent: " + kUserAgent, "Accept: */*", "Connection: close"));
}

TEST(CurlHeaderLinesTest, EmptyValuesInCurlsSyntax) {
  // No Accept: curl's own is removed; an empty value is "Name;".
  EXPECT_THAT(CurlLines({{"Accept", ""}, {"Host", ""}, {"User-Agent", ""}, {"X-Empty", ""}}),
              ElementsAre("X-Empty;", "Connection: close", "Accept:"));
}

// --- Against real servers ---------------------------------------------------

// Every test runs twice: on the engine's own sockets (plain HTTP and TCP to
// IP literals go there) and on libcurl alone; both must behave alike.
class HttpProbeTest : public ::testing::TestWithParam<bool> {
 protected:
  TestHttpServer server_;
  ProbeRunner runner_{ProbeEngine::Options{.native_sockets = GetParam()}};
};

struct StatusCase {
  int status;
  ProbeOutcome outcome;
  std::string message;
};

TEST_P(HttpProbeTest, JudgesEachStatusClass) {
  const std::vector<StatusCase> cases = {
      {200, ProbeOutcome::kSuccess, ""},
      {204, ProbeOutcome::kSuccess, ""},
      {299, ProbeOutcome::kSuccess, ""},
      {300, ProbeOutcome::kSuccess, "Probe terminated redirects"},
      {302, ProbeOutcome::kSuccess, "Probe terminated redirects"},  // no Location
      {304, ProbeOutcome::kSuccess, "Probe terminated redirects"},
      {399, ProbeOutcome::kSuccess, "Probe terminated redirects"},
      {400, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 400"},
      {404, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 404"},
      {500, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 500"},
      {503, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 503"},
  };
  for (const StatusCase& c : cases) {
    const std::string path = "/status/" + std::to_string(c.status);
    server_.SetStatus(path, c.status);
    ProbeResult result = runner_.Run(HttpSpec(server_.port(), path));
    EXPECT_EQ(result.outcome, c.outcome) << c.status;
    EXPECT_EQ(result.message, c.message) << c.status;
    EXPECT_EQ(result.code, c.status);
  }
}

TEST_P(HttpProbeTest, StatusChangesAtRunTime) {
  EXPECT_EQ(runner_.Run(HttpSpec(server_.port(), "/ready")).outcome, ProbeOutcome::kSuccess);
  server_.SetStatus("/ready", 503);
  EXPECT_EQ(runner_.Run(HttpSpec(server_.port(), "/ready")).outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_P(HttpProbeTest, FollowsSameHostRedirectsAndTheLastAnswerDecides) {
  server_.SetStatus("/old", 302, "/new");
  server_.SetStatus("/moved", 301, "/broken");
  server_.SetStatus("/broken", 503);

  ProbeResult result = runner_.Run(HttpSpec(server_.port(), "/old"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.code, 200);

  result = runner_.Run(HttpSpec(server_.port(), "/moved"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 503");
  EXPECT_EQ(result.code, 503);

  std::vector<std::string> paths;
  for (const TestHttpServer::Request& request : server_.requests()) paths.push_back(request.path);
  EXPECT_THAT(paths, ElementsAre("/old", "/new", "/moved", "/broken"));
}

TEST_P(HttpProbeTest, SameHostMeansSameNameWhateverThePort) {
  TestHttpServer other;
  other.SetStatus("/there", 500);
  server_.SetStatus("/away", 307, "http://127.0.0.1:" + std::to_string(other.port()) + "/there");
  ProbeResult result = runner_.Run(HttpSpec(server_.port(), "/away"));
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 500");
  EXPECT_EQ(other.request_count(), 1u);
}

TEST_P(HttpProbeTest, RedirectToAnotherHostIsASuccessWithoutFollowing) {
  TestHttpServer other({.address = "127.0.0.2"});
  other.SetStatus("/", 500);
  server_.SetStatus("/elsewhere", 302, "http://127.0.0.2:" + std::to_string(other.port()) + "/");
  ProbeResult result = runner_.Run(HttpSpec(server_.port(), "/elsewhere"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.message, "Probe terminated redirects");
  EXPECT_EQ(result.code, 302);
  EXPECT_EQ(other.request_count(), 0u);
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects
// "redirect loop": Go's client stops once 10 requests have been made.
TEST_P(HttpProbeTest, StopsAfterTenRequests) {
  server_.SetStatus("/loop", 302, "/loop");
  ProbeResult result = runner_.Run(HttpSpec(server_.port(), "/loop"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "stopped after 10 redirects");
  EXPECT_EQ(server_.request_count(), 10u);  // the first request and 9 redirects
}

// A chain of 9 redirects ends well; one of 10 is stopped.
TEST_P(HttpProbeTest, FollowsNineRedirectsNotTen) {
  for (int i = 0; i < 10; ++i) {
    server_.SetStatus("/hop" + std::to_string(i), 302, "/hop" + std::to_string(i + 1));
  }
  ProbeResult result = runner_.Run(HttpSpec(server_.port(), "/hop1"));  // 9 hops to /hop10
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.code, 200);
  EXPECT_EQ(server_.request_count(), 10u);
  result = runner_.Run(HttpSpec(server_.port(), "/hop0"));  // 10 hops
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "stopped after 10 redirects");
  EXPECT_EQ(result.code, 302);
  EXPECT_EQ(server_.request_count(), 20u);
}

TEST_P(HttpProbeTest, RedirectsShareTheProbesTimeout) {
  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  server_.SetStatus("/slow", 302, "http://127.0.0.1:" + std::to_string(silent.port()) + "/");
  ProbeSpec spec = HttpSpec(server_.port(), "/slow");
  spec.timeout = 500ms;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_EQ(result.message, "probe timed out after 500ms");
  EXPECT_GE(result.latency, 500ms);
  EXPECT_LT(result.latency, 700ms);
}

TEST_P(HttpProbeTest, SendsDefaultHeaders) {
  runner_.Run(HttpSpec(server_.port(), "/h"));
  ASSERT_EQ(server_.request_count(), 1u);
  const TestHttpServer::Request request = server_.requests().front();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.Header("User-Agent"), kUserAgent);
  EXPECT_EQ(request.Header("Accept"), "*/*");
  EXPECT_EQ(request.Header("Host"), "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_P(HttpProbeTest, SendsTheSpecsHeaders) {
  ProbeSpec spec = HttpSpec(server_.port(), "/h");
  spec.headers = {{"X-A", "b"}, {"Host", "example.com"}, {"user-agent", "custom/1"}};
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  ASSERT_EQ(server_.request_count(), 1u);
  const TestHttpServer::Request request = server_.requests().front();
  EXPECT_EQ(request.Header("X-A"), "b");
  EXPECT_EQ(request.Header("Host"), "example.com");
  EXPECT_EQ(request.HeaderCount("User-Agent"), 1u);
  EXPECT_EQ(request.Header("User-Agent"), "custom/1");
  EXPECT_EQ(request.Header("Accept"), "*/*");
}

TEST_P(HttpProbeTest, ProbesIpv6) {
  TestHttpServer v6({.address = "::1"});
  ProbeResult result = runner_.Run(HttpSpec(v6.port(), "/six", "::1"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(v6.request_count(), 1u);
}

TEST_P(HttpProbeTest, ProbesHttpsWithoutVerifyingTheCertificate) {
  TestHttpServer tls({.tls = true});
  tls.SetStatus("/secure", 503);
  ProbeSpec spec = HttpSpec(tls.port(), "/secure");
  spec.https = true;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 503");
  spec.path = "/";
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
}

TEST_P(HttpProbeTest, HttpsToAPlainServerFails) {
  ProbeSpec spec = HttpSpec(server_.port());
  spec.https = true;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_THAT(result.message, StartsWith("TLS handshake failed: "));
}

TEST_P(HttpProbeTest, TimesOutWhenTheServerNeverAnswers) {
  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  ProbeSpec spec = HttpSpec(silent.port());
  spec.timeout = 500ms;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_EQ(result.message, "probe timed out after 500ms");
  EXPECT_GE(result.latency, 500ms);
  EXPECT_LT(result.latency, 700ms);
  EXPECT_EQ(result.code, 0);
}

TEST_P(HttpProbeTest, TimesOutOnTrickledHeaders) {
  RawTcpServer slow(RawTcpServer::Behavior::kTrickleHeaders);
  ProbeSpec spec = HttpSpec(slow.port());
  spec.timeout = 700ms;
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);
  EXPECT_EQ(result.message, "probe timed out after 700ms");
  EXPECT_LT(result.latency, 900ms);
  EXPECT_GT(slow.bytes_sent(), 50u);  // the headers did trickle
}

TEST_P(HttpProbeTest, ConnectionRefused) {
  RefusingPort closed;
  ProbeResult result = runner_.Run(HttpSpec(closed.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "dial tcp 127.0.0.1:" + std::to_string(closed.port()) +
                                ": connect: connection refused");
}

TEST_P(HttpProbeTest, ConnectionReset) {
  RawTcpServer reset(RawTcpServer::Behavior::kResetAfterRequest);
  ProbeResult result = runner_.Run(HttpSpec(reset.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_THAT(result.message, StartsWith("read tcp 127.0.0.1:"));
  EXPECT_THAT(result.message, HasSubstr("->127.0.0.1:" + std::to_string(reset.port()) +
                                        ": read: connection reset by peer"));
}

TEST_P(HttpProbeTest, AnswerThatIsNotHttp) {
  RawTcpServer ssh(RawTcpServer::Behavior::kNotHttp);
  ProbeResult result = runner_.Run(HttpSpec(ssh.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_THAT(result.message, StartsWith("malformed HTTP response"));
}

TEST_P(HttpProbeTest, NameThatDoesNotResolve) {
  ProbeResult result = runner_.Run(HttpSpec(80, "/", "nosuchhost.invalid"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "dial tcp: lookup nosuchhost.invalid: no such host");
}

long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST_P(HttpProbeTest, HugeBodyIsCutShort) {
  RawTcpServer huge(RawTcpServer::Behavior::kHugeBody);
  runner_.Run(HttpSpec(huge.port()));  // warms up the handle pool and curl's buffers
  const long before = ResidentBytes();
  for (int i = 0; i < 5; ++i) {
    ProbeResult result = runner_.Run(HttpSpec(huge.port()));
    EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
    EXPECT_EQ(result.code, 200);
    EXPECT_LT(result.latency, 500ms);
  }
  EXPECT_LT(ResidentBytes() - before, 4l << 20);
  // Only what the sockets' buffers took: the probe read 10 KiB and closed.
  EXPECT_LT(huge.bytes_sent(), 6 * RawTcpServer::kHugeBodyBytes / 10);
}

TEST_P(HttpProbeTest, InvalidSpecsAreErrors) {
  ProbeSpec no_port = HttpSpec(0);
  ProbeSpec bad_host = HttpSpec(80, "/", "a/b");
  ProbeSpec no_timeout = HttpSpec(80);
  no_timeout.timeout = 0s;
  ProbeSpec bad_header = HttpSpec(80);
  bad_header.headers = {{"X-A", "b\r\nc"}};
  std::vector<ProbeResult> results = runner_.RunAll({no_port, bad_host, no_timeout, bad_header});
  for (const ProbeResult& result : results) EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(results[0].message, "invalid probe port 0: not in 1-65535");
  EXPECT_EQ(results[1].message, "invalid probe host \"a/b\"");
  EXPECT_EQ(results[2].message, "invalid probe timeout 0s");
  EXPECT_EQ(results[3].message, "invalid HTTP header \"X-A\"");
}

TEST_P(HttpProbeTest, LeavesNoTimeWait) {
  // On an address of this test's own, so that other processes' sockets
  // using the same port number do not count.
  const std::string address = testing::UniqueLoopbackAddress();
  TestHttpServer server({.address = address});
  for (int i = 0; i < 50; ++i) {
    ProbeResult result = runner_.Run(HttpSpec(server.port(), "/tw", address));
    EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  }
  // Once the server has closed its side too, nothing may linger in TIME_WAIT.
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return testing::CountTcpSockets(address, server.port(), /*ESTABLISHED*/ 0x01) == 0; },
      5s));
  EXPECT_EQ(testing::CountTcpSockets(address, server.port(), testing::kTcpTimeWait), 0);
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpProbeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sockets" : "Curl";
                         });

}  // namespace
}  // namespace vigil
