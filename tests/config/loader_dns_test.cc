// The config keys DNS names need: `namespace` (top level and per service)
// and `publishNotReadyAddresses`.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace vigil {
namespace {

using Lines = std::vector<std::string>;

Lines Errors(std::string_view yaml) {
  const ConfigLoad load = LoadConfig(yaml, "test.yaml");
  Lines lines;
  for (const Diagnostic& d : load.errors) lines.push_back(d.ToString());
  EXPECT_EQ(load.ok(), lines.empty());
  return lines;
}

Config MustLoad(std::string_view yaml) {
  ConfigLoad load = LoadConfig(yaml, "test.yaml");
  if (!load.ok()) {
    ADD_FAILURE() << "unexpected errors:\n" << load.ErrorText();
    return Config{};
  }
  return *load.config;
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
                   "namespace \"shop\" (first defined at line 2)"}));
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
                   "namespace \"shop\" (first defined at line 3)"}));
}

// The registry, etcd's keys and the metrics know a service by its name: the
// same name in two namespaces would be one service there.
TEST(LoaderNamespaceTest, ANameIsInOneNamespaceOnly) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    namespace: shop
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: blog
    endpoints: [10.0.0.2:80]
)"),
            (Lines{"test.yaml:5:11: services[1].name: service name \"web\" is already used in "
                   "namespace \"shop\" (line 2): a service name may be used in one namespace "
                   "only"}));
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
