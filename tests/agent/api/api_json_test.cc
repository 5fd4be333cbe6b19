#include "agent/api/api_json.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

// 2026-11-26T10:20:30Z
const WallTime kTime = std::chrono::system_clock::from_time_t(1795688430);

EndpointsObject Alpaca() {
  EndpointsObject object;
  object.name = "alpaca-prod";
  object.namespace_name = "pets";
  object.labels = {{"app", "alpaca"}, {"env", "prod"}};
  object.ports = {{"http", 8080}, {"", 9090}};
  object.creation_time = kTime;
  object.resource_version = 42;
  EndpointStatus a{"10.0.0.1", 8080, "node-a", {true, true, false}, kTime};
  EndpointStatus b{"fd00::1", 8080, "node-b", {false, false, false}, kTime};
  object.endpoints = {a, b};
  return object;
}

TEST(ApiJsonTest, EndpointsCarryConditionsAndProbeDetails) {
  StatusBoard board;
  board.RecordProbe({"pets", "alpaca-prod"}, "10.0.0.1:8080",
                    ProbeDetails{kTime + std::chrono::seconds(5), ProbeOutcome::kSuccess, ""});
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "kind": "Endpoints",
    "name": "alpaca-prod",
    "namespace": "pets",
    "labels": {"app": "alpaca", "env": "prod"},
    "resourceVersion": "42",
    "creationTimestamp": "2026-11-26T10:20:30Z",
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"port": 9090, "protocol": "TCP"}],
    "endpoints": [
      {"address": "10.0.0.1", "port": 8080, "node": "node-a",
       "conditions": {"ready": true, "serving": true, "terminating": false},
       "lastTransitionTime": "2026-11-26T10:20:30Z", "lastProbeTime": "2026-11-26T10:20:35Z",
       "lastResult": "success", "lastReason": null, "lastProbeDurationSeconds": 0,
       "message": ""},
      {"address": "fd00::1", "port": 8080, "node": "node-b",
       "conditions": {"ready": false, "serving": false, "terminating": false},
       "lastTransitionTime": "2026-11-26T10:20:30Z", "lastProbeTime": null,
       "lastResult": null, "lastReason": null, "lastProbeDurationSeconds": null,
       "message": ""}
    ]
  })");
  EXPECT_EQ(EndpointsJson(Alpaca(), board), expected);
}

TEST(ApiJsonTest, ServiceCountsReadyAndNotReady) {
  const nlohmann::json j = ServiceJson(Alpaca());
  EXPECT_EQ(j["name"], "alpaca-prod");
  EXPECT_EQ(j["namespace"], "pets");
  EXPECT_EQ(j["ready"], 1);
  EXPECT_EQ(j["notReady"], 1);
  EXPECT_EQ(j["labels"]["env"], "prod");
  EXPECT_EQ(j["ports"][0]["name"], "http");
  EXPECT_EQ(j["creationTimestamp"], "2026-11-26T10:20:30Z");
}

TEST(ApiJsonTest, EmptyLabelsAreAnObject) {
  EndpointsObject object;
  object.name = "x";
  EXPECT_TRUE(ServiceJson(object)["labels"].is_object());
  EXPECT_TRUE(ServiceJson(object)["ports"].is_array());
  EXPECT_EQ(ServiceJson(object)["namespace"], "default");
}

TEST(ApiJsonTest, Status) {
  EXPECT_EQ(StatusJson(404, "endpoints \"x\" not found").dump(),
            R"({"code":404,"kind":"Status","message":"endpoints \"x\" not found"})");
}

}  // namespace
}  // namespace vigil
