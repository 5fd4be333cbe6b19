// A real Prometheus server (Debian's /usr/bin/prometheus) scrapes the vigil
// binary: the exposition parses, and the endpoint's readiness is queryable.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/e2e/process.h"
#include "tests/support/host.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

TEST(PrometheusTest, ScrapesTheAgent) {
  const std::string prometheus = testing::FindProgram("prometheus");
  if (prometheus.empty()) GTEST_SKIP() << "prometheus is not installed (Debian package prometheus)";

  TestHttpServer target;
  const std::string dir = e2e::MakeTempDir();
  e2e::WriteFile(dir + "/vigil.yaml", R"(listen: 127.0.0.1:0
services:
  - name: web
    endpoints: [127.0.0.1:)" + std::to_string(target.port()) +
                                          R"(]
    readinessProbe:
      httpGet: {path: /ready}
      periodSeconds: 0.2
)");
  e2e::Process agent({kVigil, "agent", "--config", dir + "/vigil.yaml", "--node", "node-e2e"});
  int agent_port = 0;
  ASSERT_TRUE(
      WaitUntil([&] { return (agent_port = e2e::ApiPort(agent.Stderr())) > 0; }, seconds(10)))
      << agent.Stderr();

  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  e2e::WriteFile(dir + "/prometheus.yml", R"(global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: ["127.0.0.1:)" + std::to_string(agent_port) +
                                              R"("]
)");
  e2e::Process server({prometheus, "--config.file=" + dir + "/prometheus.yml",
                       "--storage.tsdb.path=" + dir + "/data",
                       "--web.listen-address=127.0.0.1:" + std::to_string(port)});

  httplib::Client api("127.0.0.1", port);
  api.set_connection_timeout(seconds(2));
  api.set_read_timeout(seconds(5));
  // The query's instant vector, or null while Prometheus is not answering.
  const auto query = [&](const std::string& promql) {
    httplib::Result res = api.Get("/api/v1/query", httplib::Params{{"query", promql}}, {});
    if (!res || res->status != 200) return nlohmann::json();
    const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_discarded() || body.value("status", "") != "success") return nlohmann::json();
    return body["data"]["result"];
  };
  // The single sample's value ("1"), or "" when there is not exactly one.
  const auto value = [&](const nlohmann::json& result) -> std::string {
    if (!result.is_array() || result.size() != 1) return "";
    return result[0]["value"][1].get<std::string>();
  };

  nlohmann::json up;
  ASSERT_TRUE(WaitUntil([&] { return value(up = query("up{job=\"vigil\"}")) == "1"; }, seconds(60)))
      << up << "\nprometheus:\n"
      << server.Stderr();

  nlohmann::json ready;
  ASSERT_TRUE(WaitUntil(
      [&] { return value(ready = query("vigil_endpoint_ready{service=\"web\"}")) == "1"; },
      seconds(30)))
      << ready;
  EXPECT_EQ(ready[0]["metric"]["endpoint"], "127.0.0.1:" + std::to_string(target.port()));
  EXPECT_EQ(ready[0]["metric"]["node"], "node-e2e");

  // Everything else of the exposition made it too.
  nlohmann::json probes;
  ASSERT_TRUE(WaitUntil(
      [&] {
        probes = query("vigil_probe_total{service=\"web\",result=\"success\"} > 0");
        return value(probes) != "";
      },
      seconds(30)))
      << probes;
  EXPECT_EQ(value(query("count(process_start_time_seconds)")), "1");
  EXPECT_EQ(value(query("vigil_service_endpoints{service=\"web\",state=\"ready\"}")), "1");
  EXPECT_EQ(value(query("vigil_config_last_reload_successful")), "1");
  EXPECT_EQ(value(query("vigil_registry_connected{backend=\"embedded\"}")), "1");
  EXPECT_NE(
      value(query("vigil_registry_publish_total{backend=\"embedded\",result=\"success\"} > 0")),
      "");

  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(seconds(10)), 0) << server.Stderr();
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(seconds(5)), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil
