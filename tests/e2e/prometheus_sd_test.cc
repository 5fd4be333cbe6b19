// Debian's Prometheus (2.42) discovers its targets from vigil: the README's
// http_sd_configs example, pointed at a live agent probing three real
// replicas, lists exactly the ready ones with the mapped labels; a replica
// failing its probe leaves the targets and returns after it recovers. With
// the etcd registry (a real etcd, two agents as two nodes), the SD answer
// of either agent lists the endpoints of both nodes, each under its node.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "tests/e2e/process.h"
#include "tests/e2e/readme_block.h"
#include "tests/support/etcd_server.h"
#include "tests/support/host.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::EtcdServer;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

TEST(PrometheusSdTest, ReadmeExampleScrapesExactlyTheReadyReplicas) {
  const std::string prometheus = testing::FindProgram("prometheus");
  if (prometheus.empty()) GTEST_SKIP() << "prometheus is not installed (Debian package prometheus)";

  auto replicas = TestHttpServer::OnOnePort({"127.0.40.1", "127.0.40.2", "127.0.40.3"});
  const std::string port = std::to_string(replicas[0]->port());
  // The third is not ready from the start: Prometheus must never list it.
  replicas[2]->SetStatus("/ready", 503);

  const std::string dir = e2e::MakeTempDir();
  const std::string config = R"(listen: 127.0.0.1:0
probeDefaults: {periodSeconds: 0.2, failureThreshold: 2}
services:
  - name: web
    labels: {app: web, app.kubernetes.io/part-of: shop}
    ports: [{name: http, port: )" +
                             port + R"(}]
    endpoints: [127.0.40.1, 127.0.40.2, 127.0.40.3]
    readinessProbe: {httpGet: {path: /ready, port: http}}
  - name: other
    labels: {app: other}
    ports: [{name: http, port: )" +
                             port + R"(}]
    endpoints: [127.0.40.1]
    readinessProbe: {httpGet: {path: /ready, port: http}}
)";
  e2e::WriteFile(dir + "/vigil.yaml", config);
  e2e::Process agent({kVigil, "agent", "--config", dir + "/vigil.yaml", "--node", "node-e2e"});
  int agent_port = 0;
  ASSERT_TRUE(
      WaitUntil([&] { return (agent_port = e2e::ApiPort(agent.Stderr())) > 0; }, seconds(10)))
      << agent.Stderr();

  const std::string prometheus_yml = e2e::ReadmeBlock(
      "yaml prometheus.yml", {{"127.0.0.1:9476", "127.0.0.1:" + std::to_string(agent_port)},
                              {"refresh_interval: 5s", "refresh_interval: 1s"}});
  ASSERT_NE(prometheus_yml.find("http_sd_configs"), std::string::npos)
      << "README.md has no ```yaml prometheus.yml block";
  ASSERT_NE(prometheus_yml.find(std::to_string(agent_port)), std::string::npos) << prometheus_yml;
  e2e::WriteFile(dir + "/prometheus.yml",
                 "global: {scrape_interval: 1s, scrape_timeout: 1s}\n" + prometheus_yml);
  const int web_port = testing::FreeLoopbackPort();
  ASSERT_GT(web_port, 0);
  e2e::Process server({prometheus, "--config.file=" + dir + "/prometheus.yml",
                       "--storage.tsdb.path=" + dir + "/data",
                       "--web.listen-address=127.0.0.1:" + std::to_string(web_port)});

  httplib::Client api("127.0.0.1", web_port);
  api.set_connection_timeout(seconds(2));
  api.set_read_timeout(seconds(5));
  // Prometheus's active targets of the job "web".
  const auto targets = [&] {
    nlohmann::json active = nlohmann::json::array();
    httplib::Result res = api.Get("/api/v1/targets?state=active");
    if (!res || res->status != 200) return active;
    const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_discarded() || body.value("status", "") != "success") return active;
    for (const nlohmann::json& t : body["data"]["activeTargets"]) {
      if (t["scrapePool"] == "web") active.push_back(t);
    }
    return active;
  };
  // The targets' addresses; a target listed twice (or another service's,
  // which the selector leaves out) makes a list that matches none.
  const auto addresses = [](const nlohmann::json& active) {
    std::set<std::string> out;
    for (const nlohmann::json& t : active) out.insert(t["discoveredLabels"]["__address__"]);
    if (out.size() != active.size()) out.insert("(a duplicate)");
    return out;
  };
  const std::string a = "127.0.40.1:" + port, b = "127.0.40.2:" + port, c = "127.0.40.3:" + port;

  nlohmann::json active;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return addresses(active = targets()) == std::set{a, b};
      },
      seconds(60)))
      << active.dump(1) << "\nprometheus:\n"
      << server.Stderr() << "\nagent:\n"
      << agent.Stderr();
  for (const nlohmann::json& t : active) {
    const nlohmann::json& labels = t["labels"];
    EXPECT_EQ(labels["job"], "web");
    EXPECT_EQ(labels["service"], "web");
    EXPECT_EQ(labels["namespace"], "default");
    EXPECT_EQ(labels["node"], "node-e2e");
    EXPECT_EQ(labels["app"], "web");
    EXPECT_EQ(labels["app_kubernetes_io_part_of"], "shop");
    const nlohmann::json& discovered = t["discoveredLabels"];
    EXPECT_EQ(discovered["__meta_vigil_endpoint_ready"], "true");
    EXPECT_EQ(discovered["__meta_vigil_port_name"], "http");
  }

  // A replica failing its probe leaves; recovering, it returns, and so does
  // the one that was never ready.
  replicas[1]->SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil([&] { return addresses(active = targets()) == std::set{a}; }, seconds(60)))
      << active.dump(1);
  replicas[1]->SetStatus("/ready", 200);
  replicas[2]->SetStatus("/ready", 200);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return addresses(active = targets()) == std::set{a, b, c};
      },
      seconds(60)))
      << active.dump(1);

  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(seconds(10)), 0) << server.Stderr();
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(seconds(5)), 0);
  std::filesystem::remove_all(dir);
}

// The targets of an SD answer as (target, node, ready) for the service
// "web", with every group's labels checked; a malformed answer or a target
// listed twice gives a set that matches none.
using Target = std::tuple<std::string, std::string, bool>;
std::set<Target> WebTargets(const nlohmann::json& groups) {
  std::set<Target> out;
  if (!groups.is_array()) return {{"(not a list)", "", false}};
  size_t listed = 0;
  for (const nlohmann::json& group : groups) {
    const nlohmann::json& labels = group["labels"];
    if (labels.value("__meta_vigil_service", "") != "web") continue;
    const bool ready = labels.value("__meta_vigil_endpoint_ready", "") == "true";
    const bool labelled = labels.value("__meta_vigil_namespace", "") == "default" &&
                          labels.value("__meta_vigil_port_name", "") == "http" &&
                          labels.value("__meta_vigil_service_label_app", "") == "web";
    for (const nlohmann::json& target : group["targets"]) {
      out.insert({labelled ? target.get<std::string>() : "(labels missing)",
                  labels.value("__meta_vigil_node", ""), ready});
      ++listed;
    }
  }
  if (out.size() != listed) out.insert({"(a duplicate)", "", false});
  return out;
}

TEST(PrometheusSdTest, WithEtcdEachAgentListsTheEndpointsOfEveryNode) {
  if (EtcdServer::Binary().empty()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start()) << etcd.error();
  // node-a probes two replicas, node-b two, one of them never ready.
  auto replicas =
      TestHttpServer::OnOnePort({"127.0.41.1", "127.0.41.2", "127.0.42.1", "127.0.42.2"});
  replicas[3]->SetStatus("/ready", 503);
  const std::string port = std::to_string(replicas[0]->port());
  const std::string a1 = "127.0.41.1:" + port, a2 = "127.0.41.2:" + port, b1 = "127.0.42.1:" + port,
                    b2 = "127.0.42.2:" + port;

  const std::string dir = e2e::MakeTempDir();
  const auto start = [&](const std::string& node, const std::string& endpoints) {
    const std::string config = dir + "/" + node + ".yaml";
    e2e::WriteFile(config, R"(listen: 127.0.0.1:0
registry:
  backend: etcd
  etcd: {endpoints: [")" + etcd.endpoint() +
                               R"("], prefix: /vigil, leaseTTLSeconds: 10}
probeDefaults: {periodSeconds: 0.2, failureThreshold: 1}
services:
  - name: web
    labels: {app: web}
    ports: [{name: http, port: )" +
                               port + R"(}]
    endpoints: [)" + endpoints +
                               R"(]
    readinessProbe: {httpGet: {path: /ready, port: http}}
)");
    return std::make_unique<e2e::Process>(
        std::vector<std::string>{kVigil, "agent", "--config", config, "--node", node});
  };
  const std::unique_ptr<e2e::Process> agent_a = start("node-a", "127.0.41.1, 127.0.41.2");
  const std::unique_ptr<e2e::Process> agent_b = start("node-b", "127.0.42.1, 127.0.42.2");
  int port_a = 0, port_b = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        port_a = e2e::ApiPort(agent_a->Stderr());
        port_b = e2e::ApiPort(agent_b->Stderr());
        return port_a > 0 && port_b > 0;
      },
      seconds(10)))
      << agent_a->Stderr() << agent_b->Stderr();
  httplib::Client api_a("127.0.0.1", port_a), api_b("127.0.0.1", port_b);
  for (httplib::Client* api : {&api_a, &api_b}) {
    api->set_connection_timeout(seconds(2));
    api->set_read_timeout(seconds(5));
  }
  const auto targets = [](httplib::Client& api, const std::string& query) {
    httplib::Result res = api.Get("/vigil/v1/prometheus/targets" + query);
    if (!res || res->status != 200) return std::set<Target>{{"(no answer)", "", false}};
    return WebTargets(nlohmann::json::parse(res->body, nullptr, false));
  };

  // node-a's SD answer: the ready endpoints of both nodes, each under its
  // own node; node-b's, the same.
  const std::set<Target> ready = {{a1, "node-a", true}, {a2, "node-a", true}, {b1, "node-b", true}};
  std::set<Target> got;
  ASSERT_TRUE(
      WaitUntil([&] { return (got = targets(api_a, "?ready=true")) == ready; }, seconds(30)))
      << ::testing::PrintToString(got) << "\nnode-a:\n"
      << agent_a->Stderr() << "\nnode-b:\n"
      << agent_b->Stderr();
  EXPECT_TRUE(WaitUntil([&] { return targets(api_b, "?ready=true") == ready; }, seconds(10)));
  // Without ready=true, node-b's endpoint that is not ready too, as such.
  std::set<Target> all = ready;
  all.insert({b2, "node-b", false});
  EXPECT_TRUE(WaitUntil([&] { return (got = targets(api_a, "")) == all; }, seconds(10)))
      << ::testing::PrintToString(got);

  // node-b's ready replica fails: it leaves node-a's answer; recovering, it
  // returns, and so does the one that was never ready.
  replicas[2]->SetStatus("/ready", 503);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return (got = targets(api_a, "?ready=true")) ==
               std::set<Target>{{a1, "node-a", true}, {a2, "node-a", true}};
      },
      seconds(15)))
      << ::testing::PrintToString(got);
  replicas[2]->SetStatus("/ready", 200);
  replicas[3]->SetStatus("/ready", 200);
  std::set<Target> every = ready;
  every.insert({b2, "node-b", true});
  EXPECT_TRUE(
      WaitUntil([&] { return (got = targets(api_a, "?ready=true")) == every; }, seconds(15)))
      << ::testing::PrintToString(got);

  // node-b stops: its endpoints leave node-a's answer with its lease.
  agent_b->Signal(SIGTERM);
  EXPECT_EQ(agent_b->Wait(seconds(10)), 0) << agent_b->Stderr();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return (got = targets(api_a, "?ready=true")) ==
               std::set<Target>{{a1, "node-a", true}, {a2, "node-a", true}};
      },
      seconds(20)))
      << ::testing::PrintToString(got);
  agent_a->Signal(SIGTERM);
  EXPECT_EQ(agent_a->Wait(seconds(10)), 0) << agent_a->Stderr();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil
