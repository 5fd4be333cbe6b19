#include "exporters/registry/endpoint_json.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

// 2026-11-26T10:20:30Z
const WallTime kTime = std::chrono::system_clock::from_time_t(1795688430);

TEST(EndpointJsonTest, LabelsAreAnObjectEvenWhenEmpty) {
  EXPECT_EQ(LabelsJson({}).dump(), "{}");
  EXPECT_EQ(LabelsJson({{"b", "2"}, {"a", "1"}}).dump(), R"({"a":"1","b":"2"})");
}

TEST(EndpointJsonTest, PortsNameOnlyWhenSet) {
  EXPECT_EQ(PortsJson({{"http", 8080}, {"", 9090}}).dump(),
            R"([{"name":"http","port":8080,"protocol":"TCP"},{"port":9090,"protocol":"TCP"}])");
  EXPECT_EQ(PortsJson({}).dump(), "[]");
}

TEST(EndpointJsonTest, AnEndpointNeverProbedHasNullProbeFields) {
  const EndpointStatus e{"fd00::1", 8080, "node-b", {false, false, true}, kTime};
  const nlohmann::json j = EndpointJson(e, std::nullopt);
  EXPECT_EQ(j["address"], "fd00::1");
  EXPECT_EQ(j["conditions"]["terminating"], true);
  EXPECT_EQ(j["lastTransitionTime"], "2026-11-26T10:20:30Z");
  EXPECT_TRUE(j["lastProbeTime"].is_null());
  EXPECT_TRUE(j["lastResult"].is_null());
  EXPECT_TRUE(j["lastReason"].is_null());
  EXPECT_TRUE(j["lastProbeDurationSeconds"].is_null());
  EXPECT_EQ(j["message"], "");

  const nlohmann::json probed =
      EndpointJson(e, ProbeDetails{kTime, ProbeOutcome::kTimeout, "probe timed out after 1s",
                                   ProbeReason::kTimeout, std::chrono::microseconds(1'002'500)});
  EXPECT_EQ(probed["lastProbeTime"], "2026-11-26T10:20:30Z");
  EXPECT_EQ(probed["lastResult"], "timeout");
  EXPECT_EQ(probed["lastReason"], "timeout");
  EXPECT_DOUBLE_EQ(probed["lastProbeDurationSeconds"].get<double>(), 1.0025);
  EXPECT_EQ(probed["message"], "probe timed out after 1s");
}

TEST(EndpointJsonTest, ASuccessHasNoReason) {
  const EndpointStatus e{"10.0.0.1", 80, "node-a", {true, true, false}, kTime};
  const nlohmann::json j =
      EndpointJson(e, ProbeDetails{kTime, ProbeOutcome::kSuccess, "", ProbeReason::kNone,
                                   std::chrono::microseconds(1500)});
  EXPECT_EQ(j["lastResult"], "success");
  EXPECT_TRUE(j["lastReason"].is_null());
  EXPECT_DOUBLE_EQ(j["lastProbeDurationSeconds"].get<double>(), 0.0015);
}

}  // namespace
}  // namespace vigil
