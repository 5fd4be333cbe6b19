// The cluster registry on etcd, end to end: vigil agents (the binary) on one
// machine as two nodes, real HTTP targets on loopback, a real etcd (one
// member or three). Each agent publishes its own endpoints and serves every
// node's; the faults of DESIGN.md's "Registry" are played for real: an agent
// killed, an agent stopped, etcd killed and restarted, a member lost.
// Skipped when etcd is not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "exporters/registry/etcd_client.h"
#include "tests/e2e/process.h"
#include "tests/support/etcd_server.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"
#include "tests/support/watch_stream.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::EtcdCluster;
using testing::EtcdServer;
using testing::TestHttpServer;
using testing::WaitUntil;
using testing::WatchStream;

const std::string kVigil = VIGIL_BINARY;

// One vigil agent as node `node`, probing `targets` as service "web".
class Agent {
 public:
  Agent(const std::string& dir, const std::string& node, const std::vector<std::string>& etcd,
        int ttl, const std::vector<const TestHttpServer*>& targets)
      : path_(dir + "/" + node + ".yaml"), node_(node), etcd_(etcd), ttl_(ttl) {
    WriteConfig(targets);
    process_ = std::make_unique<e2e::Process>(
        std::vector<std::string>{kVigil, "agent", "--config", path_, "--node", node});
    WaitUntil([&] { return (port_ = e2e::ApiPort(process_->Stderr())) != 0; }, 10s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(5s);
  }

  void WriteConfig(const std::vector<const TestHttpServer*>& targets) {
    std::string endpoints;
    for (const TestHttpServer* t : targets) {
      endpoints += (endpoints.empty() ? "" : ", ") + t->address() + ":" + std::to_string(t->port());
    }
    std::string members;
    for (const std::string& e : etcd_) members += (members.empty() ? "\"" : ", \"") + e + "\"";
    e2e::WriteFile(path_,
                   "listen: 127.0.0.1:0\n"
                   "registry:\n"
                   "  backend: etcd\n"
                   "  etcd: {endpoints: [" +
                       members +
                       "], prefix: /vigil, "
                       "leaseTTLSeconds: " +
                       std::to_string(ttl_) +
                       "}\n"
                       "services:\n"
                       "  - name: web\n"
                       "    labels: {app: web}\n"
                       "    endpoints: [" +
                       endpoints +
                       "]\n"
                       "    readinessProbe:\n"
                       "      httpGet: {path: /ready}\n"
                       "      periodSeconds: 0.1\n"
                       "      failureThreshold: 1\n");
  }

  int port() const { return port_; }
  e2e::Process& process() { return *process_; }
  httplib::Client& client() { return *client_; }

  json Get(const std::string& path) {
    const httplib::Result res = client_->Get(path);
    return res ? json::parse(res->body, nullptr, false) : json();
  }
  int Status(const std::string& path) {
    const httplib::Result res = client_->Get(path);
    return res ? res->status : 0;
  }

  // "node/ip:port" → ready, for every endpoint of "web" this agent serves;
  // nullopt when the agent does not answer 200.
  std::optional<std::map<std::string, bool>> Web() {
    const httplib::Result res = client_->Get("/vigil/v1/endpoints/web");
    if (!res || res->status != 200) return std::nullopt;
    return Endpoints(json::parse(res->body, nullptr, false));
  }
  // Whether the agent answers and lists `key`, ready as given.
  bool Shows(const std::string& key, bool ready) {
    const auto web = Web();
    return web && web->count(key) == 1 && web->at(key) == ready;
  }
  bool Lists(const std::string& key) {
    const auto web = Web();
    return web && web->count(key) == 1;
  }
  // Whether the agent answers and does not list `key`.
  bool Lacks(const std::string& key) {
    const auto web = Web();
    return web && web->count(key) == 0;
  }
  size_t Size() {
    const auto web = Web();
    return web ? web->size() : 0;
  }

  static std::map<std::string, bool> Endpoints(const json& object) {
    std::map<std::string, bool> out;
    if (!object.is_object() || !object.contains("endpoints")) return out;
    for (const json& e : object["endpoints"]) {
      out[e["node"].get<std::string>() + "/" + e["address"].get<std::string>() + ":" +
          std::to_string(e["port"].get<int>())] = e["conditions"]["ready"].get<bool>();
    }
    return out;
  }

 private:
  const std::string path_;
  const std::string node_;
  const std::vector<std::string> etcd_;
  const int ttl_;
  std::unique_ptr<e2e::Process> process_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

std::string Key(const std::string& node, const TestHttpServer& target) {
  return node + "/" + target.address() + ":" + std::to_string(target.port());
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (EtcdServer::Binary().empty()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
    dir_ = e2e::MakeTempDir();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Agent> StartAgent(const std::string& node, const std::vector<std::string>& etcd,
                                    int ttl, const TestHttpServer& target) {
    return std::make_unique<Agent>(dir_, node, etcd, ttl,
                                   std::vector<const TestHttpServer*>{&target});
  }

  // What etcd holds under /vigil/: key → value.
  static std::map<std::string, json> Held(const std::vector<std::string>& etcd) {
    EtcdClient client(etcd, EtcdClient::Options{});
    std::map<std::string, json> out;
    Result<EtcdClient::Range> range = client.GetPrefix("/vigil/");
    if (!range.ok()) return out;
    for (const EtcdKeyValue& kv : range->kvs) out[kv.key] = json::parse(kv.value, nullptr, false);
    return out;
  }

  std::string dir_;
  TestHttpServer target_a_{{.address = "127.0.0.1"}};
  TestHttpServer target_b_{{.address = "127.0.0.2"}};
};

TEST_F(RegistryTest, TwoAgentsServeOneViewAndEachSeesTheOthersChanges) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start()) << etcd.error();
  auto a = StartAgent("node-a", {etcd.endpoint()}, 10, target_a_);
  auto b = StartAgent("node-b", {etcd.endpoint()}, 10, target_b_);
  const std::map<std::string, bool> both = {{Key("node-a", target_a_), true},
                                            {Key("node-b", target_b_), true}};
  ASSERT_TRUE(WaitUntil([&] { return a->Web() == both && b->Web() == both; }, 15s))
      << a->Get("/vigil/v1/endpoints/web") << "\n"
      << b->process().Stderr();
  ASSERT_TRUE(WaitUntil([&] { return a->Status("/readyz") == 200; }, 10s));

  // node-a's target fails: node-b's watchers hear of it.
  WatchStream watch("127.0.0.1", b->port(), "/vigil/v1/endpoints/web?watch=true");
  ASSERT_TRUE(watch.WaitForChanges(1));
  target_a_.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const json& event : watch.changes()) {
          if (event["type"] == "MODIFIED" &&
              !Agent::Endpoints(event["object"]).at(Key("node-a", target_a_)))
            return true;
        }
        return false;
      },
      10s))
      << b->process().Stderr();
  // With the reason node-a saw.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const json object = b->Get("/vigil/v1/endpoints/web");
        if (!object.contains("endpoints")) return false;
        for (const json& e : object["endpoints"]) {
          if (e["node"] == "node-a" && e["message"] == "HTTP probe failed with statuscode: 503")
            return true;
        }
        return false;
      },
      10s))
      << b->Get("/vigil/v1/endpoints/web");

  // The CLI shows both nodes; the API's versions are etcd's revisions.
  const e2e::Output wide = e2e::RunProcess({kVigil, "get", "endpoints", "-o", "wide", "--server",
                                            "http://127.0.0.1:" + std::to_string(b->port())});
  EXPECT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_NE(wide.out.find("node-a,node-b"), std::string::npos) << wide.out;
  EtcdClient reader({etcd.endpoint()}, EtcdClient::Options{});
  ASSERT_TRUE(WaitUntil(
      [&] {
        Result<EtcdClient::Range> range = reader.GetPrefix("/vigil/");
        return range.ok() &&
               a->Get("/vigil/v1/endpoints")["resourceVersion"] == std::to_string(range->revision);
      },
      10s));
  const std::string metrics = a->client().Get("/metrics")->body;
  EXPECT_NE(metrics.find("vigil_registry_connected{backend=\"etcd\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("vigil_registry_publish_total{backend=\"etcd\",result=\"success\"}"),
            std::string::npos);
}

TEST_F(RegistryTest, AKilledAgentsEndpointsGoWhenItsLeaseExpires) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start()) << etcd.error();
  auto a = StartAgent("node-a", {etcd.endpoint()}, /*ttl=*/2, target_a_);
  auto b = StartAgent("node-b", {etcd.endpoint()}, /*ttl=*/2, target_b_);
  ASSERT_TRUE(WaitUntil([&] { return b->Lists(Key("node-a", target_a_)); }, 15s));

  a->process().Signal(SIGKILL);
  a->process().Wait(5s);
  const auto killed = std::chrono::steady_clock::now();
  // Nothing said goodbye: the keys stay until the lease runs out.
  ASSERT_TRUE(WaitUntil([&] { return b->Lacks(Key("node-a", target_a_)); }, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - killed, 500ms);
  EXPECT_EQ(b->Web(), (std::map<std::string, bool>{{Key("node-b", target_b_), true}}));
  for (const auto& [key, value] : Held({etcd.endpoint()})) {
    EXPECT_EQ(key.find("/node-a"), std::string::npos) << key;
  }
}

TEST_F(RegistryTest, AStoppedAgentsEndpointsTerminateThenGoAtOnce) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start()) << etcd.error();
  // A lease far longer than the test: only the revoke can take the keys.
  auto a = StartAgent("node-a", {etcd.endpoint()}, /*ttl=*/120, target_a_);
  auto b = StartAgent("node-b", {etcd.endpoint()}, /*ttl=*/120, target_b_);
  ASSERT_TRUE(WaitUntil([&] { return b->Shows(Key("node-a", target_a_), true); }, 15s));

  WatchStream watch("127.0.0.1", b->port(), "/vigil/v1/endpoints/web?watch=true");
  ASSERT_TRUE(watch.WaitForChanges(1));
  a->process().Signal(SIGTERM);
  EXPECT_EQ(a->process().Wait(5s), 0) << a->process().Stderr();
  ASSERT_TRUE(WaitUntil([&] { return b->Lacks(Key("node-a", target_a_)); }, 5s));

  // Watchers saw node-a's endpoint terminating before it left.
  const auto terminating = [&] {
    for (const json& event : watch.changes()) {
      for (const json& e : event["object"]["endpoints"]) {
        if (e["node"] == "node-a" && e["conditions"]["terminating"] == true) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(WaitUntil(terminating, 5s)) << a->process().Stderr() << "\n" << b->process().Stderr();
  EXPECT_NE(a->process().Stderr().find("revoked lease"), std::string::npos)
      << a->process().Stderr();
}

TEST_F(RegistryTest, WhileEtcdIsDownAgentsProbeOnAndAfterwardsEtcdHoldsTheTruth) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start()) << etcd.error();
  TestHttpServer second_a({.address = "127.0.0.3"});
  auto a = std::make_unique<Agent>(dir_, "node-a", std::vector<std::string>{etcd.endpoint()}, 10,
                                   std::vector<const TestHttpServer*>{&target_a_, &second_a});
  auto b = StartAgent("node-b", {etcd.endpoint()}, 10, target_b_);
  ASSERT_TRUE(WaitUntil([&] { return b->Size() == 3 && a->Size() == 3; }, 15s));
  ASSERT_TRUE(WaitUntil([&] { return a->Status("/readyz") == 200; }, 10s));

  etcd.Kill();
  ASSERT_TRUE(WaitUntil([&] { return a->Status("/readyz") == 503; }, 15s));
  const std::string why = a->client().Get("/readyz")->body;
  EXPECT_NE(why.find("etcd"), std::string::npos) << why;
  EXPECT_NE(a->client().Get("/metrics")->body.find("vigil_registry_connected{backend=\"etcd\"} 0"),
            std::string::npos);

  // Meanwhile: node-a's target fails, and node-a drops its second endpoint.
  target_a_.SetStatus("/ready", 503);
  a->WriteConfig({&target_a_});
  ASSERT_EQ(a->client().Post("/-/reload", "", "text/plain")->status, 200);
  // node-a's own API follows its own probes; node-b's keeps the last view.
  ASSERT_TRUE(WaitUntil([&] { return a->Shows(Key("node-a", target_a_), false); }, 10s))
      << a->Get("/vigil/v1/endpoints/web");
  EXPECT_TRUE(a->Lacks(Key("node-a", second_a)));
  EXPECT_EQ(b->Size(), 3u);

  ASSERT_TRUE(etcd.Start()) << etcd.error();
  const std::map<std::string, bool> truth = {{Key("node-a", target_a_), false},
                                             {Key("node-b", target_b_), true}};
  ASSERT_TRUE(WaitUntil([&] { return b->Web() == truth && a->Web() == truth; }, 20s))
      << b->Get("/vigil/v1/endpoints/web") << "\n"
      << a->process().Stderr();
  // etcd itself holds the change, and nothing stale.
  const std::map<std::string, json> held = Held({etcd.endpoint()});
  const std::string key =
      "/vigil/endpoints/web/node-a/127.0.0.1:" + std::to_string(target_a_.port());
  ASSERT_EQ(held.count(key), 1u);
  EXPECT_EQ(held.at(key)["conditions"]["ready"], false);
  for (const auto& [k, v] : held) EXPECT_EQ(k.find("127.0.0.3"), std::string::npos) << k;
  ASSERT_TRUE(WaitUntil([&] { return a->Status("/readyz") == 200; }, 10s));
  EXPECT_NE(a->process().Stderr().find("connected again"), std::string::npos);
}

TEST_F(RegistryTest, AThreeMemberClusterLosingAMemberKeepsPublishingAndWatching) {
  EtcdCluster cluster(3);
  ASSERT_TRUE(cluster.Start()) << cluster.error();
  auto a = StartAgent("node-a", cluster.endpoints(), 10, target_a_);
  auto b = StartAgent("node-b", cluster.endpoints(), 10, target_b_);
  ASSERT_TRUE(WaitUntil([&] { return b->Size() == 2 && a->Size() == 2; }, 20s));
  WatchStream watch("127.0.0.1", b->port(), "/vigil/v1/endpoints/web?watch=true");
  ASSERT_TRUE(watch.WaitForChanges(1));

  // The member both agents talk to first dies; two of three keep quorum.
  cluster.KillMember(0);
  target_a_.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil([&] { return b->Shows(Key("node-a", target_a_), false); }, 20s))
      << b->process().Stderr();
  const auto heard = [&] {
    for (const json& event : watch.changes()) {
      const auto endpoints = Agent::Endpoints(event["object"]);
      const auto it = endpoints.find(Key("node-a", target_a_));
      if (it != endpoints.end() && !it->second) return true;
    }
    return false;
  };
  EXPECT_TRUE(WaitUntil(heard, 5s));
  EXPECT_EQ(
      Held({cluster.member(1).endpoint()})["/vigil/endpoints/web/node-a/127.0.0.1:" +
                                           std::to_string(target_a_.port())]["conditions"]["ready"],
      false);
  ASSERT_TRUE(
      WaitUntil([&] { return a->Status("/readyz") == 200 && b->Status("/readyz") == 200; }, 10s));
}

}  // namespace
}  // namespace vigil
