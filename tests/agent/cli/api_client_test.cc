// ApiClient against servers that are not a vigil agent, or are a hostile
// one (raw TCP servers on loopback, tests/support/raw_tcp_server.h): each
// answer ends in one clear line, in bounded time and memory.
#include "agent/cli/api_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/support/raw_tcp_server.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::RawTcpServer;

constexpr uint64_t kMiB = 1024 * 1024;

std::unique_ptr<ApiClient> Client(const RawTcpServer& server) {
  Result<std::unique_ptr<ApiClient>> client =
      ApiClient::Create("http://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_TRUE(client.ok());
  return std::move(*client);
}

std::string GetError(const RawTcpServer& server) {
  Result<nlohmann::json> answer = Client(server)->Get("/vigil/v1/endpoints");
  return answer.ok() ? "" : answer.status().message();
}

std::string WatchError(const RawTcpServer& server) {
  const Status status = Client(server)->Watch("/vigil/v1/endpoints?watch=1",
                                              [](const nlohmann::json&) { return true; });
  return status.message();
}

// An answer of 200 with `body`.
std::string Http200(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(ApiClientTest, A32KiBStatusLineIsOneClearLine) {
  RawTcpServer server(RawTcpServer::Behavior::kHugeStatusLine);
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(GetError(server), "the server at " + url +
                                  " answered a header line over 8 KiB or headers over 64 KiB (is "
                                  "it a vigil agent?)");
  EXPECT_NE(WatchError(server).find("header line over 8 KiB"), std::string::npos);
}

TEST(ApiClientTest, AnEndlessAnswerIsRefusedAtTheCap) {
  RawTcpServer server(RawTcpServer::Behavior::kEndlessBody);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NE(GetError(server).find("answered more than 64 MiB (is it a vigil agent?)"),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  EXPECT_LT(server.bytes_sent(), 80 * kMiB);
  // A watch of zeros is one line that never ends.
  EXPECT_NE(WatchError(server).find("sent a watch event over 16 MiB"), std::string::npos);
}

TEST(ApiClientTest, AnswersThatAreNotTheApisJsonAreSaidSo) {
  RawTcpServer not_json(RawTcpServer::Behavior::kNotJson);
  EXPECT_NE(GetError(not_json).find("answered something that is not JSON"), std::string::npos);
  EXPECT_NE(WatchError(not_json).find("sent something that is not JSON as a watch event"),
            std::string::npos);

  RawTcpServer array(Http200("[1,2,3]"));
  EXPECT_NE(GetError(array).find("answered JSON that is not an object"), std::string::npos);

  RawTcpServer ssh(RawTcpServer::Behavior::kNotHttp);
  EXPECT_NE(GetError(ssh).find("did not answer HTTP"), std::string::npos);
}

TEST(ApiClientTest, JsonNestedTooDeepOrTooLargeIsRefused) {
  RawTcpServer deep(Http200("{\"a\":" + std::string(100000, '[')));
  EXPECT_NE(GetError(deep).find("answered JSON nested deeper than 64 levels"), std::string::npos);

  EXPECT_TRUE(ParseApiJson(R"({"items":[1,2,3]})", 5).ok());
  EXPECT_TRUE(ParseApiJson("{\"a\":" + std::string(ApiClient::kMaxJsonDepth, '[') +
                               std::string(ApiClient::kMaxJsonDepth, ']') + "}",
                           1000)
                  .ok());
  Result<nlohmann::json> many = ParseApiJson(R"({"items":[1,2,3,4,5]})", 5);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().message(), "JSON of more than 5 values");
  Result<nlohmann::json> nested =
      ParseApiJson("{\"a\":" + std::string(ApiClient::kMaxJsonDepth + 1, '[') +
                       std::string(ApiClient::kMaxJsonDepth + 1, ']') + "}",
                   1000);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(), "JSON nested deeper than 64 levels");
  EXPECT_EQ(ParseApiJson("nope", 5).status().message(), "something that is not JSON");
  EXPECT_EQ(ParseApiJson("[]", 5).status().message(), "JSON that is not an object");
}

TEST(ApiClientTest, TheServersErrorMessageIsEscaped) {
  const std::string body = R"({"kind":"Status","message":"gone\u001b[2J\nvigil: ok"})";
  RawTcpServer server(
      "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(GetError(server), "gone\\x1b[2J\\nvigil: ok");
}

}  // namespace
}  // namespace vigil
