// Operating a live agent: config reloads (SIGHUP and POST /-/reload) and graceful stop.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/process.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"
#include "tests/support/watch_stream.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = e2e::MakeTempDir();
    port_ = std::to_string(target_.port());
    WriteConfig({"127.0.0.1", "127.0.0.2"}, /*failure_threshold=*/2, /*with_db=*/false);
    StartAgent();
  }

  // Starts the agent and waits until web's first endpoint is ready.
  void StartAgent() {
    agent_ = std::make_unique<e2e::Process>(std::vector<std::string>{
        kVigil, "agent", "--config", dir_ + "/vigil.yaml", "--node", "n1"});
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = agent_->Stderr();
          api_port_ = e2e::ApiPort(log);
          if (api_port_ == 0) return false;
          return log.find("web 127.0.0.1:" + port_ + " ready") != std::string::npos;
        },
        seconds(10)))
        << agent_->Stderr();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_port_);
    client_->set_connection_timeout(seconds(5));
    ASSERT_TRUE(WaitUntil([&] { return Ready("web", "127.0.0.1") == true; }, seconds(5)));
  }

  void TearDown() override {
    agent_->Signal(SIGKILL);
    agent_->Wait(seconds(5));
    std::filesystem::remove_all(dir_);
  }

  void WriteConfig(const std::vector<std::string>& addresses, int failure_threshold, bool with_db) {
    std::string endpoints;
    for (const std::string& a : addresses) endpoints += (endpoints.empty() ? "" : ", ") + a;
    std::string text = R"(listen: 127.0.0.1:0
services:
  - name: web
    ports: [{name: http, port: )" +
                       port_ + R"(}]
    endpoints: [)" + endpoints +
                       R"(]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      failureThreshold: )" +
                       std::to_string(failure_threshold) + "\n";
    if (with_db) text += "  - name: db\n    endpoints: [10.0.0.9:5432]\n";
    e2e::WriteFile(dir_ + "/vigil.yaml", text);
  }

  nlohmann::json Get(const std::string& path) {
    const httplib::Result res = client_->Get(path);
    return res ? nlohmann::json::parse(res->body, nullptr, false) : nlohmann::json();
  }

  // The endpoint's ready condition, or nullopt when the service does not list it.
  std::optional<bool> Ready(const std::string& service, const std::string& address) {
    const nlohmann::json object = Get("/vigil/v1/endpoints/" + service);
    if (!object.contains("endpoints")) return std::nullopt;
    for (const auto& e : object["endpoints"]) {
      if (e["address"] == address) return e["conditions"]["ready"].get<bool>();
    }
    return std::nullopt;
  }

  TestHttpServer target_;
  std::string dir_;
  std::string port_;
  int api_port_ = 0;
  std::unique_ptr<e2e::Process> agent_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(OperationsTest, SighupAppliesTheConfigAsADiffWithoutFlapping) {
  const nlohmann::json before = Get("/vigil/v1/endpoints/web");
  WriteConfig({"127.0.0.3", "127.0.0.1"}, /*failure_threshold=*/5, /*with_db=*/true);
  agent_->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return agent_->Stderr().find("reloaded the config: 2 services, 3 endpoints") !=
               std::string::npos;
      },
      seconds(10)))
      << agent_->Stderr();
  // Added: listed, not ready yet. Removed: gone. Kept: still ready, no new transition.
  EXPECT_EQ(Ready("web", "127.0.0.3"), false);
  EXPECT_EQ(Ready("web", "127.0.0.2"), std::nullopt);
  EXPECT_EQ(Ready("web", "127.0.0.1"), true);
  EXPECT_EQ(Ready("db", "10.0.0.9"), true);
  const nlohmann::json after = Get("/vigil/v1/endpoints/web");
  const auto kept = [](const nlohmann::json& object) {
    for (const auto& e : object["endpoints"]) {
      if (e["address"] == "127.0.0.1") return e["lastTransitionTime"];
    }
    return nlohmann::json();
  };
  EXPECT_EQ(kept(after), kept(before));
  const nlohmann::json transitions = Get("/vigil/v1/endpoints/web/transitions");
  ASSERT_EQ(transitions["items"].size(), 1u) << transitions;
  EXPECT_EQ(transitions["items"][0]["endpoint"], "127.0.0.1:" + port_);
}

TEST_F(OperationsTest, ABadFileChangesNothingAndSaysWhy) {
  e2e::WriteFile(dir_ + "/vigil.yaml", "services:\n  - name: Web\n");
  httplib::Result res = client_->Post("/-/reload", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  const std::string message = nlohmann::json::parse(res->body)["message"];
  EXPECT_NE(message.find(dir_ + "/vigil.yaml:2:11: services[0].name: \"Web\" is not a DNS-1035"),
            std::string::npos)
      << message;
  EXPECT_NE(agent_->Stderr().find("reload failed (1 error); the running config stays"),
            std::string::npos);
  EXPECT_EQ(Ready("web", "127.0.0.1"), true);
  const std::string metrics = client_->Get("/metrics")->body;
  EXPECT_NE(metrics.find("\nvigil_config_last_reload_successful 0\n"), std::string::npos);

  agent_->Signal(SIGHUP);  // the same through the signal
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string log = agent_->Stderr();
        return log.find("reload failed") != log.rfind("reload failed");
      },
      seconds(10)));
  EXPECT_EQ(agent_->Wait(std::chrono::milliseconds(100)), std::nullopt);  // still running

  WriteConfig({"127.0.0.1"}, 2, /*with_db=*/false);
  res = client_->Post("/-/reload", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Ready("web", "127.0.0.2"), std::nullopt);
  EXPECT_NE(client_->Get("/metrics")->body.find("\nvigil_config_last_reload_successful 1\n"),
            std::string::npos);
}

TEST_F(OperationsTest, ReloadingRemovesAService) {
  WriteConfig({"127.0.0.1"}, 2, /*with_db=*/true);
  ASSERT_EQ(client_->Post("/-/reload", "", "text/plain")->status, 200);
  EXPECT_EQ(Ready("db", "10.0.0.9"), true);
  testing::WatchStream watch("127.0.0.1", api_port_, "/vigil/v1/endpoints/db?watch=true");
  ASSERT_TRUE(watch.WaitForChanges(1));
  WriteConfig({"127.0.0.1"}, 2, /*with_db=*/false);
  ASSERT_EQ(client_->Post("/-/reload", "", "text/plain")->status, 200);
  ASSERT_TRUE(watch.WaitForChanges(2));
  EXPECT_EQ(watch.changes()[1]["type"], "DELETED");
  EXPECT_EQ(Get("/vigil/v1/endpoints/db")["code"], 404);
}

TEST_F(OperationsTest, SigtermPublishesTerminatingClosesWatchesAndExits) {
  testing::WatchStream watch("127.0.0.1", api_port_, "/vigil/v1/endpoints?watch=true");
  ASSERT_TRUE(watch.WaitForChanges(1));
  const auto start = std::chrono::steady_clock::now();
  agent_->Signal(SIGTERM);
  EXPECT_EQ(agent_->Wait(seconds(5)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_TRUE(watch.WaitForEnd());
  const auto changes = watch.changes();
  ASSERT_GE(changes.size(), 2u);
  const nlohmann::json& last = changes.back();
  EXPECT_EQ(last["type"], "MODIFIED");
  for (const auto& e : last["object"]["endpoints"]) {
    EXPECT_EQ(e["conditions"]["terminating"], true) << e;
    EXPECT_EQ(e["conditions"]["ready"], false) << e;
  }
  // The endpoint that passed its probe was still serving.
  EXPECT_EQ(last["object"]["endpoints"][0]["conditions"]["serving"], true);
}

// A client that watched the agent's previous run resumes from a version of
// that run: it must be told to list again, never given this run's history
// as if it followed its own.
TEST_F(OperationsTest, AWatchResumingAcrossARestartIsTold410) {
  const nlohmann::json list = Get("/vigil/v1/endpoints");
  const std::string before = list["resourceVersion"];
  agent_->Signal(SIGTERM);
  ASSERT_EQ(agent_->Wait(seconds(5)), 0);

  StartAgent();
  ASSERT_FALSE(HasFatalFailure());
  const std::string now = Get("/vigil/v1/endpoints")["resourceVersion"];
  EXPECT_GT(std::stoull(now), std::stoull(before));
  testing::WatchStream watch("127.0.0.1", api_port_,
                             "/vigil/v1/endpoints?watch=true&resourceVersion=" + before);
  ASSERT_TRUE(watch.WaitForEnd());
  ASSERT_EQ(watch.events().size(), 1u);
  EXPECT_EQ(watch.events()[0]["type"], "ERROR");
  EXPECT_EQ(watch.events()[0]["object"]["code"], 410);
}

TEST_F(OperationsTest, ReadyzUntilStopping) {
  const httplib::Result res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

}  // namespace
}  // namespace vigil
