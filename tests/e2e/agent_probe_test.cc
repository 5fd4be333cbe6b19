// The vigil binary probing a live server: transitions in the log, state in the API.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/process.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

TEST(AgentProbeTest, LogsTransitionsAndServesState) {
  TestHttpServer target;
  const std::string dir = e2e::MakeTempDir();
  const std::string endpoint = "127.0.0.1:" + std::to_string(target.port());
  e2e::WriteFile(dir + "/vigil.yaml", R"(listen: 127.0.0.1:0
services:
  - name: web
    labels: {app: web}
    ports: [{name: http, port: )" + std::to_string(target.port()) +
                                          R"(}]
    endpoints: [127.0.0.1]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      failureThreshold: 3
)");
  e2e::Process agent({kVigil, "agent", "--config", dir + "/vigil.yaml", "--node", "node-e2e"});

  ASSERT_TRUE(WaitUntil(
      [&] {
        return agent.Stderr().find("web " + endpoint + " ready after 1 consecutive success") !=
               std::string::npos;
      },
      seconds(10)))
      << agent.Stderr();
  const int port = e2e::ApiPort(agent.Stderr());
  ASSERT_GT(port, 0) << agent.Stderr();

  httplib::Client api("127.0.0.1", port);
  api.set_connection_timeout(seconds(5));
  // The board commits a transition a few milliseconds after it is logged.
  const auto get = [&](const std::string& path) {
    httplib::Result res = api.Get(path);
    return res ? nlohmann::json::parse(res->body) : nlohmann::json();
  };
  nlohmann::json web;
  ASSERT_TRUE(WaitUntil(
      [&] {
        web = get("/vigil/v1/endpoints/web");
        return web["endpoints"][0]["conditions"]["ready"] == true;
      },
      seconds(5)))
      << web;
  EXPECT_EQ(web["endpoints"][0]["node"], "node-e2e");
  EXPECT_EQ(web["endpoints"][0]["conditions"]["ready"], true);
  EXPECT_EQ(web["endpoints"][0]["lastResult"], "success");

  target.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return agent.Stderr().find("web " + endpoint +
                                   " not ready after 3 consecutive failures: HTTP probe failed "
                                   "with statuscode: 503") != std::string::npos;
      },
      seconds(10)))
      << agent.Stderr();
  nlohmann::json services;
  ASSERT_TRUE(WaitUntil(
      [&] {
        services = get("/vigil/v1/services");
        return services["items"][0]["notReady"] == 1;
      },
      seconds(5)))
      << services;
  EXPECT_EQ(services["items"][0]["ready"], 0);
  EXPECT_EQ(api.Get("/healthz")->status, 200);
  // The target saw vigil's User-Agent.
  EXPECT_EQ(target.requests().front().Header("User-Agent").rfind("vigil-probe/", 0), 0u);

  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(seconds(5)), 0);
  std::filesystem::remove_all(dir);
}

TEST(AgentProbeTest, ATakenListenAddressFailsClearly) {
  TestHttpServer taken;
  const std::string dir = e2e::MakeTempDir();
  e2e::WriteFile(dir + "/vigil.yaml", "services: []\n");
  const e2e::Output o = e2e::RunProcess({kVigil, "agent", "--config", dir + "/vigil.yaml",
                                         "--listen", "127.0.0.1:" + std::to_string(taken.port())});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("cannot listen on 127.0.0.1:" + std::to_string(taken.port()) +
                       ": Address already in use"),
            std::string::npos)
      << o.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil
