// PrepareProbe and the native request's bytes, as pure functions.
#include "probes/prepared_probe.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "common/version.h"
#include "tests/probes/probe_runner.h"

namespace vigil {
namespace {

using testing::HttpSpec;
using testing::TcpSpec;

const std::string kUserAgent = std::string("User-Agent: vigil-probe/") + kVersion + "\r\n";

std::string Request(const ProbeSpec& spec) {
  Result<std::string> bytes = HttpRequestBytes(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : "";
}

TEST(HttpRequestBytesTest, AsksForThePathAndTheClose) {
  EXPECT_EQ(Request(HttpSpec(8080, "/ready")), "GET /ready HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" +
                                                   kUserAgent +
                                                   "Accept: */*\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Request(HttpSpec(80, "/a b?x=1", "::1")),
            "GET /a%20b?x=1 HTTP/1.1\r\nHost: [::1]:80\r\n" + kUserAgent +
                "Accept: */*\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Request(HttpSpec(80, "healthz")).substr(0, 22), "GET /healthz HTTP/1.1\r");
}

// As Go's client writes kubelet's request: Host, User-Agent, the other
// fields by canonical name, then "Connection: close".
TEST(HttpRequestBytesTest, TheSpecsHeadersWinOverTheDefaults) {
  ProbeSpec spec = HttpSpec(8080, "/");
  spec.headers = {{"Host", "example.com"},
                  {"user-agent", "custom/1"},
                  {"X-A", "b"},
                  {"connection", "keep-alive"},
                  {"X-Empty", ""}};
  EXPECT_EQ(Request(spec),
            "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: custom/1\r\nAccept: */*\r\n"
            "Connection: keep-alive\r\nX-A: b\r\nX-Empty: \r\nConnection: close\r\n\r\n");
}

TEST(HttpRequestBytesTest, EmptyValuesRemoveOrKeepDefaultsAsKubelet) {
  ProbeSpec spec = HttpSpec(8080, "/");
  spec.headers = {{"Host", ""}, {"User-Agent", ""}, {"Accept", ""}};
  EXPECT_EQ(Request(spec), "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n");
}

// kubelet: pkg/probe/http/request_test.go TestFormatURL (the request line of
// each URL) and the fragment that url.Parse keeps out of it.
TEST(HttpRequestBytesTest, RequestLineOfKubeletsUrl) {
  for (const auto& [path, line] : std::vector<std::pair<std::string, std::string>>{
           {"", "GET / HTTP/1.1"},
           {"/path", "GET /path HTTP/1.1"},
           {"?foo", "GET /?foo HTTP/1.1"},
           {"/path?bar", "GET /path?bar HTTP/1.1"},
           {"/ready#frag", "GET /ready HTTP/1.1"},
           {"/ready?x=1#frag", "GET /ready?x=1 HTTP/1.1"}}) {
    EXPECT_EQ(Request(HttpSpec(93, path)).substr(0, line.size() + 2), line + "\r\n") << path;
  }
}

TEST(HttpRequestBytesTest, RefusesHeadersThatCannotBeSent) {
  ProbeSpec spec = HttpSpec(8080, "/");
  spec.headers = {{"X-A", "b\r\nX-Injected: 1"}};
  EXPECT_FALSE(HttpRequestBytes(spec).ok());
}

TEST(PrepareProbeTest, PlainProbesOfIpLiteralsRunOnTheEnginesSockets) {
  for (const ProbeSpec& spec :
       {HttpSpec(80), HttpSpec(80, "/", "::1"), TcpSpec(22), TcpSpec(22, "fd00::7")}) {
    const auto prepared = PrepareProbe(spec);
    EXPECT_TRUE(prepared->invalid.ok()) << spec.host;
    EXPECT_TRUE(prepared->native) << spec.host;
    EXPECT_GT(prepared->address_length, 0u);
  }
  EXPECT_EQ(PrepareProbe(HttpSpec(80))->request.substr(0, 14), "GET / HTTP/1.1");
  EXPECT_EQ(PrepareProbe(HttpSpec(8080, "/x"))->url, "http://127.0.0.1:8080/x");
}

TEST(PrepareProbeTest, HttpsAndNamesAreLibcurls) {
  ProbeSpec https = HttpSpec(443);
  https.https = true;
  EXPECT_FALSE(PrepareProbe(https)->native);
  EXPECT_FALSE(PrepareProbe(HttpSpec(80, "/", "db.example"))->native);
  EXPECT_FALSE(PrepareProbe(TcpSpec(5432, "db.example"))->native);
  EXPECT_TRUE(PrepareProbe(TcpSpec(5432, "db.example"))->invalid.ok());
}

TEST(PrepareProbeTest, WhatCannotBeAttemptedSaysWhy) {
  ProbeSpec header = HttpSpec(80);
  header.headers = {{"X A", "b"}};
  ProbeSpec timeout = HttpSpec(80);
  timeout.timeout = std::chrono::nanoseconds(0);
  EXPECT_EQ(PrepareProbe(HttpSpec(0))->invalid.message(), "invalid probe port 0: not in 1-65535");
  EXPECT_EQ(PrepareProbe(HttpSpec(80, "/", "a/b"))->invalid.message(),
            "invalid probe host \"a/b\"");
  EXPECT_EQ(PrepareProbe(timeout)->invalid.message(), "invalid probe timeout 0s");
  EXPECT_EQ(PrepareProbe(header)->invalid.message(), "invalid HTTP header \"X A\"");
  EXPECT_FALSE(PrepareProbe(header)->native);
}

}  // namespace
}  // namespace vigil
