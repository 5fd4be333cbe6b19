// Agent::Reload when loading the config fails in a way the loader cannot
// return as errors: the reload fails, says why, and the agent runs on with
// its config.
#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <new>
#include <sstream>

#include "agent/agent.h"
#include "common/clock.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

class AgentReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::default_logger()->sinks().push_back(
        std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
  }
  void TearDown() override { spdlog::default_logger()->sinks().pop_back(); }

  static Config RunningConfig() {
    Config config;
    config.node = "n1";
    config.listen = "127.0.0.1:0";
    Service web;
    web.name = "web";
    web.endpoints = {Endpoint{"127.0.0.1", 1}};
    config.services = {web};
    return config;
  }

  std::string Metrics(const Agent& agent) {
    httplib::Client client("127.0.0.1", agent.api_port());
    const httplib::Result res = client.Get("/metrics");
    return res ? res->body : "";
  }

  std::ostringstream log_;
  SystemClock clock_;
};

TEST_F(AgentReloadTest, AnExceptionFromTheSourceFailsTheReload) {
  Agent agent(RunningConfig(), clock_, []() -> ConfigLoad { throw std::bad_alloc(); });
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return agent.board().Get({"default", "web"}) != nullptr;
      },
      std::chrono::seconds(5)));
  ASSERT_NE(Metrics(agent).find("\nvigil_config_last_reload_successful 1\n"), std::string::npos);

  const Status reloaded = agent.Reload();
  EXPECT_EQ(reloaded.message(), "cannot load the config: std::bad_alloc");
  EXPECT_NE(log_.str().find("reload failed (std::bad_alloc); the running config stays"),
            std::string::npos)
      << log_.str();
  EXPECT_NE(Metrics(agent).find("\nvigil_config_last_reload_successful 0\n"), std::string::npos);
  EXPECT_NE(agent.board().Get({"default", "web"}), nullptr);
  agent.Stop();
}

TEST_F(AgentReloadTest, AnythingThrownFailsTheReload) {
  Agent agent(RunningConfig(), clock_, []() -> ConfigLoad { throw 42; });
  ASSERT_TRUE(agent.Start().ok());
  EXPECT_EQ(agent.Reload().message(), "cannot load the config: unknown error");
  EXPECT_NE(Metrics(agent).find("\nvigil_config_last_reload_successful 0\n"), std::string::npos);
  agent.Stop();
}

// The count logged is of every error, those left out of the list included.
TEST_F(AgentReloadTest, ManyErrorsAreLoggedUpToTheCapAndCounted) {
  Agent agent(RunningConfig(), clock_, [] {
    std::string yaml = "services: [";
    for (int i = 0; i < 150; ++i) yaml += "1, ";
    return LoadConfig(yaml + "]\n", "vigil.yaml");
  });
  ASSERT_TRUE(agent.Start().ok());
  const Status reloaded = agent.Reload();
  EXPECT_NE(reloaded.message().find("\n\u2026 50 more errors"), std::string::npos);
  const std::string log = log_.str();
  EXPECT_NE(log.find("reload: \u2026 50 more errors"), std::string::npos) << log;
  EXPECT_NE(log.find("reload failed (150 errors); the running config stays"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("services[100]"), std::string::npos);
  agent.Stop();
}

}  // namespace
}  // namespace vigil
