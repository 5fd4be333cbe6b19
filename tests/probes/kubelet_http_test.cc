// kubelet's HTTP probe cases (kubernetes/kubernetes pkg/probe/http/http_test.go
// and the request that request.go builds), one for one, against real servers
// on loopback, on both probe paths. Each test names the kubelet case it
// mirrors; where vigil differs on purpose (README, "Probing"), the test says so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <utility>
#include <vector>

#include "common/version.h"
#include "tests/probes/probe_runner.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/test_http_server.h"

namespace vigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HttpSpec;
using testing::ProbeRunner;
using testing::RawTcpServer;
using ::testing::StartsWith;
using testing::TestHttpServer;
using namespace std::chrono_literals;

using Fields = std::vector<std::pair<std::string, std::string>>;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// The request line and the header fields of a raw request, as sent.
struct RawRequest {
  std::string line;
  Fields fields;

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& [name, value] : fields) names.push_back(name);
    return names;
  }
  std::vector<std::string> Values(const std::string& name) const {
    std::vector<std::string> values;
    for (const auto& [n, value] : fields) {
      if (n == name) values.push_back(value);
    }
    return values;
  }
};

RawRequest Parse(const std::string& bytes) {
  RawRequest request;
  size_t at = bytes.find("\r\n");
  request.line = bytes.substr(0, at);
  while (at != std::string::npos && at + 2 < bytes.size()) {
    const size_t end = bytes.find("\r\n", at + 2);
    const std::string line = bytes.substr(at + 2, end - at - 2);
    at = end;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    request.fields.emplace_back(line.substr(0, colon), value);
  }
  return request;
}

class KubeletHttpTest : public ::testing::TestWithParam<bool> {
 protected:
  // Probes a server answering kOk with `headers` set; returns what it received.
  RawRequest Sent(const std::vector<ProbeSpec::Header>& headers, const std::string& path = "/") {
    RawTcpServer server(RawTcpServer::Script{kOk, RawTcpServer::End::kClose});
    ProbeSpec spec = HttpSpec(server.port(), path);
    spec.headers = headers;
    const ProbeResult result = runner_.Run(spec);
    EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
    EXPECT_EQ(server.requests().size(), 1u);
    return server.requests().empty() ? RawRequest{} : Parse(server.requests().front());
  }

  // Probes a server that answers `response` and then does `end`.
  ProbeResult Answered(const std::string& response, RawTcpServer::End end,
                       std::chrono::milliseconds timeout = 5s) {
    RawTcpServer server(RawTcpServer::Script{response, end});
    ProbeSpec spec = HttpSpec(server.port());
    spec.timeout = timeout;
    return runner_.Run(spec);
  }

  ProbeRunner runner_{ProbeEngine::Options{.native_sockets = GetParam()}};
};

const std::string kUserAgent = std::string("vigil-probe/") + kVersion;

// --- TestHTTPProbeChecker ----------------------------------------------------

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker handleReq(http.StatusOK, "ok body")
TEST_P(KubeletHttpTest, OkBody) {
  TestHttpServer server;
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(result.code, 200);
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker headerCounterHandler "3" and
// headerKeysNamesHandler "Accept\nConnection\nUser-Agent": besides Host, exactly
// these three, and no Accept-Encoding (kubelet disables compression).
TEST_P(KubeletHttpTest, DefaultHeaders) {
  const RawRequest request = Sent({});
  EXPECT_THAT(request.Names(), ElementsAre("Host", "User-Agent", "Accept", "Connection"));
  // Deliberate difference: kubelet sends "kube-probe/<major>.<minor>".
  EXPECT_THAT(request.Values("User-Agent"), ElementsAre(kUserAgent));
  EXPECT_THAT(request.Values("Accept"), ElementsAre("*/*"));
  EXPECT_THAT(request.Values("Connection"), ElementsAre("close"));
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker headerEchoHandler
// "Accept-Encoding: gzip", "Accept-Encoding: foo", "Accept-Encoding: " (empty).
TEST_P(KubeletHttpTest, AcceptEncodingIsSentAsConfigured) {
  for (const std::string value : {"gzip", "foo", ""}) {
    EXPECT_THAT(Sent({{"Accept-Encoding", value}}).Values("Accept-Encoding"), ElementsAre(value));
  }
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker headerEchoHandler
// "X-Muffins-Or-Cupcakes: muffins".
TEST_P(KubeletHttpTest, CustomHeaderIsSent) {
  EXPECT_THAT(Sent({{"X-Muffins-Or-Cupcakes", "muffins"}}).Values("X-Muffins-Or-Cupcakes"),
              ElementsAre("muffins"));
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker headerEchoHandler
// "User-Agent: foo/1.0", User-Agent "" (none sent), and {} (the default).
TEST_P(KubeletHttpTest, UserAgent) {
  EXPECT_THAT(Sent({{"User-Agent", "foo/1.0"}}).Values("User-Agent"), ElementsAre("foo/1.0"));
  EXPECT_THAT(Sent({{"User-Agent", ""}}).Values("User-Agent"), ElementsAre());
  EXPECT_THAT(Sent({}).Values("User-Agent"), ElementsAre(kUserAgent));
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker headerEchoHandler: User-Agent
// with "Accept: text/html" and "Accept: foo/*", X-Muffins-Or-Cupcakes with
// "Accept: foo/*", "Accept: foo/*" alone, Accept "" (none sent) alone and with
// a User-Agent, and {} ("Accept: */*").
TEST_P(KubeletHttpTest, Accept) {
  RawRequest html = Sent({{"User-Agent", "foo/1.0"}, {"Accept", "text/html"}});
  EXPECT_THAT(html.Values("Accept"), ElementsAre("text/html"));
  EXPECT_THAT(html.Values("User-Agent"), ElementsAre("foo/1.0"));
  RawRequest foo = Sent({{"User-Agent", "foo/1.0"}, {"Accept", "foo/*"}});
  EXPECT_THAT(foo.Values("User-Agent"), ElementsAre("foo/1.0"));
  EXPECT_THAT(foo.Values("Accept"), ElementsAre("foo/*"));
  RawRequest muffins = Sent({{"X-Muffins-Or-Cupcakes", "muffins"}, {"Accept", "foo/*"}});
  EXPECT_THAT(muffins.Values("X-Muffins-Or-Cupcakes"), ElementsAre("muffins"));
  EXPECT_THAT(Sent({{"Accept", "foo/*"}}).Values("Accept"), ElementsAre("foo/*"));
  EXPECT_THAT(Sent({{"Accept", ""}}).Values("Accept"), ElementsAre());
  RawRequest none = Sent({{"User-Agent", "foo/1.0"}, {"Accept", ""}});
  EXPECT_THAT(none.Values("Accept"), ElementsAre());
  EXPECT_THAT(none.Values("User-Agent"), ElementsAre("foo/1.0"));
  EXPECT_THAT(Sent({}).Values("Accept"), ElementsAre("*/*"));
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker Host echo
// "muffins.cupcakes.org".
TEST_P(KubeletHttpTest, HostHeader) {
  EXPECT_THAT(Sent({{"Host", "muffins.cupcakes.org"}}).Values("Host"),
              ElementsAre("muffins.cupcakes.org"));
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker handleReq(FailureCode, ...):
// Go's server drops the connection without an answer.
TEST_P(KubeletHttpTest, NoAnswerIsAFailure) {
  const ProbeResult result = Answered("", RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker
// handleReq(http.StatusInternalServerError, "fail body").
TEST_P(KubeletHttpTest, InternalServerErrorIsAFailure) {
  TestHttpServer server;
  server.SetStatus("/", 500);
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 500");
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker a handler that sleeps 3 s
// against a timeout of 1 s.
TEST_P(KubeletHttpTest, SlowAnswerIsAFailure) {
  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  ProbeSpec spec = HttpSpec(silent.port());
  spec.timeout = 1s;
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout);  // a failure for readiness
  EXPECT_EQ(result.message, "probe timed out after 1s");
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker redirectHandler(301|302|307|308,
// false|true): "/" redirects to "/new", which answers 200 or 500.
TEST_P(KubeletHttpTest, RedirectsAreFollowed) {
  for (int code : {301, 302, 307, 308}) {
    for (bool bad : {false, true}) {
      TestHttpServer server;
      server.SetStatus("/", code, "/new");
      server.SetStatus("/new", bad ? 500 : 200);
      const ProbeResult result = runner_.Run(HttpSpec(server.port()));
      EXPECT_EQ(result.outcome, bad ? ProbeOutcome::kFailure : ProbeOutcome::kSuccess) << code;
      EXPECT_EQ(server.request_count(), 2u) << code;
    }
  }
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker redirectHandlerWithBody(308, "")
// and (308, "ok body"): a 308 without a Location is a warning, which readiness
// takes as a success. Deliberate difference: the message has no body.
TEST_P(KubeletHttpTest, RedirectWithoutLocationIsAWarning) {
  for (const std::string body : {"", "ok body"}) {
    RawTcpServer server(RawTcpServer::Script{});
    server.SetScripts(
        {{"HTTP/1.1 308 Permanent Redirect\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n"},
         {"HTTP/1.1 308 Permanent Redirect\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body}});
    const ProbeResult result = runner_.Run(HttpSpec(server.port()));
    EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
    EXPECT_EQ(result.message, "Probe terminated redirects");
    EXPECT_EQ(result.code, 308);
    EXPECT_EQ(server.requests().size(), 2u);
  }
}

// --- TestHTTPProbeChecker_NonLocalRedirects (kubelet's prober: "-local") ------

struct RedirectCase {
  std::string name;
  std::string location;
  ProbeOutcome outcome;
  size_t requests;  // at the probed server
};

TEST_P(KubeletHttpTest, NonLocalRedirects) {
  TestHttpServer server;
  TestHttpServer newport;
  for (TestHttpServer* s : {&server, &newport}) {
    s->SetStatus("/loop", 302, "/loop");
    s->SetStatus("/success", 200);
    s->SetStatus("/fail", 500);
  }
  const std::string other = "http://127.0.0.1:" + std::to_string(newport.port());
  const std::vector<RedirectCase> cases = {
      // kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects "local success"
      {"local success", "/success", ProbeOutcome::kSuccess, 2},
      // kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects "local fail"
      {"local fail", "/fail", ProbeOutcome::kFailure, 2},
      // kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects "newport
      // success"
      {"newport success", other + "/success", ProbeOutcome::kSuccess, 1},
      // kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects "newport fail"
      {"newport fail", other + "/fail", ProbeOutcome::kFailure, 1},
      // kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects "bogus
      // nonlocal":
      // a warning, a success for readiness, not followed.
      {"bogus nonlocal", "http://0.0.0.0/fail", ProbeOutcome::kSuccess, 1},
      // kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_NonLocalRedirects "redirect loop"
      {"redirect loop", "/loop", ProbeOutcome::kFailure, 10},
  };
  for (const RedirectCase& c : cases) {
    const size_t before = server.request_count();
    server.SetStatus("/redirect", 302, c.location);
    const ProbeResult result = runner_.Run(HttpSpec(server.port(), "/redirect"));
    EXPECT_EQ(result.outcome, c.outcome) << c.name << ": " << result.message;
    EXPECT_EQ(server.request_count() - before, c.requests) << c.name;
  }
}

// --- TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect --------------------

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect
// "success" and "fail": a relative redirect keeps the configured Host.
TEST_P(KubeletHttpTest, HostHeaderPreservedAfterRedirect) {
  TestHttpServer server;
  server.SetStatus("/redirect", 302, "/success");
  server.RequireHost("/success", "www.success.com");
  for (const auto& [host, outcome] : std::vector<std::pair<std::string, ProbeOutcome>>{
           {"www.success.com", ProbeOutcome::kSuccess}, {"www.fail.com", ProbeOutcome::kFailure}}) {
    ProbeSpec spec = HttpSpec(server.port(), "/redirect");
    spec.headers = {{"Host", host}};
    EXPECT_EQ(runner_.Run(spec).outcome, outcome) << host;
  }
}

// Go's client keeps a configured Host only across relative redirects: after
// an absolute one, even to the same host, the next hop carries host:port.
TEST_P(KubeletHttpTest, HostHeaderIsDroppedAfterAnAbsoluteRedirect) {
  TestHttpServer server;
  const std::string self = "127.0.0.1:" + std::to_string(server.port());
  server.SetStatus("/absolute", 302, "http://" + self + "/relative");
  server.SetStatus("/relative", 302, "/end");
  ProbeSpec spec = HttpSpec(server.port(), "/absolute");
  spec.headers = {{"Host", "www.success.com"}};
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  std::vector<std::string> hosts;
  for (const TestHttpServer::Request& request : server.requests()) {
    hosts.push_back(request.Header("Host"));
  }
  // Once dropped, it stays dropped, relative redirects or not.
  EXPECT_THAT(hosts, ElementsAre("www.success.com", self, self));
}

// Go's client sends the previous URL as the Referer of each redirected request.
TEST_P(KubeletHttpTest, RedirectsCarryTheReferer) {
  TestHttpServer server;
  server.SetStatus("/a", 302, "/b");
  server.SetStatus("/b", 301, "/c");
  EXPECT_EQ(runner_.Run(HttpSpec(server.port(), "/a?x=1")).outcome, ProbeOutcome::kSuccess);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::vector<std::string> referers;
  for (const TestHttpServer::Request& request : server.requests()) {
    referers.push_back(request.Header("Referer"));
  }
  EXPECT_THAT(referers, ElementsAre("", base + "/a?x=1", base + "/b"));
}

// --- TestHTTPProbeChecker_PayloadTruncated / _PayloadNormal --------------------

std::string Head(size_t content_length) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_PayloadTruncated (10 KiB + 1)
// and TestHTTPProbeChecker_PayloadNormal (10 KiB - 1), with a Host header.
TEST_P(KubeletHttpTest, Payloads) {
  for (size_t size : {size_t{10 * 1024 + 1}, size_t{10 * 1024 - 1}}) {
    RawTcpServer server(RawTcpServer::Script{Head(size) + std::string(size, 'a')});
    ProbeSpec spec = HttpSpec(server.port());
    spec.headers = {{"Host", "www.success.com"}};
    const ProbeResult result = runner_.Run(spec);
    EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << size << ": " << result.message;
    EXPECT_THAT(Parse(server.requests().front()).Values("Host"), ElementsAre("www.success.com"));
  }
}

// ReadAtMost stops once 10,240 bytes have come: a body that sends exactly
// that much and stalls is a success at once; one byte short, it is still
// being read when the time runs out.
TEST_P(KubeletHttpTest, TheBodyLimitEndsTheRead) {
  ProbeResult result =
      Answered(Head(20000) + std::string(10 * 1024, 'a'), RawTcpServer::End::kStall, 2s);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_LT(result.latency, 1s);
  result =
      Answered(Head(20000) + std::string(10 * 1024 - 1, 'a'), RawTcpServer::End::kStall, 500ms);
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(
      result.message,
      "context deadline exceeded (Client.Timeout or context cancellation while reading body)");
}

// --- The request kubelet's client sends ----------------------------------------

// kubelet: pkg/probe/http/request_test.go Test_v1HeaderToHTTPHeader "not empty input"
// ("Connection: Keep-Alive"): with keep-alives off, Go's transport adds "close"
// unless the request already asks to close.
TEST_P(KubeletHttpTest, ConfiguredConnectionGetsClose) {
  EXPECT_THAT(
      Sent(
          {{"Connection", "Keep-Alive"}, {"Content-Type", "text/html"}, {"Accept-Ranges", "bytes"}})
          .Values("Connection"),
      ElementsAre("Keep-Alive", "close"));
  EXPECT_THAT(Sent({{"Connection", "close"}}).Values("Connection"), ElementsAre("close"));
}

// kubelet: pkg/probe/http/request_test.go Test_v1HeaderToHTTPHeader "case insensitive" and
// TestHeaderConversion: names are canonicalized, repeated names merged.
TEST_P(KubeletHttpTest, HeaderNamesAreCanonical) {
  const RawRequest request = Sent({{"HOST", "example.com"},
                                   {"FOO-bAR", "value"},
                                   {"accept", "application/json"},
                                   {"Accept", "*/*"},
                                   {"pragma", "no-cache"},
                                   {"X-forwarded-for", "username"}});
  EXPECT_THAT(request.Values("Host"), ElementsAre("example.com"));
  EXPECT_THAT(request.Values("Foo-Bar"), ElementsAre("value"));
  EXPECT_THAT(request.Values("Accept"), ElementsAre("application/json", "*/*"));
  EXPECT_THAT(request.Values("Pragma"), ElementsAre("no-cache"));
  EXPECT_THAT(request.Values("X-Forwarded-For"), ElementsAre("username"));
}

// kubelet: pkg/probe/http/request_test.go TestFormatURL: url.Parse of the path; the
// fragment is never sent.
TEST_P(KubeletHttpTest, PathIsParsedAsAUrl) {
  EXPECT_EQ(Sent({}, "/ready#frag").line, "GET /ready HTTP/1.1");
  EXPECT_EQ(Sent({}, "/path?bar").line, "GET /path?bar HTTP/1.1");
  EXPECT_EQ(Sent({}, "?foo").line, "GET /?foo HTTP/1.1");
  EXPECT_EQ(Sent({}, "/a/../b").line, "GET /a/../b HTTP/1.1");
  EXPECT_EQ(Sent({}, "/a%zz").line, "GET /a%25zz HTTP/1.1");
}

// Deliberate difference: kubelet reads "//host/path" as a host and a path
// (its own comment says it may be wrong); vigil refuses such a path.
TEST_P(KubeletHttpTest, NetworkPathIsRefused) {
  const ProbeResult result = runner_.Run(HttpSpec(80, "//other/ready"));
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_THAT(result.message, StartsWith("invalid probe path \"//other/ready\""));
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeProxy: proxies from the environment
// are not used.
TEST_P(KubeletHttpTest, ProxyFromTheEnvironmentIsIgnored) {
  TestHttpServer proxy;
  TestHttpServer target;
  const std::string url = "http://127.0.0.1:" + std::to_string(proxy.port()) + "/";
  setenv("http_proxy", url.c_str(), 1);
  setenv("HTTP_PROXY", url.c_str(), 1);
  const ProbeResult result = runner_.Run(HttpSpec(target.port()));
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_EQ(proxy.request_count(), 0u);
  EXPECT_EQ(target.request_count(), 1u);
}

// Go's http.ReadResponse trims extra spaces before the status code.
TEST_P(KubeletHttpTest, LenientStatusLine) {
  ProbeResult result =
      Answered("HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n", RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.code, 200);
  result = Answered("HTTP/1.1   503 Busy\r\nContent-Length: 0\r\n\r\n", RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 503");
}

// --- A body that breaks off: kubelet's prober error -----------------------------

// kubelet's DoHTTPProbe returns the body's read error; its prober treats an
// error as no result (see tests/agent/prober_test.cc for the retries).
TEST_P(KubeletHttpTest, TruncatedBodyIsAnError) {
  ProbeResult result = Answered(Head(100) + std::string(50, 'a'), RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "unexpected EOF");
  EXPECT_EQ(result.code, 200);
  result = Answered("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                    RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "unexpected EOF");
}

TEST_P(KubeletHttpTest, BodyResetIsAnError) {
  const ProbeResult result =
      Answered(Head(100) + std::string(50, 'a'), RawTcpServer::End::kResetLater);
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_THAT(result.message, StartsWith("read tcp 127.0.0.1:"));
  EXPECT_THAT(result.message, HasSubstr(": read: connection reset by peer"));
}

TEST_P(KubeletHttpTest, BodyThatNeverEndsIsAnError) {
  // Close-delimited, and with a length it never reaches.
  for (const std::string& response :
       {std::string("HTTP/1.1 200 OK\r\n\r\npartial"), Head(100) + "partial"}) {
    const ProbeResult result = Answered(response, RawTcpServer::End::kStall, 500ms);
    EXPECT_EQ(result.outcome, ProbeOutcome::kError) << response;
    EXPECT_EQ(
        result.message,
        "context deadline exceeded (Client.Timeout or context cancellation while reading body)");
    EXPECT_GE(result.latency, 500ms);
  }
}

// Go's client drops the body of a redirect it follows, broken or not.
TEST_P(KubeletHttpTest, BrokenBodyOfAFollowedRedirectIsDropped) {
  TestHttpServer target;
  RawTcpServer server(RawTcpServer::Script{
      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + std::to_string(target.port()) +
          "/\r\nContent-Length: 100\r\n\r\nshort",
      RawTcpServer::End::kClose});
  const ProbeResult result = runner_.Run(HttpSpec(server.port()));
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(target.request_count(), 1u);
}

// Go's client drains at most 2 KiB of a redirect it follows, and none when
// its Content-Length says more; a drain that stalls runs out the time.
TEST_P(KubeletHttpTest, RedirectBodiesAreDrainedAsGoDrainsThem) {
  TestHttpServer target;
  const std::string head =
      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + std::to_string(target.port()) + "/\r\n";
  struct Case {
    std::string response;
    ProbeOutcome outcome;
  };
  for (const Case& c : std::vector<Case>{
           {head + "Content-Length: 5000\r\n\r\n" + std::string(100, 'a'), ProbeOutcome::kSuccess},
           {head + "\r\n" + std::string(3000, 'a'), ProbeOutcome::kSuccess},
           {head + "\r\n" + std::string(100, 'a'), ProbeOutcome::kTimeout},
       }) {
    RawTcpServer server(RawTcpServer::Script{c.response, RawTcpServer::End::kStall});
    ProbeSpec spec = HttpSpec(server.port());
    spec.timeout = 500ms;
    const ProbeResult result = runner_.Run(spec);
    EXPECT_EQ(result.outcome, c.outcome) << c.response.substr(0, 80) << ": " << result.message;
    if (c.outcome == ProbeOutcome::kSuccess) {
      EXPECT_LT(result.latency, 400ms);
    }
  }
}

// Go's client fails on a Location it cannot parse.
TEST_P(KubeletHttpTest, UnparsableLocationIsAFailure) {
  const ProbeResult result =
      Answered("HTTP/1.1 302 Found\r\nLocation: /a%zz\r\nContent-Length: 0\r\n\r\n",
               RawTcpServer::End::kStall, 2s);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "failed to parse Location header \"/a%zz\"");
  EXPECT_EQ(result.code, 302);
}

// A redirect to another host is kubelet's final answer: its body is read as
// any other, and one that breaks off is an error.
TEST_P(KubeletHttpTest, BrokenBodyOfARedirectToAnotherHostIsAnError) {
  const std::string head = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:1/\r\n";
  ProbeResult result =
      Answered(head + "Content-Length: 100\r\n\r\nshort", RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(result.message, "unexpected EOF");
  result = Answered(head + "\r\nshort", RawTcpServer::End::kStall, 500ms);
  EXPECT_EQ(result.outcome, ProbeOutcome::kError);
  EXPECT_EQ(
      result.message,
      "context deadline exceeded (Client.Timeout or context cancellation while reading body)");
}

// Go's Referer is the previous URL as it writes it: with its fragment.
TEST_P(KubeletHttpTest, TheFirstRefererKeepsTheFragment) {
  TestHttpServer server;
  server.SetStatus("/a", 302, "/b");
  EXPECT_EQ(runner_.Run(HttpSpec(server.port(), "/a#top")).outcome, ProbeOutcome::kSuccess);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].Header("Referer"),
            "http://127.0.0.1:" + std::to_string(server.port()) + "/a#top");
}

// Go's client takes one Transfer-Encoding, "chunked", and at most 5 interim
// answers; anything else fails the probe.
TEST_P(KubeletHttpTest, FramingGoRefusesIsAFailure) {
  ProbeResult result =
      Answered("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
               RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message,
            "malformed HTTP response: unsupported transfer encoding: \"gzip, chunked\"");
  std::string interim;
  for (int i = 0; i < 6; ++i) interim += "HTTP/1.1 100 Continue\r\n\r\n";
  result = Answered(interim + kOk, RawTcpServer::End::kClose);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message,
            "malformed HTTP response: net/http: too many 1xx informational responses");
}

INSTANTIATE_TEST_SUITE_P(Paths, KubeletHttpTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sockets" : "Curl";
                         });

}  // namespace
}  // namespace vigil
