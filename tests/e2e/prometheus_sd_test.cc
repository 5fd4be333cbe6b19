// Debian's Prometheus (2.42) discovers its targets from vigil: the README's
// http_sd_configs example, pointed at a live agent probing three real
// replicas, lists exactly the ready ones with the mapped labels; a replica
// failing its probe leaves the targets and returns after it recovers.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/e2e/process.h"
#include "tests/e2e/readme_block.h"
#include "tests/support/host.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
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

}  // namespace
}  // namespace vigil
