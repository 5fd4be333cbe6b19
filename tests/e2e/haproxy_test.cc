// Debian's HAProxy finds a service's replicas through vigil's DNS: the
// README's haproxy.cfg (server-template over the SRV name, a resolvers
// section, no health checks of HAProxy's own) in front of three real
// replicas an agent probes. Requests reach only ready replicas; one failing
// its probe stops receiving requests within period × failureThreshold +
// HAProxy's hold, and receives them again after it recovers.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <regex>

#include "tests/e2e/process.h"
#include "tests/e2e/readme_block.h"
#include "tests/support/host.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;
constexpr double kPeriodSeconds = 0.2;
constexpr int kFailureThreshold = 2;
constexpr double kHoldSeconds = 1;  // the README's `hold valid`

// How many requests for `path` the replica has had.
size_t Hits(const TestHttpServer& replica, const std::string& path) {
  size_t n = 0;
  for (const TestHttpServer::Request& r : replica.requests()) n += r.path == path;
  return n;
}

TEST(HaproxyTest, ReadmeConfigRoutesOnlyToReadyReplicas) {
  const std::string haproxy = testing::FindProgram("haproxy");
  if (haproxy.empty()) GTEST_SKIP() << "haproxy is not installed (Debian package haproxy)";

  auto replicas = TestHttpServer::OnOnePort({"127.0.50.1", "127.0.50.2", "127.0.50.3"});
  const std::string port = std::to_string(replicas[0]->port());
  replicas[2]->SetStatus("/ready", 503);  // never ready until the end

  const std::string dir = e2e::MakeTempDir();
  e2e::WriteFile(dir + "/vigil.yaml", R"(listen: 127.0.0.1:0
dns: {listen: "127.0.0.1:0", ttlSeconds: 1}
services:
  - name: web
    ports: [{name: http, port: )" + port + R"(}]
    endpoints: [127.0.50.1, 127.0.50.2, 127.0.50.3]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: )" + std::to_string(kPeriodSeconds) +
                                          R"(
      failureThreshold: )" + std::to_string(kFailureThreshold) +
                                          "\n");
  e2e::Process agent({kVigil, "agent", "--config", dir + "/vigil.yaml", "--node", "node-e2e"});
  int dns_port = 0;
  ASSERT_TRUE(WaitUntil([&] { return (dns_port = e2e::DnsPort(agent.Stderr())) > 0; }, seconds(10)))
      << agent.Stderr();

  const int front_port = testing::FreeLoopbackPort();
  ASSERT_GT(front_port, 0);
  const std::string config = e2e::ReadmeBlock(
      "haproxy haproxy.cfg", {{"127.0.0.1:8600", "127.0.0.1:" + std::to_string(dns_port)},
                              {"127.0.0.1:8080", "127.0.0.1:" + std::to_string(front_port)}});
  ASSERT_NE(config.find("server-template"), std::string::npos)
      << "README.md has no ```haproxy haproxy.cfg block";
  EXPECT_EQ(config.find(" check"), std::string::npos) << "HAProxy must not check on its own";
  e2e::WriteFile(dir + "/haproxy.cfg", config);
  e2e::Process proxy({haproxy, "-db", "-f", dir + "/haproxy.cfg"});

  httplib::Client front("127.0.0.1", front_port);
  front.set_connection_timeout(seconds(2));
  front.set_read_timeout(seconds(5));
  // Sends `n` requests through HAProxy; true when each got 200.
  const auto send = [&](int n) {
    bool ok = true;
    for (int i = 0; i < n; ++i) {
      const httplib::Result res = front.Get("/hello");
      ok = ok && res && res->status == 200;
    }
    return ok;
  };

  // Both ready replicas receive requests, round robin.
  ASSERT_TRUE(WaitUntil(
      [&] {
        send(4);
        return Hits(*replicas[0], "/hello") > 0 && Hits(*replicas[1], "/hello") > 0;
      },
      seconds(30)))
      << "haproxy:\n"
      << proxy.Stderr() << "\nagent:\n"
      << agent.Stderr();
  EXPECT_TRUE(send(20));
  EXPECT_EQ(Hits(*replicas[2], "/hello"), 0u);

  // The second fails its probe: it stops receiving requests within the bound.
  const size_t before = Hits(*replicas[1], "/hello");
  const auto failed_at = steady_clock::now();
  replicas[1]->SetStatus("/ready", 503);
  auto last_hit = failed_at;
  size_t seen = before;
  // Sends until the replica has had no request for 3 s while others did.
  ASSERT_TRUE(WaitUntil(
      [&] {
        send(2);
        if (const size_t now = Hits(*replicas[1], "/hello"); now != seen) {
          seen = now;
          last_hit = steady_clock::now();
        }
        return steady_clock::now() - last_hit > seconds(3);
      },
      seconds(30)));
  const double left_after = std::chrono::duration<double>(last_hit - failed_at).count();
  RecordProperty("left_after_ms", static_cast<int>(left_after * 1000));
  // Requests in flight, sanitizers and a shared machine: two seconds of slack.
  EXPECT_LE(left_after, kPeriodSeconds * kFailureThreshold + kHoldSeconds + 2.0)
      << "the failing replica got requests for " << left_after << " s";
  const size_t first_before = Hits(*replicas[0], "/hello");
  EXPECT_TRUE(send(20));
  EXPECT_EQ(Hits(*replicas[0], "/hello"), first_before + 20);
  EXPECT_EQ(Hits(*replicas[1], "/hello"), seen);
  EXPECT_EQ(Hits(*replicas[2], "/hello"), 0u);

  // Both recover: all three receive requests again.
  replicas[1]->SetStatus("/ready", 200);
  replicas[2]->SetStatus("/ready", 200);
  ASSERT_TRUE(WaitUntil(
      [&] {
        send(3);
        return Hits(*replicas[1], "/hello") > seen && Hits(*replicas[2], "/hello") > 0;
      },
      seconds(30)))
      << proxy.Stderr();

  proxy.Signal(SIGTERM);
  proxy.Wait(seconds(5));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(seconds(5)), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil
