// The demo's targets on loopback: what each replica answers, how the demo
// finds a port, and an Agent probing the replicas with the demo's config.
#include "agent/cli/demo_targets.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "agent/agent.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using testing::WaitUntil;

struct Answer {
  int status = 0;  // 0: no answer
  std::string body;
  std::string allow;  // the Allow header
};

Answer Call(const DemoReplica& replica, const std::string& method, const std::string& path,
            const std::string& body = "") {
  httplib::Client client(replica.address, replica.port);
  client.set_connection_timeout(seconds(5));
  client.set_read_timeout(seconds(5));
  httplib::Result res = method == "GET"      ? client.Get(path)
                        : method == "POST"   ? client.Post(path, body, "text/plain")
                        : method == "DELETE" ? client.Delete(path)
                                             : client.Options(path);
  if (!res) return {};
  return {res->status, res->body, res->get_header_value("Allow")};
}

// Sends `request` as is on a new connection and returns everything answered
// before the server closed it.
std::string SendRaw(const DemoReplica& replica, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(replica.port));
  inet_pton(AF_INET, replica.address.c_str(), &addr.sin_addr);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    pollfd p{fd, POLLIN, 0};
    char buffer[4096];
    while (poll(&p, 1, 5000) == 1) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

// A listening socket on `address`, port 0: the kernel picks a free port.
class PortHolder {
 public:
  explicit PortHolder(const std::string& address) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    socklen_t size = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), size) == 0 && listen(fd_, 1) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~PortHolder() { close(fd_); }

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// Whether a new listening socket can take `address`:`port`.
bool CanListenOn(const std::string& address, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(fd, 1) == 0;
  close(fd);
  return ok;
}

std::vector<DemoReplica> Replicas(const DemoTargets& targets) {
  std::vector<DemoReplica> all;
  for (const DemoService& s : targets.services()) {
    all.insert(all.end(), s.replicas.begin(), s.replicas.end());
  }
  return all;
}

// alpaca-prod's second replica, the one the demo's instructions break.
const DemoReplica& Alpaca2(const DemoTargets& targets) {
  return targets.services().at(0).replicas.at(1);
}

TEST(DemoTargetsTest, StartsTheReplicasOfKubernetesUpAndRunning) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  ASSERT_GT(targets.port(), 0);

  const std::vector<DemoService>& services = targets.services();
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].name, "alpaca-prod");
  EXPECT_EQ(services[0].labels,
            (std::map<std::string, std::string>{{"app", "alpaca"}, {"env", "prod"}, {"ver", "1"}}));
  EXPECT_EQ(services[1].name, "bandicoot-prod");
  EXPECT_EQ(services[1].labels, (std::map<std::string, std::string>{
                                    {"app", "bandicoot"}, {"env", "prod"}, {"ver", "2"}}));
  std::vector<std::string> addresses;
  for (const DemoReplica& r : Replicas(targets)) {
    addresses.push_back(r.address);
    EXPECT_EQ(r.port, targets.port()) << r.address;
    EXPECT_EQ(r.Url(), "http://" + r.address + ":" + std::to_string(targets.port()));
    const Answer ready = Call(r, "GET", "/ready");
    EXPECT_EQ(ready.status, 200) << r.address;
    EXPECT_EQ(ready.body, "ok\n");
  }
  EXPECT_EQ(addresses, (std::vector<std::string>{"127.0.10.1", "127.0.10.2", "127.0.10.3",
                                                 "127.0.11.1", "127.0.11.2"}));
}

TEST(DemoTargetsTest, FailAndRecoverFlipOneReplica) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  const DemoReplica& broken = Alpaca2(targets);

  Answer fail = Call(broken, "POST", "/fail");
  EXPECT_EQ(fail.status, 200);
  EXPECT_EQ(fail.body, "alpaca-prod replica 2: /ready now answers 503 \"not ready\"\n");
  Answer ready = Call(broken, "GET", "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, "not ready\n");
  for (const DemoReplica& r : Replicas(targets)) {
    if (r.address != broken.address) {
      EXPECT_EQ(Call(r, "GET", "/ready").status, 200) << r.address;
    }
  }
  EXPECT_EQ(Call(broken, "POST", "/fail").body,
            "alpaca-prod replica 2: /ready already answers 503 \"not ready\"\n");

  Answer recover = Call(broken, "POST", "/recover");
  EXPECT_EQ(recover.status, 200);
  EXPECT_EQ(recover.body, "alpaca-prod replica 2: /ready now answers 200 \"ok\"\n");
  EXPECT_EQ(Call(broken, "GET", "/ready").status, 200);
}

// `curl -X POST URL/fail`, the documented way, sends no Content-Length.
TEST(DemoTargetsTest, APostWithoutContentLengthFlips) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  const DemoReplica& broken = Alpaca2(targets);

  const std::string answer = SendRaw(broken, "POST /fail HTTP/1.1\r\nHost: demo\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_EQ(Call(broken, "GET", "/ready").status, 503);
  EXPECT_TRUE(SendRaw(broken, "POST /recover HTTP/1.1\r\nHost: demo\r\n\r\n")
                  .starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Call(broken, "GET", "/ready").status, 200);
}

TEST(DemoTargetsTest, TheRootDescribesTheReplicaAndHowToFlipIt) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  const DemoReplica& r = Alpaca2(targets);

  const Answer root = Call(r, "GET", "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_TRUE(
      root.body.starts_with("alpaca-prod, replica 2 of 3, labels app=alpaca,env=prod,ver=1, "
                            "at " +
                            r.Url() + ": ready.\n"))
      << root.body;
  EXPECT_NE(root.body.find("curl -X POST " + r.Url() + "/fail\n"), std::string::npos) << root.body;
  EXPECT_NE(root.body.find("curl -X POST " + r.Url() + "/recover\n"), std::string::npos);
  Call(r, "POST", "/fail");
  EXPECT_NE(Call(r, "GET", "/").body.find(": not ready (failed on purpose).\n"), std::string::npos);
}

TEST(DemoTargetsTest, WrongMethodsAndUnknownPathsChangeNothing) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  const DemoReplica& r = Alpaca2(targets);

  // /fail is not reachable with a GET (a browser's prefetch, a crawler).
  const Answer get_fail = Call(r, "GET", "/fail");
  EXPECT_EQ(get_fail.status, 405);
  EXPECT_EQ(get_fail.allow, "POST, OPTIONS");
  EXPECT_EQ(get_fail.body,
            "GET is not allowed on /fail; use POST: curl -X POST " + r.Url() + "/fail\n");
  const Answer delete_ready = Call(r, "DELETE", "/ready");
  EXPECT_EQ(delete_ready.status, 405);
  EXPECT_EQ(delete_ready.allow, "GET, HEAD, OPTIONS");
  EXPECT_EQ(Call(r, "POST", "/").status, 405);
  EXPECT_EQ(Call(r, "OPTIONS", "/recover").status, 204);
  EXPECT_EQ(Call(r, "OPTIONS", "/recover").allow, "POST, OPTIONS");
  EXPECT_EQ(Call(r, "GET", "/nothing/here").status, 404);
  EXPECT_EQ(Call(r, "POST", "/nothing", "x").status, 404);
  // A body larger than anything the demo needs is refused, not buffered.
  EXPECT_EQ(Call(r, "POST", "/fail", std::string(100 * 1024, 'x')).status, 413);
  EXPECT_TRUE(SendRaw(r, "NOT HTTP\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request\r\n"));

  EXPECT_EQ(Call(r, "GET", "/ready").status, 200);
}

TEST(DemoTargetsTest, TwoDemosRunSideBySideOnDifferentPorts) {
  DemoTargets first;
  ASSERT_TRUE(first.Start().ok());
  DemoTargets second;
  ASSERT_TRUE(second.Start().ok());
  EXPECT_GT(second.port(), 0);
  EXPECT_NE(second.port(), first.port());

  // Each replica answers for its own demo only: no shared port.
  EXPECT_EQ(Call(Alpaca2(first), "POST", "/fail").status, 200);
  EXPECT_EQ(Call(Alpaca2(first), "GET", "/ready").status, 503);
  EXPECT_EQ(Call(Alpaca2(second), "GET", "/ready").status, 200);
}

TEST(DemoTargetsTest, UsesThePreferredPortWhenFreeOnEveryAddress) {
  int port = 0;
  {
    const PortHolder probe("127.0.10.1");
    port = probe.port();
  }
  ASSERT_GT(port, 0);
  DemoTargets targets(port);
  ASSERT_TRUE(targets.Start().ok());
  EXPECT_EQ(targets.port(), port);
}

// The preferred port is taken on the last address only: the replicas bound
// to it on the first four are released, and all five move to another port.
TEST(DemoTargetsTest, MovesEveryReplicaWhenThePreferredPortIsTakenOnOneAddress) {
  const PortHolder taken("127.0.11.2");
  ASSERT_GT(taken.port(), 0);
  DemoTargets targets(taken.port());
  ASSERT_TRUE(targets.Start().ok());
  EXPECT_NE(targets.port(), taken.port());
  for (const DemoReplica& r : Replicas(targets)) {
    EXPECT_EQ(r.port, targets.port());
    EXPECT_EQ(Call(r, "GET", "/ready").status, 200) << r.address;
  }
  EXPECT_TRUE(CanListenOn("127.0.10.1", taken.port()));
}

TEST(DemoTargetsTest, StopReleasesEveryPortAndIsIdempotent) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  const int port = targets.port();
  targets.Stop();
  targets.Stop();
  EXPECT_EQ(targets.port(), 0);
  for (const char* address :
       {"127.0.10.1", "127.0.10.2", "127.0.10.3", "127.0.11.1", "127.0.11.2"}) {
    EXPECT_TRUE(CanListenOn(address, port)) << address;
  }
  // And it starts again.
  ASSERT_TRUE(targets.Start().ok());
  EXPECT_EQ(Call(Alpaca2(targets), "GET", "/ready").status, 200);
}

TEST(DemoTargetsTest, TheConfigProbesReadyOnThePortNamedHttp) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  const std::vector<Service> services = DemoServiceConfigs(targets.services());
  ASSERT_EQ(services.size(), 2u);
  const int port = targets.port();
  EXPECT_EQ(services[0].name, "alpaca-prod");
  EXPECT_EQ(services[0].labels, targets.services()[0].labels);
  EXPECT_EQ(services[0].ports, (std::vector<ServicePort>{{"http", port}}));
  EXPECT_EQ(
      services[0].endpoints,
      (std::vector<Endpoint>{{"127.0.10.1", port}, {"127.0.10.2", port}, {"127.0.10.3", port}}));
  EXPECT_EQ(services[1].endpoints,
            (std::vector<Endpoint>{{"127.0.11.1", port}, {"127.0.11.2", port}}));
  for (const Service& s : services) {
    ASSERT_TRUE(s.readiness_probe.has_value());
    const auto* http = std::get_if<HttpGetAction>(&s.readiness_probe->handler);
    ASSERT_NE(http, nullptr);
    EXPECT_EQ(http->path, "/ready");
    EXPECT_EQ(http->port, (PortRef{0, "http"}));
    EXPECT_EQ(http->scheme, Scheme::kHttp);
    EXPECT_EQ(s.readiness_probe->timing.period_seconds, 2);
    EXPECT_EQ(s.readiness_probe->timing.failure_threshold, 3);
    EXPECT_EQ(s.readiness_probe->timing.success_threshold, 1);
    EXPECT_EQ(s.readiness_probe->timing.timeout_seconds, 1);
  }
}

// The whole demo in one process, with a fast probe: every replica becomes
// ready, a failed one leaves, a recovered one comes back.
TEST(DemoTargetsTest, AnAgentSeesAReplicaLeaveAndComeBack) {
  DemoTargets targets;
  ASSERT_TRUE(targets.Start().ok());
  Config config;
  config.node = "node-demo";
  config.listen = "127.0.0.1:0";
  ProbeTiming fast = kDemoProbeTiming;
  fast.period_seconds = 0.05;
  config.services = DemoServiceConfigs(targets.services(), fast);
  SystemClock clock;
  Agent agent(config, clock);
  ASSERT_TRUE(agent.Start().ok());

  // "address:port" → ready, from the board.
  const auto readiness = [&] {
    std::map<std::string, bool> ready;
    for (const auto& object : agent.board().Snapshot().services) {
      for (const EndpointStatus& e : object->endpoints) ready[e.Key()] = e.conditions.ready;
    }
    return ready;
  };
  const std::string broken = Endpoint{Alpaca2(targets).address, targets.port()}.HostPort();
  const auto all_ready_but = [&](const std::string& except) {
    const std::map<std::string, bool> ready = readiness();
    if (ready.size() != 5) return false;
    for (const auto& [key, is_ready] : ready) {
      if (is_ready != (key != except)) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil([&] { return all_ready_but(""); }, seconds(10)));

  ASSERT_EQ(Call(Alpaca2(targets), "POST", "/fail").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return all_ready_but(broken); }, seconds(10)));
  ASSERT_EQ(Call(Alpaca2(targets), "POST", "/recover").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return all_ready_but(""); }, seconds(10)));
  agent.Stop();
}

}  // namespace
}  // namespace vigil
