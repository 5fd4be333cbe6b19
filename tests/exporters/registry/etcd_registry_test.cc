// EtcdRegistry against a real etcd on loopback: the agent's own board is
// published under the prefix, only what changed is written, probe details go
// out when the result changes, a graceful stop takes the node's keys away,
// and health and metrics tell the connection. Skipped when etcd is not
// installed.
#include "exporters/registry/etcd_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "exporters/metrics/metrics.h"
#include "exporters/registry/etcd_records.h"
#include "tests/support/etcd_server.h"
#include "tests/support/etcd_test.h"
#include "tests/support/hostile_etcd.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::WaitUntil;

EtcdClient::Options FastClient() { return testing::FastEtcdOptions(); }

// The registry's config: `endpoint` only, prefix /vigil, a 30 s lease.
EtcdConfig Config(const std::string& endpoint) {
  EtcdConfig config;
  config.endpoints = {endpoint};
  config.prefix = "/vigil";
  config.lease_ttl_seconds = 30;
  return config;
}

// Retries within 20-200 ms, and the client's short timeouts.
EtcdRegistry::Options FastOptions() {
  EtcdRegistry::Options options;
  options.backoff_initial = 20ms;
  options.backoff_max = 200ms;
  options.client = FastClient();
  return options;
}

// One time for every object of a test: a change is only what the test changes.
const WallTime kCreated =
    std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

EndpointStatus Endpoint(const std::string& address, bool ready) {
  EndpointStatus e;
  e.address = address;
  e.port = 80;
  e.node = "node-a";
  e.conditions = {ready, ready, false};
  e.last_transition_time = kCreated;
  return e;
}

EndpointsObject Web(std::vector<EndpointStatus> endpoints) {
  EndpointsObject object;
  object.name = "web";
  object.labels = {{"app", "web"}};
  object.ports = {{"http", 80}};
  object.creation_time = kCreated;
  object.endpoints = std::move(endpoints);
  return object;
}

class EtcdRegistryTest : public testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const EtcdConfig config = Config(server_.endpoint());
    const EtcdRegistry::Options options = FastOptions();
    EtcdRegistry::Reports reports{
        .publish = [this](bool ok, size_t keys) { metrics_.RecordPublish("etcd", ok, keys); },
        .connected = [this](bool connected) { metrics_.SetRegistryConnected("etcd", connected); },
    };
    registry_ = std::make_unique<EtcdRegistry>(config, "node-a", local_, reports, options);
  }

  // Key → value under /vigil/.
  std::map<std::string, std::string> Held() {
    std::map<std::string, std::string> out;
    Result<EtcdClient::Range> range = etcd_->GetPrefix("/vigil/");
    if (range.ok()) {
      for (const EtcdKeyValue& kv : range->kvs) out[kv.key] = kv.value;
    }
    return out;
  }

  std::optional<EndpointRecord> HeldEndpoint(const std::string& key) {
    const auto held = Held();
    const auto it = held.find(key);
    if (it == held.end()) return std::nullopt;
    Result<EndpointRecord> record = DecodeEndpointRecord(it->second);
    if (!record.ok()) return std::nullopt;
    return *record;
  }

  int64_t ModRevision(const std::string& key) {
    Result<EtcdClient::Range> range = etcd_->GetPrefix(key);
    return range.ok() && !range->kvs.empty() ? range->kvs[0].mod_revision : 0;
  }

  StatusBoard local_;
  Metrics metrics_{"node-a"};
  std::unique_ptr<EtcdRegistry> registry_;
};

const std::string kService = "/vigil/services/web/node-a";
const std::string kFirst = "/vigil/endpoints/web/node-a/10.0.0.1:80";
const std::string kSecond = "/vigil/endpoints/web/node-a/10.0.0.2:80";

TEST_F(EtcdRegistryTest, PublishesTheAgentsBoardAndKeepsEtcdEqualToIt) {
  EXPECT_FALSE(registry_->Health().ok());
  local_.Put({Web({Endpoint("10.0.0.1", true), Endpoint("10.0.0.2", false)})});
  registry_->Start();
  ASSERT_TRUE(WaitUntil([&] { return Held().size() == 3; }, 10s));
  EXPECT_TRUE(HeldEndpoint(kFirst)->status.conditions.ready);
  EXPECT_FALSE(HeldEndpoint(kSecond)->status.conditions.ready);
  Result<ServiceRecord> service = DecodeServiceRecord(Held().at(kService));
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->labels, (std::map<std::string, std::string>{{"app", "web"}}));
  ASSERT_TRUE(WaitUntil([&] { return registry_->Health().ok(); }, 10s))
      << registry_->Health().message();

  // One endpoint changes: only its key is written.
  const int64_t first_written = ModRevision(kFirst);
  const int64_t service_written = ModRevision(kService);
  local_.Put({Web({Endpoint("10.0.0.1", true), Endpoint("10.0.0.2", true)})});
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto e = HeldEndpoint(kSecond);
        return e && e->status.conditions.ready;
      },
      10s));
  EXPECT_EQ(ModRevision(kFirst), first_written);
  EXPECT_EQ(ModRevision(kService), service_written);

  // An endpoint leaves, then the service.
  local_.Put({Web({Endpoint("10.0.0.2", true)})});
  ASSERT_TRUE(WaitUntil([&] { return Held().count(kFirst) == 0; }, 10s));
  EXPECT_EQ(Held().size(), 2u);
  local_.Delete({{"default", "web"}});
  ASSERT_TRUE(WaitUntil([&] { return Held().empty(); }, 10s));

  // The API's view follows, at etcd's revisions.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return registry_->board().Get({"default", "web"}) == nullptr;
      },
      10s));
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find("vigil_registry_connected{backend=\"etcd\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_registry_publish_total{backend=\"etcd\",result=\"success\"} 7"),
            std::string::npos)
      << text;
}

TEST_F(EtcdRegistryTest, ANewNamespaceOrPublishNotReadyAddressesRewritesTheServiceKey) {
  local_.Put({Web({Endpoint("10.0.0.1", true)})});
  registry_->Start();
  ASSERT_TRUE(WaitUntil([&] { return Held().size() == 2; }, 10s));
  EXPECT_EQ(DecodeServiceRecord(Held().at(kService))->namespace_name, "default");

  // As the prober moves it: a service is known by its namespace and name,
  // so the old one goes and the new one comes; etcd's key stays the name's.
  EndpointsObject moved = Web({Endpoint("10.0.0.1", true)});
  moved.namespace_name = "shop";
  local_.Delete({{"default", "web"}});
  local_.Put({moved});
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto held = Held();
        return held.count(kService) != 0 &&
               DecodeServiceRecord(held.at(kService))->namespace_name == "shop";
      },
      10s));
  moved.publish_not_ready_addresses = true;
  local_.Put({moved});
  ASSERT_TRUE(WaitUntil(
      [&] { return DecodeServiceRecord(Held().at(kService))->publish_not_ready_addresses; }, 10s));
  // The cluster view the API (and DNS) serve has them too.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto web = registry_->board().Get({"shop", "web"});
        return web != nullptr && web->publish_not_ready_addresses &&
               registry_->board().Get({"default", "web"}) == nullptr;
      },
      10s));
}

TEST_F(EtcdRegistryTest, WritesProbeDetailsWhenTheResultChangesNotOnEveryProbe) {
  local_.Put({Web({Endpoint("10.0.0.1", false)})});
  registry_->Start();
  ASSERT_TRUE(WaitUntil([&] { return HeldEndpoint(kFirst).has_value(); }, 10s));
  const WallTime t = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  local_.RecordProbe({"default", "web"}, "10.0.0.1:80",
                     ProbeDetails{t, ProbeOutcome::kFailure, "dial tcp: connection refused"});
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto e = HeldEndpoint(kFirst);
        return e && e->probe && e->probe->message == "dial tcp: connection refused";
      },
      10s));
  const int64_t written = ModRevision(kFirst);

  // The same failure again, later: nothing to write. A change elsewhere
  // goes through the same path, after it.
  local_.RecordProbe({"default", "web"}, "10.0.0.1:80",
                     ProbeDetails{t + 1s, ProbeOutcome::kFailure, "dial tcp: connection refused"});
  EndpointsObject db = Web({});
  db.name = "db";
  local_.Put({db});
  ASSERT_TRUE(WaitUntil([&] { return Held().count("/vigil/services/db/node-a") == 1; }, 10s));
  EXPECT_EQ(ModRevision(kFirst), written);

  // Another message is written.
  local_.RecordProbe({"default", "web"}, "10.0.0.1:80",
                     ProbeDetails{t + 2s, ProbeOutcome::kTimeout, "probe timed out after 1s"});
  ASSERT_TRUE(WaitUntil(
      [&] { return HeldEndpoint(kFirst)->probe->message == "probe timed out after 1s"; }, 10s));
}

TEST_F(EtcdRegistryTest, AGracefulStopWritesTheLastStateThenTakesTheKeysAway) {
  local_.Put({Web({Endpoint("10.0.0.1", true)})});
  registry_->Start();
  ASSERT_TRUE(WaitUntil([&] { return registry_->Health().ok(); }, 10s));
  // Another agent's watch of etcd, from the revision at hand, to see what
  // happens after it, in order.
  Result<EtcdClient::Range> before = etcd().GetPrefix("/vigil/");
  ASSERT_TRUE(before.ok()) << before.status().message();
  EtcdClient watcher({server_.endpoint()}, FastClient());
  std::mutex mutex;
  std::vector<EtcdEvent> seen;
  std::thread watch([&] {
    watcher.Watch("/vigil/", before->revision + 1, [&](const std::vector<EtcdEvent>& events) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.insert(seen.end(), events.begin(), events.end());
      return true;
    });
  });

  EndpointStatus terminating = Endpoint("10.0.0.1", false);
  terminating.conditions = {false, true, true};
  local_.Put({Web({terminating})});
  registry_->Stop();
  EXPECT_TRUE(Held().empty());
  const bool all_seen = WaitUntil(
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return seen.size() >= 3;
      },
      5s);
  watcher.Cancel();
  watch.join();
  ASSERT_TRUE(all_seen);
  std::lock_guard<std::mutex> lock(mutex);
  // The endpoint as terminating, then the lease's keys gone.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].type, EtcdEvent::Type::kPut);
  EXPECT_TRUE(DecodeEndpointRecord(seen[0].kv.value)->status.conditions.terminating);
  EXPECT_EQ(seen[1].type, EtcdEvent::Type::kDelete);
  EXPECT_EQ(seen[2].type, EtcdEvent::Type::kDelete);
}

TEST_F(EtcdRegistryTest, HealthAndMetricsTellWhenEtcdIsAway) {
  local_.Put({Web({Endpoint("10.0.0.1", true)})});
  registry_->Start();
  ASSERT_TRUE(WaitUntil([&] { return registry_->Health().ok(); }, 10s));
  server_.Kill();
  ASSERT_TRUE(WaitUntil([&] { return !registry_->Health().ok(); }, 10s));
  EXPECT_NE(registry_->Health().message().find("etcd registry:"), std::string::npos)
      << registry_->Health().message();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return metrics_.Render().find("vigil_registry_connected{backend=\"etcd\"} 0") !=
               std::string::npos;
      },
      10s));
  // The API still serves this node's endpoints.
  ASSERT_NE(registry_->board().Get({"default", "web"}), nullptr);
  EXPECT_EQ(registry_->board().Get({"default", "web"})->endpoints.size(), 1u);

  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(WaitUntil([&] { return registry_->Health().ok(); }, 15s))
      << registry_->Health().message();
  EXPECT_NE(metrics_.Render().find("vigil_registry_connected{backend=\"etcd\"} 1"),
            std::string::npos);
}

// etcd answers, but its watch sends a 150 MB value: /readyz says why, the
// agent's own state stays published, and health comes back once the watch
// behaves (the next change of the board reaches the view through it).
TEST_F(EtcdRegistryTest, HealthNamesAWatchThatMisbehavesUntilItBehaves) {
  testing::HostileEtcd hostile(server_.client_port());
  hostile.Set(testing::HostileEtcd::Attack::kHugeValue, "/v3/watch", "/vigil/services/web/x",
              150 * 1024 * 1024);
  const EtcdConfig config = Config(hostile.endpoint());
  const EtcdRegistry::Options options = FastOptions();
  StatusBoard local;
  local.Put({Web({Endpoint("10.0.0.1", true)})});
  EtcdRegistry registry(config, "node-a", local, {}, options);
  registry.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return registry.Health().message().find("the watch of etcd misbehaved") !=
               std::string::npos;
      },
      10s))
      << registry.Health().message();
  const std::string why = registry.Health().message();
  EXPECT_NE(why.find("a watch message over 16 MiB"), std::string::npos) << why;
  EXPECT_NE(why.find("etcd at " + hostile.endpoint()), std::string::npos) << why;
  EXPECT_TRUE(registry.publisher_state().connected);
  EXPECT_TRUE(WaitUntil([&] { return HeldEndpoint(kFirst).has_value(); }, 10s));

  hostile.Set(testing::HostileEtcd::Attack::kNone);
  // A change may reach the view through a list (after a watch attacked
  // still): the change a watch delivers ends the fault.
  bool ready = true;
  EXPECT_TRUE(WaitUntil(
      [&] {
        ready = !ready;
        local.Put({Web({Endpoint("10.0.0.1", ready)})});
        return WaitUntil([&] { return registry.Health().ok(); }, 500ms);
      },
      10s))
      << registry.Health().message();
  registry.Stop();
}

// A watch that is stuck while etcd answers every other call: a message
// trickling without end, or a stream silent past its idle timeout (short
// here; 11 minutes by default, past etcd's progress notifications).
TEST_F(EtcdRegistryTest, HealthNamesAStuckWatch) {
  testing::HostileEtcd hostile(server_.client_port());
  const EtcdConfig config = Config(hostile.endpoint());
  EtcdRegistry::Options options = FastOptions();
  struct Case {
    testing::HostileEtcd::Attack attack;
    std::chrono::milliseconds line_timeout;
    std::chrono::milliseconds idle_timeout;
    const char* says;
  };
  for (const Case& c :
       {Case{testing::HostileEtcd::Attack::kTrickleLine, 300ms, 1min, "did not end within 300 ms"},
        Case{testing::HostileEtcd::Attack::kSilence, 1min, 300ms,
             "delivered nothing (not even a progress notification) for 300 ms"}}) {
    const std::string says = c.says;
    SCOPED_TRACE(says);
    options.client.watch_line_timeout = c.line_timeout;
    options.client.watch_idle_timeout = c.idle_timeout;
    hostile.Set(c.attack);
    StatusBoard local;
    local.Put({Web({Endpoint("10.0.0.1", true)})});
    EtcdRegistry registry(config, "node-a", local, {}, options);
    registry.Start();
    ASSERT_TRUE(
        WaitUntil([&] { return registry.Health().message().find(says) != std::string::npos; }, 10s))
        << registry.Health().message();
    EXPECT_NE(registry.Health().message().find("the watch of etcd misbehaved"), std::string::npos);
    EXPECT_TRUE(registry.publisher_state().connected);
    registry.Stop();
  }
}

}  // namespace
}  // namespace vigil
