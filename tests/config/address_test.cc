#include "config/address.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace vigil {
namespace {

// The error of `result`, or a note that there was none.
template <typename T>
std::string ErrorOf(const Result<T>& result) {
  return result.ok() ? "(no error)" : result.status().message();
}

TEST(CanonicalIpTest, CanonicalizesIpv4AndIpv6) {
  EXPECT_EQ(*CanonicalIp("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(*CanonicalIp("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(*CanonicalIp("255.255.255.255"), "255.255.255.255");
  EXPECT_EQ(*CanonicalIp("::1"), "::1");
  EXPECT_EQ(*CanonicalIp("0:0::1"), "::1");
  EXPECT_EQ(*CanonicalIp("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(*CanonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(*CanonicalIp("fe80:0000::0001"), "fe80::1");
  EXPECT_EQ(*CanonicalIp("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
  EXPECT_EQ(*CanonicalIp("::"), "::");
}

TEST(CanonicalIpTest, RejectsEverythingElse) {
  EXPECT_EQ(ErrorOf(CanonicalIp("300.1.1.1")), "\"300.1.1.1\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp("10.0.0.01")), "\"10.0.0.01\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp("10.0.0")), "\"10.0.0\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp("localhost")), "\"localhost\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp("[::1]")), "\"[::1]\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp("10.0.0.1:80")), "\"10.0.0.1:80\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp(" 10.0.0.1")), "\" 10.0.0.1\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp("")), "\"\" is not an IP address");
  EXPECT_EQ(ErrorOf(CanonicalIp(":::1")), "\":::1\" is not an IP address");
}

TEST(ParseHostTest, CanonicalizesIpLiterals) {
  EXPECT_EQ(*ParseHost("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(*ParseHost("0:0::1"), "::1");
  EXPECT_EQ(*ParseHost("[0:0::1]"), "::1");
  EXPECT_EQ(*ParseHost("[2001:DB8::1]"), "2001:db8::1");
}

TEST(ParseHostTest, KeepsHostNamesAsWritten) {
  EXPECT_EQ(*ParseHost("localhost"), "localhost");
  EXPECT_EQ(*ParseHost("db.example.com"), "db.example.com");
  EXPECT_EQ(*ParseHost("DB.Example.com"), "DB.Example.com");
  EXPECT_EQ(*ParseHost("my-host1"), "my-host1");
}

TEST(ParseHostTest, RejectsMalformedHosts) {
  EXPECT_EQ(ErrorOf(ParseHost("")), "\"\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("bad_host")),
            "\"bad_host\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("-host")), "\"-host\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost(".host")), "\".host\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("host:80")), "\"host:80\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("[db.example.com]")),
            "\"[db.example.com]\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("[::1")), "\"[::1\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost(std::string(254, 'a'))),
            "\"" + std::string(254, 'a') + "\" is neither an IP address nor a host name");
}

// Host names follow RFC 1123: no empty label, no label ending in '-', and a last label that is
// not all digits (so a malformed IPv4 address such as "300.1.1.1" is refused, not resolved).
TEST(ParseHostTest, RejectsMalformedHostNames) {
  EXPECT_EQ(ErrorOf(ParseHost("300.1.1.1")),
            "\"300.1.1.1\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("a..b")), "\"a..b\" is neither an IP address nor a host name");
  EXPECT_EQ(ErrorOf(ParseHost("host-.example.com")),
            "\"host-.example.com\" is neither an IP address nor a host name");
}

TEST(ParsePortTest, AcceptsDecimalPorts) {
  EXPECT_EQ(*ParsePort("1"), 1);
  EXPECT_EQ(*ParsePort("80"), 80);
  EXPECT_EQ(*ParsePort("65535"), 65535);
  // Leading zeros are read as decimal, not octal.
  EXPECT_EQ(*ParsePort("08080"), 8080);
}

TEST(ParsePortTest, RejectsEverythingElse) {
  const std::string want = ": want a number from 1 to 65535";
  EXPECT_EQ(ErrorOf(ParsePort("0")), "invalid port \"0\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("65536")), "invalid port \"65536\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("99999999999")), "invalid port \"99999999999\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("+1")), "invalid port \"+1\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("-1")), "invalid port \"-1\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("")), "invalid port \"\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("http")), "invalid port \"http\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("80 ")), "invalid port \"80 \"" + want);
  EXPECT_EQ(ErrorOf(ParsePort(" 80")), "invalid port \" 80\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("0x50")), "invalid port \"0x50\"" + want);
  EXPECT_EQ(ErrorOf(ParsePort("8.0")), "invalid port \"8.0\"" + want);
}

TEST(ParseEndpointTest, ParsesIpv4WithPort) {
  const Result<Endpoint> e = ParseEndpoint("10.0.0.1:8080", std::nullopt);
  ASSERT_TRUE(e.ok()) << ErrorOf(e);
  EXPECT_EQ(*e, (Endpoint{"10.0.0.1", 8080}));
  EXPECT_FALSE(e->IsIpv6());
  EXPECT_EQ(e->HostPort(), "10.0.0.1:8080");
}

TEST(ParseEndpointTest, ParsesAndCanonicalizesIpv6WithPort) {
  const Result<Endpoint> e = ParseEndpoint("[0:0::1]:80", 8080);
  ASSERT_TRUE(e.ok()) << ErrorOf(e);
  EXPECT_EQ(*e, (Endpoint{"::1", 80}));
  EXPECT_TRUE(e->IsIpv6());
  EXPECT_EQ(e->HostPort(), "[::1]:80");
  EXPECT_EQ(*ParseEndpoint("[2001:DB8::a]:443", std::nullopt), (Endpoint{"2001:db8::a", 443}));
}

TEST(ParseEndpointTest, BareAddressTakesTheDefaultPort) {
  EXPECT_EQ(*ParseEndpoint("10.0.0.1", 8080), (Endpoint{"10.0.0.1", 8080}));
  EXPECT_EQ(*ParseEndpoint("0:0::1", 8080), (Endpoint{"::1", 8080}));
  EXPECT_EQ(*ParseEndpoint("[::1]", 8080), (Endpoint{"::1", 8080}));
  EXPECT_EQ(*ParseEndpoint("::ffff:10.0.0.1", 9), (Endpoint{"::ffff:10.0.0.1", 9}));
  // An explicit port wins over the default.
  EXPECT_EQ(*ParseEndpoint("10.0.0.1:81", 8080), (Endpoint{"10.0.0.1", 81}));
}

TEST(ParseEndpointTest, BareAddressWithoutDefaultPortIsAnError) {
  EXPECT_EQ(ErrorOf(ParseEndpoint("10.0.0.1", std::nullopt)),
            "address \"10.0.0.1\" has no port and the service declares no ports to default to");
  EXPECT_EQ(ErrorOf(ParseEndpoint("::1", std::nullopt)),
            "address \"::1\" has no port and the service declares no ports to default to");
  EXPECT_EQ(ErrorOf(ParseEndpoint("[::1]", std::nullopt)),
            "address \"[::1]\" has no port and the service declares no ports to default to");
}

TEST(ParseEndpointTest, RejectsBadAddresses) {
  EXPECT_EQ(ErrorOf(ParseEndpoint("300.1.1.1:80", std::nullopt)),
            "invalid address \"300.1.1.1:80\": \"300.1.1.1\" is not an IP address");
  EXPECT_EQ(ErrorOf(ParseEndpoint("db.example.com:80", std::nullopt)),
            "invalid address \"db.example.com:80\": \"db.example.com\" is not an IP address");
  EXPECT_EQ(ErrorOf(ParseEndpoint("localhost", 80)),
            "invalid address \"localhost\": \"localhost\" is not an IP address");
  EXPECT_EQ(ErrorOf(ParseEndpoint("[::1:80", std::nullopt)),
            "invalid address \"[::1:80\": missing \"]\"");
  EXPECT_EQ(ErrorOf(ParseEndpoint("[::1]80", std::nullopt)),
            "invalid address \"[::1]80\": want \"[v6]:port\"");
  EXPECT_EQ(ErrorOf(ParseEndpoint("[]:80", std::nullopt)),
            "invalid address \"[]:80\": \"\" is not an IPv6 address");
  EXPECT_EQ(ErrorOf(ParseEndpoint("", 80)), "invalid address \"\": \"\" is not an IP address");
}

TEST(ParseEndpointTest, RejectsBadPorts) {
  EXPECT_EQ(ErrorOf(ParseEndpoint("10.0.0.1:0", std::nullopt)),
            "invalid address \"10.0.0.1:0\": invalid port \"0\": want a number from 1 to 65535");
  EXPECT_EQ(
      ErrorOf(ParseEndpoint("10.0.0.1:65536", std::nullopt)),
      "invalid address \"10.0.0.1:65536\": invalid port \"65536\": want a number from 1 to 65535");
  EXPECT_EQ(ErrorOf(ParseEndpoint("10.0.0.1:http", 80)),
            "invalid address \"10.0.0.1:http\": invalid port \"http\": want a number from 1 to "
            "65535");
  EXPECT_EQ(ErrorOf(ParseEndpoint("10.0.0.1:", 80)),
            "invalid address \"10.0.0.1:\": invalid port \"\": want a number from 1 to 65535");
  EXPECT_EQ(ErrorOf(ParseEndpoint("[::1]:", 80)),
            "invalid address \"[::1]:\": invalid port \"\": want a number from 1 to 65535");
  EXPECT_EQ(ErrorOf(ParseEndpoint("[::1]:+80", 80)),
            "invalid address \"[::1]:+80\": invalid port \"+80\": want a number from 1 to 65535");
}

// Brackets are for IPv6 ("[v6]:port") only.
TEST(ParseEndpointTest, RejectsBracketedIpv4) {
  EXPECT_EQ(ErrorOf(ParseEndpoint("[10.0.0.1]:80", std::nullopt)),
            "invalid address \"[10.0.0.1]:80\": \"10.0.0.1\" is not an IPv6 address");
}

TEST(ParseListenAddressTest, AcceptsHostPortForms) {
  Result<ListenAddress> a = ParseListenAddress("127.0.0.1:9476");
  ASSERT_TRUE(a.ok()) << ErrorOf(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9476);

  a = ParseListenAddress(":9476");
  ASSERT_TRUE(a.ok()) << ErrorOf(a);
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 9476);

  a = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(a.ok()) << ErrorOf(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);

  a = ParseListenAddress("localhost:80");
  ASSERT_TRUE(a.ok()) << ErrorOf(a);
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 80);

  a = ParseListenAddress("0.0.0.0:65535");
  ASSERT_TRUE(a.ok()) << ErrorOf(a);
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 65535);
}

TEST(ParseListenAddressTest, KeepsTheHostAsWritten) {
  // The listen address is passed on as written; only endpoints are canonicalized.
  const Result<ListenAddress> a = ParseListenAddress("[0:0::1]:80");
  ASSERT_TRUE(a.ok()) << ErrorOf(a);
  EXPECT_EQ(a->host, "0:0::1");
}

TEST(ParseListenAddressTest, RejectsOtherForms) {
  const std::string want = ": want \"host:port\", \"[v6]:port\" or \":port\"";
  EXPECT_EQ(ErrorOf(ParseListenAddress("1.2.3.4")), "invalid listen address \"1.2.3.4\"" + want);
  EXPECT_EQ(ErrorOf(ParseListenAddress("localhost")),
            "invalid listen address \"localhost\"" + want);
  EXPECT_EQ(ErrorOf(ParseListenAddress("")), "invalid listen address \"\"" + want);
  EXPECT_EQ(ErrorOf(ParseListenAddress("[::1]9476")),
            "invalid listen address \"[::1]9476\"" + want);
  EXPECT_EQ(ErrorOf(ParseListenAddress("[::1]")), "invalid listen address \"[::1]\"" + want);
  EXPECT_EQ(ErrorOf(ParseListenAddress("::1:80")), "invalid listen address \"::1:80\"" + want);
  EXPECT_EQ(ErrorOf(ParseListenAddress("[x]:1")),
            "invalid listen address \"[x]:1\": \"x\" is not an IPv6 address");
  EXPECT_EQ(ErrorOf(ParseListenAddress("bad_host:80")),
            "invalid listen address \"bad_host:80\": bad host \"bad_host\"");
  EXPECT_EQ(ErrorOf(ParseListenAddress(":65536")),
            "invalid listen address \":65536\": invalid port \"65536\": want a number from 0 to "
            "65535");
  EXPECT_EQ(ErrorOf(ParseListenAddress("a:b")),
            "invalid listen address \"a:b\": invalid port \"b\": want a number from 0 to 65535");
  EXPECT_EQ(ErrorOf(ParseListenAddress("[::1]:")),
            "invalid listen address \"[::1]:\": invalid port \"\": want a number from 0 to 65535");
  EXPECT_EQ(ErrorOf(ParseListenAddress("host:-1")),
            "invalid listen address \"host:-1\": invalid port \"-1\": want a number from 0 to "
            "65535");
}

// Brackets are for IPv6 only, in listen addresses too.
TEST(ParseListenAddressTest, RejectsBracketedIpv4) {
  EXPECT_EQ(ErrorOf(ParseListenAddress("[10.0.0.1]:80")),
            "invalid listen address \"[10.0.0.1]:80\": \"10.0.0.1\" is not an IPv6 address");
}

}  // namespace
}  // namespace vigil
