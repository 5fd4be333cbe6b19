// `vigil get` and `vigil describe` against a live agent probing a live target.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/process.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

// An agent probing two services: web (labels app=web, tier=front) with one
// endpoint on a live target and one on a closed port, and db (app=db).
class GetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = e2e::MakeTempDir();
    const std::string port = std::to_string(target_.port());
    e2e::WriteFile(dir_ + "/vigil.yaml", R"(listen: 127.0.0.1:0
services:
  - name: web
    labels: {app: web, tier: front}
    ports: [{name: http, port: )" + port + R"(}]
    endpoints: [127.0.0.1, 127.0.0.2]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      failureThreshold: 2
  - name: db
    labels: {app: db}
    endpoints: [127.0.0.1:1]
)");
    agent_ = std::make_unique<e2e::Process>(std::vector<std::string>{
        kVigil, "agent", "--config", dir_ + "/vigil.yaml", "--node", "n1"});
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = agent_->Stderr();
          if (e2e::ApiPort(log) == 0) return false;
          server_ = "http://127.0.0.1:" + std::to_string(e2e::ApiPort(log));
          return log.find("web 127.0.0.1:" + port + " ready") != std::string::npos;
        },
        seconds(10)))
        << agent_->Stderr();
    endpoint_ = "127.0.0.1:" + port;
  }

  void TearDown() override {
    agent_->Signal(SIGTERM);
    agent_->Wait(seconds(5));
    std::filesystem::remove_all(dir_);
  }

  e2e::Output Vigil(std::vector<std::string> args) { return e2e::RunCli(std::move(args), server_); }

  TestHttpServer target_;
  std::string dir_;
  std::unique_ptr<e2e::Process> agent_;
  std::string server_;
  std::string endpoint_;
};

TEST_F(GetTest, EndpointsTable) {
  // The board commits a transition a few milliseconds after the log line.
  e2e::Output o;
  ASSERT_TRUE(WaitUntil(
      [&] {
        o = Vigil({"get", "endpoints"});
        return o.out.find(endpoint_) != std::string::npos;
      },
      seconds(5)))
      << o.out << o.err;
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_TRUE(std::regex_search(o.out, std::regex(R"(^NAME +ENDPOINTS +AGE\n)")));
  // db has no probe: its endpoint is ready.
  EXPECT_TRUE(std::regex_search(o.out, std::regex("\ndb +127\\.0\\.0\\.1:1 +\\d+s\n"))) << o.out;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("\nweb +" + endpoint_ + " +\\d+s\n"))) << o.out;
}

TEST_F(GetTest, ServicesWideWithASelector) {
  const e2e::Output o = Vigil({"get", "services", "-l", "app in (web,x),tier", "-o", "wide"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(o.out, std::regex(R"(^NAME +READY +PORT\(S\) +AGE +LABELS\n)")));
  EXPECT_TRUE(
      std::regex_search(o.out, std::regex("\nweb +[01]/2 +" + std::to_string(target_.port()) +
                                          "/TCP +\\d+s +app=web,tier=front\n")))
      << o.out;
  EXPECT_EQ(o.out.find("\ndb "), std::string::npos);
}

TEST_F(GetTest, JsonAndYaml) {
  e2e::Output o = Vigil({"get", "endpoints", "-o", "json"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json list = nlohmann::json::parse(o.out);
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][1]["name"], "web");

  o = Vigil({"get", "ep", "web", "-o", "yaml"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("\nkind: Endpoints\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\nname: web\n"), std::string::npos);
  EXPECT_NE(o.out.find("  node: n1\n"), std::string::npos);
}

TEST_F(GetTest, DescribeShowsAddressesMessagesAndTransitions) {
  const std::string refused =
      "dial tcp 127.0.0.2:" + std::to_string(target_.port()) + ": connect: connection refused";
  e2e::Output o;
  ASSERT_TRUE(WaitUntil(  // until 127.0.0.2 has been probed
      [&] {
        o = Vigil({"describe", "endpoints", "web"});
        return o.out.find(refused) != std::string::npos;
      },
      seconds(5)))
      << o.out << o.err;
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("Name:"), std::string::npos);
  EXPECT_NE(o.out.find("app=web"), std::string::npos);
  EXPECT_NE(o.out.find("NotReadyAddresses:"), std::string::npos);
  EXPECT_NE(o.out.find("ready after 1 consecutive success"), std::string::npos) << o.out;

  const e2e::Output service = Vigil({"describe", "service", "web"});
  EXPECT_EQ(service.exit_code, 0) << service.err;
  EXPECT_NE(service.out.find("Endpoints:"), std::string::npos) << service.out;
}

TEST_F(GetTest, ClearErrors) {
  e2e::Output o = Vigil({"get", "endpoints", "nope"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "vigil get: endpoints \"nope\" not found\n");

  o = Vigil({"get", "services", "nope"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "vigil get: services \"nope\" not found\n");

  o = Vigil({"describe", "service", "nope"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "vigil describe: service \"nope\" not found\n");

  o = Vigil({"get", "endpoints", "-l", "app in (web"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "vigil get: invalid label selector \"app in (web\" at the end: missing \")\"\n");

  o = Vigil({"get", "pods"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "vigil get: unknown resource \"pods\" (want services or endpoints)\n");

  o = Vigil({"get", "endpoints", "-o", "xml"});
  EXPECT_EQ(o.exit_code, 2);

  o = Vigil({"get", "endpoints", "-l", "app=none"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "No resources found.\n");
}

TEST_F(GetTest, WatchPrintsARowForEachChange) {
  e2e::Process watch({kVigil, "get", "endpoints", "web", "-w", "--server", server_});
  ASSERT_TRUE(
      WaitUntil([&] { return watch.Stdout().find(endpoint_) != std::string::npos; }, seconds(10)))
      << watch.Stdout() << watch.Stderr();
  target_.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil(
      [&] { return std::regex_search(watch.Stdout(), std::regex("\nweb +<none> +\\d+s\n")); },
      seconds(10)))
      << watch.Stdout() << watch.Stderr();
  target_.SetStatus("/ready", 200);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return std::regex_search(watch.Stdout(),
                                 std::regex("<none> +\\d+s\nweb +" + endpoint_ + " +\\d+s\n"));
      },
      seconds(10)))
      << watch.Stdout();
  // The header once, then one row per change.
  const std::string out = watch.Stdout();
  EXPECT_EQ(out.find("NAME"), 0u);
  EXPECT_EQ(out.find("NAME", 1), std::string::npos);
  watch.Signal(SIGINT);
  EXPECT_NE(watch.Wait(seconds(5)), std::nullopt);
}

TEST_F(GetTest, ServerFromTheEnvironment) {
  setenv("VIGIL_SERVER", server_.c_str(), 1);
  const e2e::Output o = e2e::RunProcess({kVigil, "get", "services"});
  unsetenv("VIGIL_SERVER");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("\nweb "), std::string::npos) << o.out;
}

TEST(GetUnreachableTest, OneClearLine) {
  const e2e::Output o =
      e2e::RunProcess({kVigil, "get", "endpoints", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err,
            "vigil get: cannot reach the vigil agent at http://127.0.0.1:1: connection refused or "
            "host unreachable (is it running? set --server or $VIGIL_SERVER)\n");
  const e2e::Output bad = e2e::RunProcess({kVigil, "get", "endpoints", "--server", "ftp://x:1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "vigil get: invalid server \"ftp://x:1\": only http:// is supported\n");
}

// A server that is not a vigil agent, or a hostile one: `vigil get`,
// `get -w` and `describe` print one clear line and exit 1, whatever it sends.
TEST(GetHostileServerTest, OneClearLineAndExit1WhateverTheServerSends) {
  using testing::RawTcpServer;
  struct Case {
    std::unique_ptr<RawTcpServer> server;
    std::string says;
  };
  std::vector<Case> cases;
  cases.push_back({std::make_unique<RawTcpServer>(RawTcpServer::Behavior::kHugeStatusLine),
                   "answered a header line over 8 KiB or headers over 64 KiB (is it a vigil "
                   "agent?)"});
  cases.push_back({std::make_unique<RawTcpServer>(RawTcpServer::Behavior::kEndlessBody),
                   "answered more than 64 MiB (is it a vigil agent?)"});
  cases.push_back({std::make_unique<RawTcpServer>(RawTcpServer::Behavior::kNotJson),
                   "answered something that is not JSON"});
  cases.push_back({std::make_unique<RawTcpServer>(RawTcpServer::Behavior::kNotHttp),
                   "did not answer HTTP (is it a vigil agent?)"});
  for (const Case& c : cases) {
    const std::string server = "http://127.0.0.1:" + std::to_string(c.server->port());
    for (const std::vector<std::string>& command : {std::vector<std::string>{"get", "endpoints"},
                                                    {"get", "endpoints", "-w"},
                                                    {"describe", "service", "web"}}) {
      std::vector<std::string> argv = {kVigil};
      argv.insert(argv.end(), command.begin(), command.end());
      argv.insert(argv.end(), {"--server", server});
      const e2e::Output o = e2e::RunProcess(argv);
      SCOPED_TRACE(command[0] + " " + command[1] + " " + c.says);
      EXPECT_EQ(o.exit_code, 1) << o.err;
      EXPECT_EQ(o.err.rfind("vigil " + command[0] + ": ", 0), 0u) << o.err;
      EXPECT_NE(o.err.find(c.says), std::string::npos) << o.err;
      EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
      EXPECT_EQ(o.out, "");
    }
  }
  // The API's JSON of another shape (a number where a string belongs, a
  // string where a list does): printed as far as it goes, or one line;
  // never an abort.
  const std::string shape =
      R"({"kind":"EndpointsList","resourceVersion":7,"items":[{"name":5,"endpoints":"x",)"
      R"("labels":[1],"creationTimestamp":{}}],"transitions":7})";
  RawTcpServer odd("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(shape.size()) + "\r\n\r\n" + shape);
  const std::string server = "http://127.0.0.1:" + std::to_string(odd.port());
  for (const std::vector<std::string>& command : {std::vector<std::string>{"get", "endpoints"},
                                                  {"get", "services", "-o", "wide"},
                                                  {"get", "endpoints", "-o", "yaml"},
                                                  {"get", "endpoints", "-w"},
                                                  {"describe", "service", "web"},
                                                  {"describe", "endpoints", "web"}}) {
    std::vector<std::string> argv = {kVigil};
    argv.insert(argv.end(), command.begin(), command.end());
    argv.insert(argv.end(), {"--server", server});
    const e2e::Output o = e2e::RunProcess(argv);
    SCOPED_TRACE(command[0] + " " + command[1]);
    EXPECT_TRUE(o.exit_code == 0 || o.exit_code == 1) << o.exit_code << " " << o.err;
    EXPECT_LE(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    if (command.back() == "-w") {  // reads resourceVersion, a number here
      EXPECT_NE(o.err.find("the server's answer is not the API's JSON"), std::string::npos)
          << o.err;
    }
  }
}

}  // namespace
}  // namespace vigil
