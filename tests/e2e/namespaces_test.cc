// The same service name in two namespaces, end to end: `vigil agent` probing
// web in shop (127.0.0.1) and web in blog (127.0.0.2), each namespace's own
// addresses from dig, its own object from the API and `vigil get` /
// `vigil describe` with -n, and /metrics telling the two apart by a
// NAMESPACE/NAME service label that promtool accepts.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/e2e/process.h"
#include "tests/support/dig.h"
#include "tests/support/host.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::Dig;
using testing::Records;
using testing::TestHttpServer;
using testing::WaitUntil;
using Lines = std::vector<std::string>;

const std::string kVigil = VIGIL_BINARY;

class NamespacesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = e2e::MakeTempDir();
    // One port for both targets, so that each service's endpoint is
    // ADDRESS:PORT and the addresses alone tell the namespaces apart.
    blog_ = std::make_unique<TestHttpServer>(TestHttpServer::Options{"127.0.0.2", false});
    shop_ = std::make_unique<TestHttpServer>(
        TestHttpServer::Options{"127.0.0.1", false, blog_->port()});
    port_ = std::to_string(shop_->port());
    e2e::WriteFile(dir_ + "/vigil.yaml", R"(listen: 127.0.0.1:0
dns: {listen: "127.0.0.1:0", ttlSeconds: 1}
services:
  - name: web
    namespace: shop
    labels: {app: web}
    ports: [{name: http, port: )" + port_ + R"(}]
    endpoints: [127.0.0.1]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      failureThreshold: 1
  - name: web
    namespace: blog
    labels: {app: web}
    ports: [{name: http, port: )" + port_ + R"(}]
    endpoints: [127.0.0.2]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      failureThreshold: 1
  - name: db
    namespace: shop
    endpoints: [127.0.0.3:1]
)");
    agent_ = std::make_unique<e2e::Process>(std::vector<std::string>{
        kVigil, "agent", "--config", dir_ + "/vigil.yaml", "--node", "n1"});
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = agent_->Stderr();
          return e2e::ApiPort(log) > 0 && e2e::DnsPort(log) > 0 &&
                 log.find("shop/web 127.0.0.1:" + port_ + " ready") != std::string::npos &&
                 log.find("blog/web 127.0.0.2:" + port_ + " ready") != std::string::npos;
        },
        seconds(10)))
        << agent_->Stderr();
    api_port_ = e2e::ApiPort(agent_->Stderr());
    dns_port_ = e2e::DnsPort(agent_->Stderr());
    server_ = "http://127.0.0.1:" + std::to_string(api_port_);
  }

  void TearDown() override {
    if (agent_) {
      agent_->Signal(SIGTERM);
      EXPECT_EQ(agent_->Wait(seconds(5)), 0) << agent_->Stderr();
    }
    std::filesystem::remove_all(dir_);
  }

  e2e::Output Vigil(std::vector<std::string> args) { return e2e::RunCli(std::move(args), server_); }

  Lines Answer(const std::string& name, const std::string& type) {
    return Records(Dig("127.0.0.1", dns_port_, {"+noall", "+answer", name, type}));
  }

  std::string Get(const std::string& path) {
    httplib::Client api("127.0.0.1", api_port_);
    api.set_connection_timeout(seconds(5));
    const httplib::Result res = api.Get(path);
    return res ? res->body : "";
  }

  std::unique_ptr<TestHttpServer> blog_;
  std::unique_ptr<TestHttpServer> shop_;
  std::string port_;
  std::string dir_;
  std::unique_ptr<e2e::Process> agent_;
  int api_port_ = 0;
  int dns_port_ = 0;
  std::string server_;
};

TEST_F(NamespacesE2eTest, DnsAnswersEachNamespacesOwnAddresses) {
  if (testing::DigPath().empty()) GTEST_SKIP() << "dig is not installed (bind9-dnsutils)";
  const Lines shop = {"web.shop.svc.vigil. 1 IN A 127.0.0.1"};
  const Lines blog = {"web.blog.svc.vigil. 1 IN A 127.0.0.2"};
  ASSERT_TRUE(WaitUntil([&] { return Answer("web.shop.svc.vigil", "A") == shop; }, seconds(10)))
      << Answer("web.shop.svc.vigil", "A")[0];
  EXPECT_EQ(Answer("web.blog.svc.vigil", "A"), blog);
  EXPECT_EQ(Answer("_http._tcp.web.blog.svc.vigil", "SRV"),
            Lines{"_http._tcp.web.blog.svc.vigil. 1 IN SRV 0 100 " + port_ +
                  " 127-0-0-2.web.blog.svc.vigil."});
  EXPECT_EQ(testing::DigStatus(Dig("127.0.0.1", dns_port_, {"127-0-0-1.web.blog.svc.vigil", "A"})),
            "NXDOMAIN");
  EXPECT_EQ(Answer("127-0-0-1.web.shop.svc.vigil", "A"),
            Lines{"127-0-0-1.web.shop.svc.vigil. 1 IN A 127.0.0.1"});

  // shop's replica leaves: shop's name has no address, blog's keeps its own.
  shop_->SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil([&] { return Answer("web.shop.svc.vigil", "A").empty(); }, seconds(10)));
  EXPECT_EQ(Answer("web.blog.svc.vigil", "A"), blog);
  shop_->SetStatus("/ready", 200);
  ASSERT_TRUE(WaitUntil([&] { return Answer("web.shop.svc.vigil", "A") == shop; }, seconds(10)));
}

TEST_F(NamespacesE2eTest, GetAndDescribeTakeTheNamespace) {
  // Without -n the name is ambiguous, and the message says what to add.
  e2e::Output o = Vigil({"get", "endpoints", "web"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err,
            "vigil get: endpoints \"web\" is in several namespaces (blog, shop): add -n "
            "NAMESPACE\n");
  o = Vigil({"describe", "endpoints", "web"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err,
            "vigil describe: endpoints \"web\" is in several namespaces (blog, shop): add -n "
            "NAMESPACE\n");
  o = Vigil({"get", "services", "web"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err,
            "vigil get: services \"web\" is in several namespaces (blog, shop): add -n "
            "NAMESPACE\n");

  // With it, each namespace's own.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Vigil({"get", "endpoints", "web", "-n", "shop"}).out.find("127.0.0.1:" + port_) !=
               std::string::npos;
      },
      seconds(10)));
  o = Vigil({"get", "endpoints", "web", "-n", "shop"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(
      o.out, std::regex("^NAME +ENDPOINTS +AGE\nweb +127\\.0\\.0\\.1:" + port_ + " +\\d+s\n$")))
      << o.out;
  o = Vigil({"get", "endpoints", "web", "--namespace", "blog", "-o", "json"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json blog = nlohmann::json::parse(o.out);
  EXPECT_EQ(blog["namespace"], "blog");
  EXPECT_EQ(blog["endpoints"][0]["address"], "127.0.0.2");
  o = Vigil({"describe", "endpoints", "web", "-n", "blog"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("(^|\n)Namespace: +blog\n"))) << o.out;
  EXPECT_NE(o.out.find("127.0.0.2:" + port_), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("127.0.0.1:" + port_), std::string::npos) << o.out;
  o = Vigil({"get", "endpoints", "web", "-n", "other"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "vigil get: endpoints \"web\" not found in namespace \"other\"\n");

  // A list of several namespaces has a NAMESPACE column; -n narrows it.
  o = Vigil({"get", "services"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(
      o.out, std::regex("^NAMESPACE +NAME +READY +PORT\\(S\\) +AGE\nshop +db +1/1 +\\S+ +\\d+s\n"
                        "blog +web +1/1 +" +
                        port_ + "/TCP +\\d+s\nshop +web +1/1 +" + port_ + "/TCP +\\d+s\n$")))
      << o.out;
  o = Vigil({"get", "services", "-n", "shop"});
  EXPECT_TRUE(std::regex_search(o.out, std::regex("^NAME +READY +PORT\\(S\\) +AGE\ndb +.*\nweb +")))
      << o.out;
}

TEST_F(NamespacesE2eTest, MetricsQualifyANameInSeveralNamespaces) {
  std::string metrics;
  const std::string shop =
      "vigil_endpoint_ready{service=\"shop/web\",endpoint=\"127.0.0.1:" + port_ +
      "\",node=\"n1\"} 1";
  const std::string blog =
      "vigil_endpoint_ready{service=\"blog/web\",endpoint=\"127.0.0.2:" + port_ +
      "\",node=\"n1\"} 1";
  ASSERT_TRUE(WaitUntil(
      [&] {
        metrics = Get("/metrics");
        return metrics.find(shop) != std::string::npos && metrics.find(blog) != std::string::npos;
      },
      seconds(10)))
      << metrics;
  // A name in one namespace keeps its plain label.
  EXPECT_NE(metrics.find("vigil_endpoint_ready{service=\"db\",endpoint=\"127.0.0.3:1\""),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("service=\"web\""), std::string::npos) << metrics;

  const std::string promtool = testing::FindProgram("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  e2e::WriteFile(dir_ + "/metrics.txt", metrics);
  const std::string command = promtool + " check metrics < " + dir_ + "/metrics.txt 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace vigil
