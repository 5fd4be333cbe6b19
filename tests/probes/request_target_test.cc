// RequestTarget: kubelet's url.Parse of httpGet.path, then RequestURI().
#include "probes/request_target.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace vigil {
namespace {

using Cases = std::vector<std::pair<std::string, std::string>>;

void Expect(const Cases& cases) {
  for (const auto& [path, target] : cases) EXPECT_EQ(RequestTarget(path), target) << path;
}

// kubelet: pkg/probe/http/request_test.go TestFormatURL (and
// pkg/kubelet/prober/prober_test.go TestFormatURL before it moved).
TEST(RequestTargetTest, KubeletsFormatUrlCases) {
  Expect({{"", "/"}, {"/path", "/path"}, {"?foo", "/?foo"}, {"/path?bar", "/path?bar"}});
}

TEST(RequestTargetTest, TheFragmentIsNeverSent) {
  Expect({{"/ready#frag", "/ready"},
          {"/ready?a=1#frag", "/ready?a=1"},
          {"/a#b#c", "/a"},
          {"/#", "/"},
          {"/a?#x", "/a?"}});
}

TEST(RequestTargetTest, QueriesGoAsWritten) {
  Expect({{"/a?b=c&d=%20", "/a?b=c&d=%20"}, {"/a?", "/a?"}, {"/a?x=\"y\"", "/a?x=\"y\""}});
}

TEST(RequestTargetTest, PathsThatNeedNoEscapingGoAsWritten) {
  Expect({{"/a/../b", "/a/../b"},
          {"/a%2Fb", "/a%2Fb"},
          {"/a(b)!*[c]", "/a(b)!*[c]"},
          {"/~user/$x;y=z,w@h:p", "/~user/$x;y=z,w@h:p"},
          {"///x", "///x"}});
}

TEST(RequestTargetTest, OtherPathsAreEscapedAsGoEscapesThem) {
  // The decoded path is escaped again: "%2F" is "/" once decoded.
  Expect({{"/a b/\"<\xc3\xa9>", "/a%20b/%22%3C%C3%A9%3E"},
          {"/a%2Fb\"", "/a/b%22"},
          {"/a(b)\"", "/a%28b%29%22"}});
}

TEST(RequestTargetTest, WhatUrlParseRefusesIsEscapedWhole) {
  Expect({{"/a%zz", "/a%25zz"},
          {"/a%zz?x=1", "/a%25zz%3Fx=1"},
          {"/a#%zz", "/a%23%25zz"},
          {"/a%4", "/a%254"},
          {"/a\x01", "/a%01"}});
}

// Go's URL.String() of kubelet's URL, after the authority: the Referer of a
// first redirect.
TEST(RequestTargetTest, UrlTailKeepsTheFragment) {
  EXPECT_EQ(UrlTail("/ready#frag"), "/ready#frag");
  EXPECT_EQ(UrlTail("/ready?a=1#f(x)!"), "/ready?a=1#f(x)!");
  EXPECT_EQ(UrlTail("/a#b c"), "/a#b%20c");
  EXPECT_EQ(UrlTail("/a#"), "/a");
  EXPECT_EQ(UrlTail(""), "");
  EXPECT_EQ(UrlTail("?foo"), "?foo");
  EXPECT_EQ(UrlTail("/a%zz#x"), "/a%25zz%23x");
}

TEST(RequestTargetTest, LocationsGoParses) {
  EXPECT_TRUE(ParsesAsGoUrl("/next"));
  EXPECT_TRUE(ParsesAsGoUrl("http://127.0.0.1:80/a%20b?q=%zz#f"));
  EXPECT_FALSE(ParsesAsGoUrl("/a%zz"));
  EXPECT_FALSE(ParsesAsGoUrl("/a#%"));
  EXPECT_FALSE(ParsesAsGoUrl("/a\x7f"));
}

TEST(RequestTargetTest, NetworkPaths) {
  EXPECT_TRUE(IsNetworkPath("//host/path"));
  EXPECT_TRUE(IsNetworkPath("//"));
  EXPECT_FALSE(IsNetworkPath("///path"));
  EXPECT_FALSE(IsNetworkPath("/path//x"));
  EXPECT_FALSE(IsNetworkPath("/"));
}

}  // namespace
}  // namespace vigil
