// `vigil agent` with dns.listen, asked by dig: a real probe target leaving
// and returning, the names of a namespace, the DNS metrics, a flood of
// malformed messages the agent survives, and a taken port. Skipped when dig
// is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "tests/e2e/process.h"
#include "tests/support/dig.h"
#include "tests/support/dns_messages.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::Dig;
using testing::DigStatus;
using testing::Records;
using testing::TestHttpServer;
using testing::WaitUntil;
using Lines = std::vector<std::string>;

const std::string kVigil = VIGIL_BINARY;

class DnsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::DigPath().empty()) GTEST_SKIP() << "dig is not installed (bind9-dnsutils)";
    dir_ = e2e::MakeTempDir();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts an agent on `config` and waits for its DNS server.
  void StartAgent(const std::string& config) {
    e2e::WriteFile(dir_ + "/vigil.yaml", config);
    agent_ = std::make_unique<e2e::Process>(std::vector<std::string>{
        kVigil, "agent", "--config", dir_ + "/vigil.yaml", "--node", "node-e2e"});
    ASSERT_TRUE(WaitUntil([&] { return e2e::DnsPort(agent_->Stderr()) > 0; }, seconds(10)))
        << agent_->Stderr();
    dns_port_ = e2e::DnsPort(agent_->Stderr());
    ASSERT_TRUE(WaitUntil([&] { return e2e::ApiPort(agent_->Stderr()) > 0; }, seconds(10)));
    api_port_ = e2e::ApiPort(agent_->Stderr());
  }

  Lines Answer(const std::string& name, const std::string& type) {
    return Records(Dig("127.0.0.1", dns_port_, {"+noall", "+answer", name, type}));
  }

  std::string dir_;
  std::unique_ptr<e2e::Process> agent_;
  int dns_port_ = 0;
  int api_port_ = 0;
};

TEST_F(DnsE2eTest, AReplicaFlippingItsReadyLeavesAndReturns) {
  TestHttpServer first({"127.0.0.1", false});
  // Two ports, one per named port: they must differ.
  auto other = std::make_unique<TestHttpServer>(TestHttpServer::Options{"127.0.0.2", false});
  while (other->port() == first.port()) {
    other = std::make_unique<TestHttpServer>(TestHttpServer::Options{"127.0.0.2", false});
  }
  TestHttpServer& second = *other;
  StartAgent(R"(listen: 127.0.0.1:0
namespace: shop
dns: {listen: "127.0.0.1:0", ttlSeconds: 1}
services:
  - name: web
    ports: [{name: http, port: )" +
             std::to_string(first.port()) + R"(}, {name: alt, port: )" +
             std::to_string(second.port()) + R"(}]
    endpoints:
      - 127.0.0.1:)" +
             std::to_string(first.port()) +
             R"(
      - 127.0.0.2:)" +
             std::to_string(second.port()) +
             R"(
    readinessProbe:
      httpGet: {path: /ready}
      periodSeconds: 0.1
      failureThreshold: 2
)");
  const Lines both = {"web.shop.svc.vigil. 1 IN A 127.0.0.1",
                      "web.shop.svc.vigil. 1 IN A 127.0.0.2"};
  ASSERT_TRUE(WaitUntil([&] { return Answer("web.shop.svc.vigil", "A") == both; }, seconds(10)))
      << agent_->Stderr();
  // Each named port's SRV lists the endpoints on that port.
  EXPECT_EQ(Answer("_http._tcp.web.shop.svc.vigil", "SRV"),
            Lines{"_http._tcp.web.shop.svc.vigil. 1 IN SRV 0 100 " + std::to_string(first.port()) +
                  " 127-0-0-1.web.shop.svc.vigil."});
  EXPECT_EQ(Answer("_alt._tcp.web.shop.svc.vigil", "SRV"),
            Lines{"_alt._tcp.web.shop.svc.vigil. 1 IN SRV 0 100 " + std::to_string(second.port()) +
                  " 127-0-0-2.web.shop.svc.vigil."});

  second.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Answer("web.shop.svc.vigil", "A") == Lines{"web.shop.svc.vigil. 1 IN A 127.0.0.1"};
      },
      seconds(10)))
      << agent_->Stderr();
  EXPECT_EQ(DigStatus(Dig("127.0.0.1", dns_port_, {"127-0-0-2.web.shop.svc.vigil", "A"})),
            "NXDOMAIN");
  second.SetStatus("/ready", 200);
  ASSERT_TRUE(WaitUntil([&] { return Answer("web.shop.svc.vigil", "A") == both; }, seconds(10)));

  // The API says which namespace the service is in, and /metrics counts answers.
  httplib::Client api("127.0.0.1", api_port_);
  api.set_connection_timeout(seconds(5));
  const httplib::Result services = api.Get("/vigil/v1/services");
  ASSERT_TRUE(services);
  EXPECT_NE(services->body.find("\"namespace\":\"shop\""), std::string::npos) << services->body;
  const httplib::Result metrics = api.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(std::regex_search(
      metrics->body, std::regex(R"(\nvigil_dns_queries_total\{rcode="NOERROR"\} [1-9])")))
      << metrics->body;
  EXPECT_TRUE(std::regex_search(
      metrics->body, std::regex(R"(\nvigil_dns_queries_total\{rcode="NXDOMAIN"\} [1-9])")));

  agent_->Signal(SIGTERM);
  EXPECT_EQ(agent_->Wait(seconds(5)), 0) << agent_->Stderr();
}

TEST_F(DnsE2eTest, ThousandsOfMalformedMessagesLeaveTheAgentUpAndAnswering) {
  StartAgent(R"(listen: 127.0.0.1:0
dns: {listen: "127.0.0.1:0"}
services:
  - name: web
    endpoints: [10.0.0.1:80]
)");
  ASSERT_TRUE(
      WaitUntil([&] { return Answer("web.default.svc.vigil", "A").size() == 1; }, seconds(10)));
  const std::vector<testing::DnsBytes> junk = testing::MalformedDnsMessages(5000, 11);
  const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(dns_port_));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  for (const testing::DnsBytes& m : junk) {
    sendto(udp, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  close(udp);
  for (size_t i = 0; i < junk.size(); i += 5) {
    const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(tcp, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
      // Oversized length prefixes, slow halves and whole messages in turn.
      testing::DnsBytes bytes = testing::WithLengthPrefix(junk[i]);
      if (i % 3 == 1) bytes = {0xff, 0xff, 0x00};
      if (i % 3 == 2) bytes.resize(1);
      send(tcp, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    close(tcp);
  }
  EXPECT_FALSE(agent_->Wait(std::chrono::milliseconds(0)).has_value()) << agent_->Stderr();
  EXPECT_EQ(Answer("web.default.svc.vigil", "A"), Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  EXPECT_EQ(Records(Dig("127.0.0.1", dns_port_,
                        {"+tcp", "+noall", "+answer", "web.default.svc.vigil", "A"})),
            Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  httplib::Client api("127.0.0.1", api_port_);
  api.set_connection_timeout(seconds(5));
  const httplib::Result health = api.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const httplib::Result metrics = api.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(std::regex_search(
      metrics->body, std::regex(R"(\nvigil_dns_queries_total\{rcode="FORMERR"\} [1-9])")))
      << metrics->body;
  agent_->Signal(SIGTERM);
  EXPECT_EQ(agent_->Wait(seconds(5)), 0) << agent_->Stderr();
}

TEST_F(DnsE2eTest, ATakenDnsPortFailsClearly) {
  // A UDP socket holds the port.
  const int taken = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t size = sizeof a;
  getsockname(taken, reinterpret_cast<sockaddr*>(&a), &size);
  const std::string where = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  e2e::WriteFile(dir_ + "/vigil.yaml",
                 "listen: 127.0.0.1:0\ndns: {listen: \"" + where + "\"}\nservices: []\n");
  const e2e::Output o = e2e::RunProcess({kVigil, "agent", "--config", dir_ + "/vigil.yaml"});
  close(taken);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("cannot listen on " + where + " (UDP): Address already in use"),
            std::string::npos)
      << o.err;
}

TEST_F(DnsE2eTest, CheckConfigReportsBadDnsKeysWithTheirPositions) {
  e2e::WriteFile(dir_ + "/bad.yaml", R"(dns:
  listen: dns.example:53
  domain: Vigil
  ttlSeconds: 86400
)");
  const e2e::Output o = e2e::RunProcess({kVigil, "check-config", dir_ + "/bad.yaml"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("bad.yaml:2:11: dns.listen: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("bad.yaml:3:11: dns.domain: \"Vigil\" is not a DNS-1123 subdomain"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("bad.yaml:4:15: dns.ttlSeconds: must be from 0 to 3600 (got 86400)"),
            std::string::npos)
      << o.err;
}

}  // namespace
}  // namespace vigil
