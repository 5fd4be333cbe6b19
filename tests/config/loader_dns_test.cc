// The config keys DNS names need: `dns` (listen, domain, ttlSeconds),
// `namespace` (top level and per service) and `publishNotReadyAddresses`.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"
#include "tests/config/load_helpers.h"

namespace vigil {
namespace {

using config_test::Errors;
using config_test::Lines;
using config_test::MustLoad;

// ---- dns ----

TEST(LoaderDnsTest, OffByDefault) {
  const Config config = MustLoad("services: []\n");
  EXPECT_EQ(config.dns.listen, "");
  EXPECT_EQ(config.dns.domain, "vigil");
  EXPECT_EQ(config.dns.ttl_seconds, 5);
  EXPECT_EQ(config.namespace_name, "default");
}

TEST(LoaderDnsTest, LoadsEveryKey) {
  const Config config =
      MustLoad("dns: {listen: \"127.0.0.1:8600\", domain: cluster.local, ttlSeconds: 30}\n");
  EXPECT_EQ(config.dns, (DnsConfig{"127.0.0.1:8600", "cluster.local", 30}));
}

TEST(LoaderDnsTest, ListenForms) {
  EXPECT_EQ(MustLoad("dns: {listen: \"[::1]:53\"}\n").dns.listen, "[::1]:53");
  EXPECT_EQ(MustLoad("dns: {listen: \":8600\"}\n").dns.listen, ":8600");
  EXPECT_EQ(MustLoad("dns: {listen: \"127.0.0.1:0\"}\n").dns.listen, "127.0.0.1:0");
  EXPECT_EQ(MustLoad("dns: {listen: \"\"}\n").dns.listen, "");
  EXPECT_EQ(MustLoad("dns: {}\n").dns, DnsConfig{});
}

TEST(LoaderDnsTest, RejectsBadListenAddresses) {
  EXPECT_EQ(Errors(R"(dns:
  listen: localhost:8600
)"),
            (Lines{"test.yaml:2:11: dns.listen: want an IP address and a port, e.g. "
                   "127.0.0.1:8600 or [::1]:8600 (got \"localhost:8600\": a DNS server listens "
                   "on an address, not a name)"}));
  EXPECT_EQ(Errors("dns: {listen: \"127.0.0.1\"}\n"),
            (Lines{"test.yaml:1:15: dns.listen: invalid listen address \"127.0.0.1\": want "
                   "\"host:port\", \"[v6]:port\" or \":port\""}));
  EXPECT_EQ(Errors("dns: {listen: \"127.0.0.1:65536\"}\n"),
            (Lines{"test.yaml:1:15: dns.listen: invalid listen address \"127.0.0.1:65536\": "
                   "invalid port \"65536\": want a number from 0 to 65535"}));
  EXPECT_EQ(Errors("dns: {listen: [a]}\n"),
            (Lines{"test.yaml:1:15: dns.listen: expected a string, got a list"}));
}

TEST(LoaderDnsTest, RejectsBadDomains) {
  EXPECT_EQ(Errors(R"(dns:
  domain: Cluster.Local
)"),
            (Lines{"test.yaml:2:11: dns.domain: \"Cluster.Local\" is not a DNS-1123 subdomain: "
                   "use at most 253 lowercase letters, digits, \"-\" and \".\", starting and "
                   "ending with a letter or digit"}));
  EXPECT_EQ(Errors("dns: {domain: \"vigil.\"}\n"),
            (Lines{"test.yaml:1:15: dns.domain: \"vigil.\" is not a DNS-1123 subdomain: use at "
                   "most 253 lowercase letters, digits, \"-\" and \".\", starting and ending with "
                   "a letter or digit"}));
  EXPECT_EQ(Errors("dns: {domain: \"\"}\n"),
            (Lines{"test.yaml:1:15: dns.domain: must not be empty"}));
  const std::string longest = std::string(31, 'a') + "." + std::string(32, 'b');
  EXPECT_EQ(MustLoad("dns: {domain: " + longest + "}\n").dns.domain, longest);
  EXPECT_EQ(Errors("dns: {domain: " + std::string(63, 'a') + ".b}\n"),
            (Lines{"test.yaml:1:15: dns.domain: must be at most 64 characters long, so that "
                   "every name in the zone fits in a DNS name (got 65)"}));
}

TEST(LoaderDnsTest, TtlRange) {
  EXPECT_EQ(MustLoad("dns: {ttlSeconds: 0}\n").dns.ttl_seconds, 0);
  EXPECT_EQ(MustLoad("dns: {ttlSeconds: 3600}\n").dns.ttl_seconds, 3600);
  EXPECT_EQ(Errors("dns: {ttlSeconds: 3601}\n"),
            (Lines{"test.yaml:1:19: dns.ttlSeconds: must be from 0 to 3600 (got 3601)"}));
  EXPECT_EQ(Errors("dns: {ttlSeconds: -1}\n"),
            (Lines{"test.yaml:1:19: dns.ttlSeconds: must be from 0 to 3600 (got -1)"}));
  EXPECT_EQ(Errors("dns: {ttlSeconds: 1.5}\n"),
            (Lines{"test.yaml:1:19: dns.ttlSeconds: expected a whole number, got \"1.5\""}));
  EXPECT_EQ(Errors("dns: {ttlSeconds: \"5\"}\n"),
            (Lines{"test.yaml:1:19: dns.ttlSeconds: expected a whole number, got the string "
                   "\"5\""}));
}

TEST(LoaderDnsTest, UnknownKeysAndWrongTypes) {
  EXPECT_EQ(Errors("dns: {listen: \"127.0.0.1:53\", ttl: 5}\n"),
            (Lines{"test.yaml:1:31: dns.ttl: unknown key \"ttl\""}));
  EXPECT_EQ(Errors("dns: {domian: vigil}\n"),
            (Lines{"test.yaml:1:7: dns.domian: unknown key \"domian\" (did you mean "
                   "\"domain\"?)"}));
  EXPECT_EQ(Errors("dns: \"127.0.0.1:53\"\n"),
            (Lines{"test.yaml:1:6: dns: expected a mapping, got the string \"127.0.0.1:53\""}));
}

// ---- namespace ----

TEST(LoaderNamespaceTest, TopLevelIsEveryServicesDefaultAndAServiceMayOverride) {
  const Config config = MustLoad(R"(namespace: shop
services:
  - name: web
    endpoints: [10.0.0.1:80]
  - name: db
    namespace: storage
    endpoints: [10.0.0.2:5432]
)");
  EXPECT_EQ(config.namespace_name, "shop");
  ASSERT_EQ(config.services.size(), 2u);
  EXPECT_EQ(config.services[0].namespace_name, "shop");
  EXPECT_EQ(config.services[1].namespace_name, "storage");
}

TEST(LoaderNamespaceTest, DefaultsToDefault) {
  const Config config = MustLoad("services: [{name: web, endpoints: [10.0.0.1:80]}]\n");
  ASSERT_EQ(config.services.size(), 1u);
  EXPECT_EQ(config.services[0].namespace_name, "default");
}

TEST(LoaderNamespaceTest, MustBeDns1123Labels) {
  const std::string help =
      " is not a DNS-1123 label: use at most 63 lowercase letters, digits and \"-\", starting "
      "and ending with a letter or digit";
  EXPECT_EQ(Errors(R"(namespace: Shop
services:
  - name: web
    namespace: a.b
    endpoints: [10.0.0.1:80]
  - name: api
    namespace: -x
    endpoints: [10.0.0.1:80]
)"),
            (Lines{"test.yaml:1:12: namespace: \"Shop\"" + help,
                   "test.yaml:4:16: services[0].namespace: \"a.b\"" + help,
                   "test.yaml:7:16: services[1].namespace: \"-x\"" + help}));
  EXPECT_EQ(MustLoad("namespace: 9lives\n").namespace_name, "9lives");
  EXPECT_EQ(MustLoad("namespace: " + std::string(63, 'n') + "\n").namespace_name,
            std::string(63, 'n'));
  EXPECT_EQ(Errors("namespace: " + std::string(64, 'n') + "\n"),
            (Lines{"test.yaml:1:12: namespace: \"" + std::string(64, 'n') + "\"" + help}));
  EXPECT_EQ(Errors("namespace: [a]\n"),
            (Lines{"test.yaml:1:12: namespace: expected a string, got a list"}));
}

TEST(LoaderNamespaceTest, DuplicateNamesAreCheckedPerNamespace) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    namespace: shop
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: shop
    endpoints: [10.0.0.2:80]
)"),
            (Lines{"test.yaml:5:11: services[1].name: duplicate service name \"web\" in "
                   "namespace \"shop\" (first defined at test.yaml:2:11)"}));
  // The top-level namespace counts as the service's own.
  EXPECT_EQ(Errors(R"(namespace: shop
services:
  - name: web
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: shop
    endpoints: [10.0.0.2:80]
)"),
            (Lines{"test.yaml:5:11: services[1].name: duplicate service name \"web\" in "
                   "namespace \"shop\" (first defined at test.yaml:3:11)"}));
}

// A name is unique in its namespace only; the etcd registry's keys have no
// namespace, so there it is unique across namespaces (loader_test.cc).
TEST(LoaderNamespaceTest, ANameMayBeUsedInSeveralNamespaces) {
  const Config config = MustLoad(R"(services:
  - name: web
    namespace: shop
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: blog
    endpoints: [10.0.0.2:80]
)");
  ASSERT_EQ(config.services.size(), 2u);
  EXPECT_EQ(config.services[0].namespace_name, "shop");
  EXPECT_EQ(config.services[1].namespace_name, "blog");
}

// ---- publishNotReadyAddresses ----

TEST(LoaderPublishNotReadyTest, DefaultsToFalse) {
  const Config config = MustLoad(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
  - name: db
    publishNotReadyAddresses: true
    endpoints: [10.0.0.2:5432]
  - name: cache
    publishNotReadyAddresses: False
    endpoints: [10.0.0.3:6379]
)");
  ASSERT_EQ(config.services.size(), 3u);
  EXPECT_FALSE(config.services[0].publish_not_ready_addresses);
  EXPECT_TRUE(config.services[1].publish_not_ready_addresses);
  EXPECT_FALSE(config.services[2].publish_not_ready_addresses);
}

TEST(LoaderPublishNotReadyTest, TakesOnlyTrueOrFalse) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    publishNotReadyAddresses: yes
    endpoints: [10.0.0.1:80]
  - name: api
    publishNotReadyAddresses: "true"
    endpoints: [10.0.0.1:80]
  - name: db
    publishNotReadyAddresses: 1
    endpoints: [10.0.0.1:80]
  - name: cache
    publishNotReadyAddresses: {}
    endpoints: [10.0.0.1:80]
)"),
            (Lines{"test.yaml:3:31: services[0].publishNotReadyAddresses: expected true or "
                   "false, got \"yes\"",
                   "test.yaml:6:31: services[1].publishNotReadyAddresses: expected true or "
                   "false, got the string \"true\"",
                   "test.yaml:9:31: services[2].publishNotReadyAddresses: expected true or "
                   "false, got \"1\"",
                   "test.yaml:12:31: services[3].publishNotReadyAddresses: expected true or "
                   "false, got a mapping"}));
}

}  // namespace
}  // namespace vigil
