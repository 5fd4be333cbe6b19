// Prometheus HTTP SD target groups from a real StatusBoard's snapshot.
#include "agent/api/prometheus_targets.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vigil {
namespace {

EndpointStatus Endpoint(const std::string& address, int port, bool ready,
                        const std::string& node = "node-a", bool terminating = false) {
  EndpointStatus e;
  e.address = address;
  e.port = port;
  e.node = node;
  e.conditions = {ready, ready || terminating, terminating};
  return e;
}

class PrometheusTargetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EndpointsObject web;
    web.name = "web";
    web.namespace_name = "shop";
    web.labels = {{"app", "web"}, {"app.kubernetes.io/name", "web-ui"}, {"tier", "front"}};
    web.ports = {{"http", 8080}, {"metrics", 9100}};
    web.endpoints = {Endpoint("10.0.0.1", 8080, true),
                     Endpoint("10.0.0.2", 8080, false),
                     Endpoint("10.0.0.3", 8080, true, "node-b"),
                     Endpoint("fd00::1", 9100, true),
                     Endpoint("10.0.0.4", 8080, false, "node-a", /*terminating=*/true),
                     Endpoint("10.0.0.5", 7000, true)};
    EndpointsObject db;
    db.name = "db";
    db.labels = {{"app", "db"}};
    db.ports = {{"", 5432}};
    db.endpoints = {Endpoint("10.0.1.1", 5432, true)};
    EndpointsObject empty;
    empty.name = "empty";
    empty.labels = {{"app", "empty"}};
    board_.Put({web, db, empty});
  }

  nlohmann::json Targets(const std::string& selector = "", bool ready_only = false) {
    PrometheusTargetsQuery query;
    query.selector = *LabelSelector::Parse(selector);
    query.ready_only = ready_only;
    return PrometheusTargets(board_.Snapshot(), query);
  }

  StatusBoard board_;
};

nlohmann::json WebLabels(const std::string& node, const std::string& port, bool ready) {
  return {{"__meta_vigil_namespace", "shop"},
          {"__meta_vigil_service", "web"},
          {"__meta_vigil_node", node},
          {"__meta_vigil_port_name", port},
          {"__meta_vigil_endpoint_ready", ready ? "true" : "false"},
          {"__meta_vigil_service_label_app", "web"},
          {"__meta_vigil_service_label_app_kubernetes_io_name", "web-ui"},
          {"__meta_vigil_service_label_tier", "front"}};
}

TEST_F(PrometheusTargetsTest, OneGroupPerServicePortNodeAndReadiness) {
  const nlohmann::json want = nlohmann::json::parse(R"([
    {"targets": ["10.0.1.1:5432"], "labels": {
      "__meta_vigil_namespace": "default", "__meta_vigil_service": "db",
      "__meta_vigil_node": "node-a", "__meta_vigil_port_name": "",
      "__meta_vigil_endpoint_ready": "true", "__meta_vigil_service_label_app": "db"}}
  ])");
  const nlohmann::json all = Targets();
  ASSERT_EQ(all.size(), 6u) << all.dump(1);
  EXPECT_EQ(all[0], want[0]);
  // web: the port 7000 no service port names, then http by node and readiness, then metrics.
  EXPECT_EQ(all[1], nlohmann::json({{"targets", {"10.0.0.5:7000"}},
                                    {"labels", WebLabels("node-a", "", true)}}));
  EXPECT_EQ(all[2], nlohmann::json({{"targets", {"10.0.0.2:8080", "10.0.0.4:8080"}},
                                    {"labels", WebLabels("node-a", "http", false)}}));
  EXPECT_EQ(all[3], nlohmann::json({{"targets", {"10.0.0.1:8080"}},
                                    {"labels", WebLabels("node-a", "http", true)}}));
  EXPECT_EQ(all[4], nlohmann::json({{"targets", {"10.0.0.3:8080"}},
                                    {"labels", WebLabels("node-b", "http", true)}}));
  EXPECT_EQ(all[5], nlohmann::json({{"targets", {"[fd00::1]:9100"}},
                                    {"labels", WebLabels("node-a", "metrics", true)}}));
}

TEST_F(PrometheusTargetsTest, ReadyOnlyLeavesOutNotReadyAndTerminatingEndpoints) {
  const nlohmann::json ready = Targets("", true);
  ASSERT_EQ(ready.size(), 5u) << ready.dump(1);
  for (const nlohmann::json& group : ready) {
    EXPECT_EQ(group["labels"]["__meta_vigil_endpoint_ready"], "true") << group.dump();
    for (const nlohmann::json& target : group["targets"]) {
      EXPECT_NE(target, "10.0.0.2:8080");
      EXPECT_NE(target, "10.0.0.4:8080");
    }
  }
}

TEST_F(PrometheusTargetsTest, LabelSelectorPicksServices) {
  const nlohmann::json db = Targets("app=db");
  ASSERT_EQ(db.size(), 1u);
  EXPECT_EQ(db[0]["labels"]["__meta_vigil_service"], "db");
  EXPECT_EQ(Targets("app in (web),tier=front").size(), 5u);
  EXPECT_EQ(Targets("app=nope"), nlohmann::json::array());
  // A service without endpoints has no group.
  EXPECT_EQ(Targets("app=empty"), nlohmann::json::array());
}

TEST_F(PrometheusTargetsTest, ChangesShowInTheNextSnapshot) {
  EndpointsObject db = *board_.Get({"default", "db"});
  db.endpoints = {Endpoint("10.0.1.1", 5432, false)};
  board_.Put({db});
  EXPECT_EQ(Targets("app=db", true), nlohmann::json::array());
  EXPECT_EQ(Targets("app=db")[0]["labels"]["__meta_vigil_endpoint_ready"], "false");
}

TEST(SanitizeLabelNameTest, AsPrometheusDoes) {
  EXPECT_EQ(SanitizeLabelName("app"), "app");
  EXPECT_EQ(SanitizeLabelName("app.kubernetes.io/name"), "app_kubernetes_io_name");
  EXPECT_EQ(SanitizeLabelName("a-b_C9"), "a_b_C9");
  EXPECT_EQ(SanitizeLabelName("ünï"), "_n_");
}

}  // namespace
}  // namespace vigil
