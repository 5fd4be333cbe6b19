// RequestHeaders: the fields of kubelet's request for a spec's httpHeaders.
#include "probes/request_headers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/version.h"

namespace vigil {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::StartsWith;

const std::string kUserAgent = std::string("vigil-probe/") + kVersion;

RequestHeaders Build(const std::vector<ProbeSpec::Header>& headers) {
  Result<RequestHeaders> built = BuildRequestHeaders(headers);
  EXPECT_TRUE(built.ok()) << built.status().message();
  return built.ok() ? *built : RequestHeaders{};
}

TEST(RequestHeadersTest, Defaults) {
  RequestHeaders headers = Build({});
  EXPECT_EQ(headers.host, "");
  EXPECT_THAT(headers.fields, ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"),
                                          Pair("Connection", "close")));
}

// kubelet: pkg/probe/http/request_test.go Test_v1HeaderToHTTPHeader "not empty input"
// and "case insensitive"; a configured Connection also gets Go's "close".
TEST(RequestHeadersTest, V1HeaderToHttpHeader) {
  EXPECT_THAT(
      Build(
          {{"Connection", "Keep-Alive"}, {"Content-Type", "text/html"}, {"Accept-Ranges", "bytes"}})
          .fields,
      ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"),
                  Pair("Accept-Ranges", "bytes"), Pair("Connection", "Keep-Alive"),
                  Pair("Content-Type", "text/html"), Pair("Connection", "close")));
  RequestHeaders insensitive = Build({{"HOST", "example.com"}, {"FOO-bAR", "value"}});
  EXPECT_EQ(insensitive.host, "example.com");
  EXPECT_THAT(insensitive.fields,
              ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"),
                          Pair("Foo-Bar", "value"), Pair("Connection", "close")));
}

// kubelet: pkg/probe/http/request_test.go TestHeaderConversion; and
// pkg/kubelet/prober/prober_test.go TestHTTPHeaders.
TEST(RequestHeadersTest, HeaderConversion) {
  EXPECT_THAT(Build({{"accept", "application/json"}}).fields,
              ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "application/json"),
                          Pair("Connection", "close")));
  EXPECT_THAT(Build({{"accept", "application/json"},
                     {"Accept", "*/*"},
                     {"pragma", "no-cache"},
                     {"X-forwarded-for", "username"}})
                  .fields,
              ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "application/json"),
                          Pair("Accept", "*/*"), Pair("Pragma", "no-cache"),
                          Pair("X-Forwarded-For", "username"), Pair("Connection", "close")));
  EXPECT_THAT(
      Build({{"X-Muffins-Or-Cupcakes", "Muffins"}, {"X-Muffins-Or-Cupcakes", "Cupcakes, too"}})
          .fields,
      ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"),
                  Pair("X-Muffins-Or-Cupcakes", "Muffins"),
                  Pair("X-Muffins-Or-Cupcakes", "Cupcakes, too"), Pair("Connection", "close")));
}

TEST(RequestHeadersTest, ConnectionCloseUnlessTheRequestAsksToCloseOrUpgrades) {
  EXPECT_THAT(Build({{"Connection", "close"}}).fields,
              ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"),
                          Pair("Connection", "close")));
  EXPECT_THAT(Build({{"Connection", "foo, Close"}}).fields.back(),
              Pair("Connection", "foo, Close"));
  // "close" only as a token, only in the first value.
  EXPECT_THAT(Build({{"Connection", "closed"}}).fields.back(), Pair("Connection", "close"));
  EXPECT_THAT(Build({{"Connection", "keep-alive"}, {"Connection", "close"}}).fields.back(),
              Pair("Connection", "close"));
  EXPECT_EQ(Build({{"Connection", "keep-alive"}, {"Connection", "close"}}).fields.size(), 5u);
  EXPECT_THAT(Build({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}}).fields.back(),
              Pair("Upgrade", "websocket"));
}

TEST(RequestHeadersTest, FirstValuesDecide) {
  // Go sends the first User-Agent only; an empty first Accept removes them all.
  EXPECT_THAT(
      Build({{"User-Agent", "a/1"}, {"User-Agent", "b/2"}}).fields,
      ElementsAre(Pair("User-Agent", "a/1"), Pair("Accept", "*/*"), Pair("Connection", "close")));
  EXPECT_THAT(Build({{"Accept", ""}, {"Accept", "text/html"}}).fields,
              ElementsAre(Pair("User-Agent", kUserAgent), Pair("Connection", "close")));
  EXPECT_EQ(Build({{"Host", ""}, {"Host", "b.example"}}).host, "");
  EXPECT_EQ(Build({{"Host", "a.example"}, {"Host", "b.example"}}).host, "a.example");
}

TEST(RequestHeadersTest, WhatGoWritesItselfIsDropped) {
  EXPECT_THAT(
      Build({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}, {"Trailer", "X"}}).fields,
      ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"),
                  Pair("Connection", "close")));
}

TEST(RequestHeadersTest, ValuesAreTrimmed) {
  EXPECT_THAT(Build({{"X-A", "  b c \t"}}).fields,
              ElementsAre(Pair("User-Agent", kUserAgent), Pair("Accept", "*/*"), Pair("X-A", "b c"),
                          Pair("Connection", "close")));
}

TEST(RequestHeadersTest, RefusesHeadersThatCannotBeSent) {
  for (const ProbeSpec::Header& header :
       std::vector<ProbeSpec::Header>{{"", "x"},
                                      {"X A", "b"},
                                      {"X:A", "b"},
                                      {std::string("X\0A", 3), "b"},
                                      {"X-A", "b\r\nX-Injected: 1"},
                                      {"X-A", "b\nc"},
                                      {"X-A", std::string("b\0c", 3)}}) {
    Result<RequestHeaders> built = BuildRequestHeaders({header});
    ASSERT_FALSE(built.ok()) << header.name << ": " << header.value;
    EXPECT_THAT(built.status().message(), StartsWith("invalid HTTP header"));
  }
}

TEST(RequestHeadersTest, CanonicalNames) {
  EXPECT_EQ(CanonicalHeaderName("x-forwarded-for"), "X-Forwarded-For");
  EXPECT_EQ(CanonicalHeaderName("FOO-bAR"), "Foo-Bar");
  EXPECT_EQ(CanonicalHeaderName("www-authenticate"), "Www-Authenticate");
  EXPECT_EQ(CanonicalHeaderName("a--b"), "A--B");
}

}  // namespace
}  // namespace vigil
