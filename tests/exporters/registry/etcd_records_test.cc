#include "exporters/registry/etcd_records.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace vigil {
namespace {

WallTime At(const char* text) { return *ParseTime(text); }

TEST(EtcdRecordsTest, KeysFollowTheDesignedLayout) {
  EXPECT_EQ(ServiceKey("/vigil", "web", "node-a"), "/vigil/services/web/node-a");
  EXPECT_EQ(EndpointKey("/vigil", "web", "node-a", "10.0.0.1:80"),
            "/vigil/endpoints/web/node-a/10.0.0.1:80");
  EXPECT_EQ(EndpointKey("/a/b", "web", "n", "[fd00::1]:80"), "/a/b/endpoints/web/n/[fd00::1]:80");
}

TEST(EtcdRecordsTest, ParsesItsOwnKeysBack) {
  using Kind = RegistryKey::Kind;
  EXPECT_EQ(ParseRegistryKey("/vigil", "/vigil/services/web/node-a"),
            (RegistryKey{Kind::kService, "web", "node-a", ""}));
  EXPECT_EQ(ParseRegistryKey("/vigil", "/vigil/endpoints/web/node-a/10.0.0.1:80"),
            (RegistryKey{Kind::kEndpoint, "web", "node-a", "10.0.0.1:80"}));
  EXPECT_EQ(ParseRegistryKey("/a/b", "/a/b/endpoints/web/n/[fd00::1]:80"),
            (RegistryKey{Kind::kEndpoint, "web", "n", "[fd00::1]:80"}));
}

TEST(EtcdRecordsTest, RejectsKeysThatAreNotTheRegistrys) {
  for (const char* key :
       {"/vigil", "/vigil/", "/vigilx/services/web/n", "/other/services/web/n",
        "/vigil/services/web", "/vigil/services/web/n/extra", "/vigil/services//n",
        "/vigil/endpoints/web/n", "/vigil/endpoints/web/n/", "/vigil/endpoints/web//10.0.0.1:80",
        "/vigil/leases/web/n", "/vigil/endpoints/web/n/a/b"}) {
    EXPECT_FALSE(ParseRegistryKey("/vigil", key).has_value()) << key;
  }
}

EndpointsObject Web() {
  EndpointsObject object;
  object.name = "web";
  object.labels = {{"app", "web"}, {"env", "prod"}};
  object.ports = {{"http", 8080}, {"", 9090}};
  object.creation_time = At("2026-11-26T10:00:00Z");
  return object;
}

EndpointStatus Status(bool ready) {
  EndpointStatus e;
  e.address = "10.0.0.1";
  e.port = 8080;
  e.node = "node-a";
  e.conditions = {ready, ready, false};
  e.last_transition_time = At("2026-11-26T10:00:05Z");
  return e;
}

TEST(EtcdRecordsTest, ServiceRecordsRoundTrip) {
  Result<ServiceRecord> record = DecodeServiceRecord(EncodeServiceRecord(Web(), "node-a"));
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->namespace_name, "default");
  EXPECT_FALSE(record->publish_not_ready_addresses);
  EXPECT_EQ(record->labels, Web().labels);
  EXPECT_EQ(record->ports, Web().ports);
  EXPECT_EQ(record->creation_time, Web().creation_time);

  EndpointsObject shop = Web();
  shop.namespace_name = "shop";
  shop.publish_not_ready_addresses = true;
  record = DecodeServiceRecord(EncodeServiceRecord(shop, "node-a"));
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->namespace_name, "shop");
  EXPECT_TRUE(record->publish_not_ready_addresses);
}

TEST(EtcdRecordsTest, AServiceValueCarriesNamespaceAndPublishNotReadyAddresses) {
  EndpointsObject shop = Web();
  shop.namespace_name = "shop";
  shop.publish_not_ready_addresses = true;
  const nlohmann::json value = nlohmann::json::parse(EncodeServiceRecord(shop, "node-a"));
  EXPECT_EQ(value["namespace"], "shop");
  EXPECT_EQ(value["publishNotReadyAddresses"], true);
  EXPECT_EQ(value["name"], "web");
  EXPECT_EQ(value["node"], "node-a");
}

// Agents from before namespaces were carried write records without them.
TEST(EtcdRecordsTest, AServiceValueWithoutNamespaceIsInDefault) {
  Result<ServiceRecord> record =
      DecodeServiceRecord(R"({"name":"web","node":"node-a","labels":{},"ports":[],)"
                          R"("creationTimestamp":"2026-11-26T10:00:00Z"})");
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->namespace_name, "default");
  EXPECT_FALSE(record->publish_not_ready_addresses);
}

TEST(EtcdRecordsTest, EndpointRecordsRoundTripWithAndWithoutProbeDetails) {
  Result<EndpointRecord> bare = DecodeEndpointRecord(EncodeEndpointRecord(Status(true), {}));
  ASSERT_TRUE(bare.ok()) << bare.status().message();
  EXPECT_EQ(bare->status, Status(true));
  EXPECT_FALSE(bare->probe.has_value());

  const ProbeDetails probe{At("2026-11-26T10:00:07Z"), ProbeOutcome::kTimeout,
                           "probe timed out after 1s", ProbeReason::kTimeout,
                           std::chrono::microseconds(1'000'250)};
  Result<EndpointRecord> probed = DecodeEndpointRecord(EncodeEndpointRecord(Status(false), probe));
  ASSERT_TRUE(probed.ok()) << probed.status().message();
  EXPECT_EQ(probed->status, Status(false));
  ASSERT_TRUE(probed->probe.has_value());
  EXPECT_EQ(probed->probe->time, probe.time);
  EXPECT_EQ(probed->probe->result, ProbeOutcome::kTimeout);
  EXPECT_EQ(probed->probe->message, "probe timed out after 1s");
  EXPECT_EQ(probed->probe->reason, ProbeReason::kTimeout);
  EXPECT_EQ(probed->probe->duration, std::chrono::microseconds(1'000'250));
}

// Records written before lastReason and lastProbeDurationSeconds existed
// decode, with no reason and no duration.
TEST(EtcdRecordsTest, RecordsWithoutReasonOrDurationDecode) {
  nlohmann::json old = nlohmann::json::parse(EncodeEndpointRecord(
      Status(false), ProbeDetails{At("2026-11-26T10:00:07Z"), ProbeOutcome::kFailure, "503"}));
  old.erase("lastReason");
  old.erase("lastProbeDurationSeconds");
  Result<EndpointRecord> record = DecodeEndpointRecord(old.dump());
  ASSERT_TRUE(record.ok()) << record.status().message();
  ASSERT_TRUE(record->probe.has_value());
  EXPECT_EQ(record->probe->result, ProbeOutcome::kFailure);
  EXPECT_EQ(record->probe->reason, ProbeReason::kNone);
  EXPECT_EQ(record->probe->duration, std::chrono::microseconds(0));
}

TEST(EtcdRecordsTest, AnEndpointValueIsTheApisEndpointJson) {
  const nlohmann::json value =
      nlohmann::json::parse(EncodeEndpointRecord(Status(true), std::nullopt));
  EXPECT_EQ(value, nlohmann::json::parse(R"({
    "address": "10.0.0.1", "port": 8080, "node": "node-a",
    "conditions": {"ready": true, "serving": true, "terminating": false},
    "lastTransitionTime": "2026-11-26T10:00:05Z",
    "lastProbeTime": null, "lastResult": null, "lastReason": null,
    "lastProbeDurationSeconds": null, "message": ""})"));
}

TEST(EtcdRecordsTest, BadEndpointValuesAreErrorsNamingTheField) {
  const std::string good = EncodeEndpointRecord(Status(true), std::nullopt);
  const auto with = [&](const char* field, const nlohmann::json& value) {
    nlohmann::json j = nlohmann::json::parse(good);
    if (value.is_discarded()) {
      j.erase(field);
    } else {
      j[field] = value;
    }
    return DecodeEndpointRecord(j.dump());
  };
  const nlohmann::json absent = nlohmann::json(nlohmann::json::value_t::discarded);
  const std::vector<std::pair<Result<EndpointRecord>, std::string>> cases = {
      {DecodeEndpointRecord(""), "not JSON"},
      {DecodeEndpointRecord("{"), "not JSON"},
      {DecodeEndpointRecord("[1,2]"), "not a JSON object"},
      {DecodeEndpointRecord("\"text\""), "not a JSON object"},
      {with("address", absent), "address"},
      {with("address", ""), "address"},
      {with("address", 7), "address"},
      {with("port", absent), "port"},
      {with("port", "80"), "port"},
      {with("port", 0), "port"},
      {with("port", 65536), "port"},
      {with("port", 1.5), "port"},
      {with("node", nullptr), "node"},
      {with("conditions", absent), "conditions"},
      {with("conditions", {{"ready", true}}), "conditions.serving"},
      {with("conditions", {{"ready", "yes"}, {"serving", true}, {"terminating", false}}),
       "conditions.ready"},
      {with("lastTransitionTime", "yesterday"), "lastTransitionTime"},
      {with("lastTransitionTime", absent), "lastTransitionTime"},
      {with("lastProbeTime", 5), "lastProbeTime"},
      {with("lastProbeTime", "2026-11-26T10:00:00Z"), "lastResult"},
  };
  nlohmann::json probed = nlohmann::json::parse(EncodeEndpointRecord(
      Status(false), ProbeDetails{At("2026-11-26T10:00:07Z"), ProbeOutcome::kFailure, "503"}));
  const auto probed_with = [&](const char* field, const nlohmann::json& value) {
    nlohmann::json j = probed;
    j[field] = value;
    return DecodeEndpointRecord(j.dump());
  };
  for (const auto& [field, value] :
       std::vector<std::pair<const char*, nlohmann::json>>{{"lastReason", 3},
                                                           {"lastReason", "sort of"},
                                                           {"lastReason", ""},
                                                           {"lastProbeDurationSeconds", "1s"},
                                                           {"lastProbeDurationSeconds", -1},
                                                           {"lastProbeDurationSeconds", 1e300}}) {
    Result<EndpointRecord> result = probed_with(field, value);
    ASSERT_FALSE(result.ok()) << field << " " << value;
    EXPECT_NE(result.status().message().find(field), std::string::npos)
        << result.status().message();
  }
  for (const auto& [result, field] : cases) {
    ASSERT_FALSE(result.ok()) << field;
    EXPECT_NE(result.status().message().find(field), std::string::npos)
        << result.status().message() << " should name " << field;
  }
  nlohmann::json bad_result = nlohmann::json::parse(good);
  bad_result["lastProbeTime"] = "2026-11-26T10:00:00Z";
  bad_result["lastResult"] = "sort of";
  EXPECT_EQ(DecodeEndpointRecord(bad_result.dump()).status().message(),
            "lastResult: want success, failure, timeout or error, not \"sort of\"");
}

TEST(EtcdRecordsTest, BadServiceValuesAreErrorsNamingTheField) {
  for (const auto& [value, field] : std::vector<std::pair<std::string, std::string>>{
           {"nope", "not JSON"},
           {"{}", "creationTimestamp"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","labels":[1]})", "labels"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","labels":{"a":1}})", "labels.a"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","ports":{}})", "ports"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","ports":[{"port":0}]})", "ports[].port"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","ports":[{"port":80,"name":3}]})",
            "ports[].name"},
           {R"({"creationTimestamp":12})", "creationTimestamp"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","namespace":7})", "namespace"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","namespace":"Shop"})", "namespace"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","namespace":""})", "namespace"},
           {R"({"creationTimestamp":"2026-11-26T10:00:00Z","publishNotReadyAddresses":"yes"})",
            "publishNotReadyAddresses"},
       }) {
    Result<ServiceRecord> result = DecodeServiceRecord(value);
    ASSERT_FALSE(result.ok()) << value;
    EXPECT_NE(result.status().message().find(field), std::string::npos)
        << result.status().message() << " should name " << field;
  }
  // Labels and ports may be absent: a service without them.
  EXPECT_TRUE(DecodeServiceRecord(R"({"creationTimestamp":"2026-11-26T10:00:00Z"})").ok());
}

}  // namespace
}  // namespace vigil
