#include "config/names.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace vigil {
namespace {

constexpr std::string_view kDns1035Help =
    " is not a DNS-1035 label: use at most 63 lowercase letters, digits and \"-\", starting with a "
    "letter and ending with a letter or digit";
constexpr std::string_view kSubdomainHelp =
    " is not a DNS-1123 subdomain: use at most 253 lowercase letters, digits, \"-\" and \".\", "
    "starting and ending with a letter or digit";
constexpr std::string_view kLabelKeyHelp =
    " is not valid: the name part takes at most 63 letters, digits, \"-\", \"_\" and \".\", "
    "starting and ending with a letter or digit";
constexpr std::string_view kLabelValueHelp =
    " is not valid: use at most 63 letters, digits, \"-\", \"_\" and \".\", starting and ending "
    "with a letter or digit";
constexpr std::string_view kPortNameHelp =
    " is not a valid port name: use at most 15 lowercase letters, digits and \"-\", with at least "
    "one letter, no \"--\", and no \"-\" at either end";

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

TEST(Dns1035LabelTest, AcceptsKubernetesServiceNames) {
  EXPECT_TRUE(CheckDns1035Label("web").ok());
  EXPECT_TRUE(CheckDns1035Label("a").ok());
  EXPECT_TRUE(CheckDns1035Label("alpaca-prod").ok());
  EXPECT_TRUE(CheckDns1035Label("web2").ok());
  EXPECT_TRUE(CheckDns1035Label("a-1-b").ok());
  EXPECT_TRUE(CheckDns1035Label(std::string(63, 'a')).ok());
}

TEST(Dns1035LabelTest, RejectsOtherNames) {
  for (const std::string& name :
       {std::string(""), std::string("Web"), std::string("1web"), std::string("-web"),
        std::string("web-"), std::string("we_b"), std::string("we.b"), std::string(64, 'a')}) {
    SCOPED_TRACE(name);
    const Status s = CheckDns1035Label(name);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), Quoted(name) + std::string(kDns1035Help));
  }
}

TEST(Dns1123LabelTest, AcceptsNamespaceNames) {
  for (const std::string& name : {std::string("default"), std::string("kube-system"),
                                  std::string("9lives"), std::string("a"), std::string(63, 'n')}) {
    EXPECT_TRUE(CheckDns1123Label(name).ok()) << name;
  }
}

TEST(Dns1123LabelTest, RejectsOtherNames) {
  for (const std::string& name :
       {std::string(""), std::string("Shop"), std::string("-shop"), std::string("shop-"),
        std::string("a.b"), std::string("a_b"), std::string(64, 'n')}) {
    SCOPED_TRACE(name);
    const Status s = CheckDns1123Label(name);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), Quoted(name) +
                               " is not a DNS-1123 label: use at most 63 lowercase letters, "
                               "digits and \"-\", starting and ending with a letter or digit");
  }
}

TEST(Dns1123SubdomainTest, AcceptsNodeNames) {
  EXPECT_TRUE(CheckDns1123Subdomain("node-a").ok());
  EXPECT_TRUE(CheckDns1123Subdomain("1node").ok());
  EXPECT_TRUE(CheckDns1123Subdomain("node-a.zone-1.example.com").ok());
  EXPECT_TRUE(CheckDns1123Subdomain(std::string(63, 'a') + "." + std::string(63, 'b')).ok());
  // 4 labels of 63 and a label of one: 4 * 64 - 3 = 253 characters.
  std::string longest;
  for (int i = 0; i < 3; ++i) longest += std::string(63, 'a') + ".";
  longest += std::string(61, 'a');
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_TRUE(CheckDns1123Subdomain(longest).ok());
}

TEST(Dns1123SubdomainTest, RejectsOtherNames) {
  std::string too_long;
  for (int i = 0; i < 3; ++i) too_long += std::string(63, 'a') + ".";
  too_long += std::string(62, 'a');
  ASSERT_EQ(too_long.size(), 254u);
  for (const std::string& name :
       {std::string(""), std::string("Node_A"), std::string("node-a."), std::string(".node"),
        std::string("a..b"), std::string("-node"), std::string("node-"), std::string("a.-b"),
        std::string(64, 'a'), too_long}) {
    SCOPED_TRACE(name);
    const Status s = CheckDns1123Subdomain(name);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), Quoted(name) + std::string(kSubdomainHelp));
  }
}

TEST(LabelKeyTest, AcceptsNamesAndPrefixedNames) {
  EXPECT_TRUE(CheckLabelKey("app").ok());
  EXPECT_TRUE(CheckLabelKey("App").ok());
  EXPECT_TRUE(CheckLabelKey("a_b.c-d").ok());
  EXPECT_TRUE(CheckLabelKey("example.com/app").ok());
  EXPECT_TRUE(CheckLabelKey("app.kubernetes.io/name").ok());
  EXPECT_TRUE(CheckLabelKey(std::string(63, 'a')).ok());
  EXPECT_TRUE(CheckLabelKey("example.com/" + std::string(63, 'a')).ok());
}

TEST(LabelKeyTest, RejectsBadNames) {
  for (const std::string& key :
       {std::string(""), std::string("-app"), std::string("app-"), std::string("a b"),
        std::string(64, 'a'), std::string("example.com/"), std::string("example.com/-app"),
        std::string("a/b/c"), std::string("example.com/" + std::string(64, 'a'))}) {
    SCOPED_TRACE(key);
    const Status s = CheckLabelKey(key);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), "label key " + Quoted(key) + std::string(kLabelKeyHelp));
  }
}

TEST(LabelKeyTest, RejectsBadPrefixes) {
  EXPECT_EQ(CheckLabelKey("Example.com/app").message(),
            "label key \"Example.com/app\": the prefix \"Example.com\" is not a DNS-1123 "
            "subdomain");
  EXPECT_EQ(CheckLabelKey("/app").message(),
            "label key \"/app\": the prefix \"\" is not a DNS-1123 subdomain");
  EXPECT_EQ(CheckLabelKey("bad_/x").message(),
            "label key \"bad_/x\": the prefix \"bad_\" is not a DNS-1123 subdomain");
  const std::string long_prefix = std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                                  std::string(63, 'a') + "." + std::string(63, 'a');
  ASSERT_EQ(long_prefix.size(), 255u);
  EXPECT_EQ(CheckLabelKey(long_prefix + "/app").message(),
            "label key \"" + long_prefix + "/app\": the prefix \"" + long_prefix +
                "\" is not a DNS-1123 subdomain");
}

TEST(LabelValueTest, AcceptsValues) {
  EXPECT_TRUE(CheckLabelValue("").ok());
  EXPECT_TRUE(CheckLabelValue("prod").ok());
  EXPECT_TRUE(CheckLabelValue("1").ok());
  EXPECT_TRUE(CheckLabelValue("Prod_1.2-rc").ok());
  EXPECT_TRUE(CheckLabelValue(std::string(63, 'x')).ok());
}

TEST(LabelValueTest, RejectsBadValues) {
  for (const std::string& value : {std::string("-bad"), std::string("bad."), std::string("a b"),
                                   std::string("a/b"), std::string(64, 'x')}) {
    SCOPED_TRACE(value);
    const Status s = CheckLabelValue(value);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), "label value " + Quoted(value) + std::string(kLabelValueHelp));
  }
}

TEST(PortNameTest, AcceptsIanaServiceNames) {
  EXPECT_TRUE(CheckPortName("http").ok());
  EXPECT_TRUE(CheckPortName("h").ok());
  EXPECT_TRUE(CheckPortName("http-alt").ok());
  EXPECT_TRUE(CheckPortName("h2c").ok());
  EXPECT_TRUE(CheckPortName("8080x").ok());
  EXPECT_TRUE(CheckPortName("a-b-c").ok());
  EXPECT_TRUE(CheckPortName(std::string(15, 'a')).ok());
}

TEST(PortNameTest, RejectsOtherNames) {
  for (const std::string& name :
       {std::string(""), std::string(16, 'a'), std::string("a--b"), std::string("8080"),
        std::string("1-2"), std::string("-http"), std::string("http-"), std::string("Http"),
        std::string("http_alt"), std::string("http.alt")}) {
    SCOPED_TRACE(name);
    const Status s = CheckPortName(name);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), Quoted(name) + std::string(kPortNameHelp));
  }
}

TEST(HeaderNameTest, AcceptsTokens) {
  EXPECT_TRUE(CheckHeaderName("Host").ok());
  EXPECT_TRUE(CheckHeaderName("X-Request-Id").ok());
  EXPECT_TRUE(CheckHeaderName("x_custom.header~1").ok());
  EXPECT_TRUE(CheckHeaderName("!#$%&'*+-.^_`|~").ok());
}

TEST(HeaderNameTest, RejectsNonTokens) {
  for (const std::string& name :
       {std::string(""), std::string("X A"), std::string("X:A"), std::string("X\nA"),
        std::string("(x)"), std::string("\"x\""), std::string("X/A"), std::string("\xc3\xa4")}) {
    SCOPED_TRACE(name);
    const Status s = CheckHeaderName(name);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), Quoted(name) + " is not a valid HTTP header name");
  }
}

TEST(ClosestMatchTest, FindsTypos) {
  constexpr std::string_view kKeys[] = {"node",     "listen",        "logging",
                                        "registry", "probeDefaults", "services"};
  EXPECT_EQ(ClosestMatch("servics", kKeys), "services");
  EXPECT_EQ(ClosestMatch("service", kKeys), "services");
  EXPECT_EQ(ClosestMatch("lisen", kKeys), "listen");
  EXPECT_EQ(ClosestMatch("nod", kKeys), "node");
  EXPECT_EQ(ClosestMatch("probeDefault", kKeys), "probeDefaults");
  EXPECT_EQ(ClosestMatch("registyr", kKeys), "registry");
}

TEST(ClosestMatchTest, IgnoresCase) {
  constexpr std::string_view kKeys[] = {"initialDelaySeconds", "periodSeconds", "timeoutSeconds"};
  EXPECT_EQ(ClosestMatch("PERIODSECONDS", kKeys), "periodSeconds");
  EXPECT_EQ(ClosestMatch("periodseconds", kKeys), "periodSeconds");
  EXPECT_EQ(ClosestMatch("TimeoutSecond", kKeys), "timeoutSeconds");
}

TEST(ClosestMatchTest, UnrelatedWordsGetNoSuggestion) {
  constexpr std::string_view kKeys[] = {"node",     "listen",        "logging",
                                        "registry", "probeDefaults", "services"};
  EXPECT_EQ(ClosestMatch("foo", kKeys), "");
  EXPECT_EQ(ClosestMatch("endpoints", kKeys), "");
  EXPECT_EQ(ClosestMatch("readinessProbe", kKeys), "");
  EXPECT_EQ(ClosestMatch("timeout", kKeys), "");
  EXPECT_EQ(ClosestMatch("services", {}), "");
}

TEST(ClosestMatchTest, PrefersTheNearestCandidate) {
  constexpr std::string_view kKeys[] = {"port", "host", "path"};
  EXPECT_EQ(ClosestMatch("pth", kKeys), "path");
  EXPECT_EQ(ClosestMatch("prt", kKeys), "port");
  EXPECT_EQ(ClosestMatch("hst", kKeys), "host");
}

}  // namespace
}  // namespace vigil
