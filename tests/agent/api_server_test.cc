// The HTTP API served for real on loopback, read with a real client.
#include "agent/api_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "tests/agent/endpoints_fixtures.h"

namespace vigil {
namespace {

using testing::MakeEndpoints;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    board_.Put(
        {MakeEndpoints("alpaca-prod", {true, true, false}), MakeEndpoints("bandicoot-prod", {})});
    ASSERT_TRUE(server_.Start(ListenAddress{"127.0.0.1", 0}).ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
    client_->set_connection_timeout(std::chrono::seconds(5));
  }

  nlohmann::json GetJson(const std::string& path, int want_status) {
    const httplib::Result res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, want_status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return nlohmann::json::parse(res->body);
  }

  StatusBoard board_;
  Status health_ = Status::Ok();
  ApiServer server_{board_, ApiHooks{[this] { return health_; }, [] { return "m 1\n"; }}};
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ApiServerTest, ServiceList) {
  const nlohmann::json list = GetJson("/api/v1/services", 200);
  EXPECT_EQ(list["kind"], "ServiceList");
  EXPECT_EQ(list["resourceVersion"], "2");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["name"], "alpaca-prod");
  EXPECT_EQ(list["items"][0]["ready"], 2);
  EXPECT_EQ(list["items"][0]["notReady"], 1);
  EXPECT_EQ(list["items"][0]["labels"], nlohmann::json({{"app", "alpaca-prod"}}));
  EXPECT_EQ(list["items"][1]["name"], "bandicoot-prod");
}

TEST_F(ApiServerTest, EndpointsList) {
  const nlohmann::json list = GetJson("/api/v1/endpoints", 200);
  EXPECT_EQ(list["kind"], "EndpointsList");
  EXPECT_EQ(list["resourceVersion"], "2");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["kind"], "Endpoints");
  EXPECT_EQ(list["items"][0]["resourceVersion"], "1");
  EXPECT_EQ(list["items"][0]["endpoints"].size(), 3u);
  EXPECT_EQ(list["items"][1]["endpoints"], nlohmann::json::array());
}

TEST_F(ApiServerTest, OneEndpoints) {
  const nlohmann::json object = GetJson("/api/v1/endpoints/alpaca-prod", 200);
  EXPECT_EQ(object["name"], "alpaca-prod");
  EXPECT_EQ(object["endpoints"][2]["address"], "10.0.0.3");
  EXPECT_EQ(object["endpoints"][2]["conditions"]["ready"], false);
}

TEST_F(ApiServerTest, UnknownNameIs404Status) {
  EXPECT_EQ(GetJson("/api/v1/endpoints/nope", 404),
            nlohmann::json::parse(
                R"({"kind":"Status","code":404,"message":"endpoints \"nope\" not found"})"));
}

TEST_F(ApiServerTest, UnknownPathIs404Status) {
  const nlohmann::json status = GetJson("/api/v2/things", 404);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["message"], "the server could not find /api/v2/things");
}

TEST_F(ApiServerTest, WrongMethodIs405Status) {
  const httplib::Result res = client_->Delete("/api/v1/endpoints/alpaca-prod");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET");
  EXPECT_EQ(nlohmann::json::parse(res->body)["message"],
            "method DELETE is not allowed on /api/v1/endpoints/alpaca-prod");
  EXPECT_EQ(client_->Post("/api/v1/services", "", "application/json")->status, 405);
}

TEST_F(ApiServerTest, HealthzFollowsTheHook) {
  httplib::Result res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
  health_ = Status::Error("probe loop stalled: last turn 9s ago");
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "probe loop stalled: last turn 9s ago\n");
}

TEST_F(ApiServerTest, MetricsInTheTextFormat) {
  const httplib::Result res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body, "m 1\n");
}

TEST_F(ApiServerTest, ChangesShowInTheNextRead) {
  board_.Put({MakeEndpoints("alpaca-prod", {true, true, true})});
  const nlohmann::json object = GetJson("/api/v1/endpoints/alpaca-prod", 200);
  EXPECT_EQ(object["resourceVersion"], "3");
  EXPECT_EQ(object["endpoints"][2]["conditions"]["ready"], true);
}

TEST(ApiServerStartTest, ATakenPortIsAClearError) {
  StatusBoard board;
  ApiServer first(board, ApiHooks{});
  ASSERT_TRUE(first.Start(ListenAddress{"127.0.0.1", 0}).ok());
  ApiServer second(board, ApiHooks{});
  const Status s = second.Start(ListenAddress{"127.0.0.1", first.port()});
  EXPECT_EQ(s.message(), "cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                             ": Address already in use");
}

}  // namespace
}  // namespace vigil
