// The Prober on a real ProbeEngine against real servers on loopback.
#include "agent/prober.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/support/log_capture.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::RawTcpServer;
using testing::TestHttpServer;
using testing::WaitUntil;

// Records what the Prober reports, from the loop thread, for the test thread.
class RecordingObserver final : public ProbeObserver {
 public:
  void OnTargetUpdated(uint64_t id, const std::string&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    updated_.push_back(ids_[id]);
  }
  void OnReadinessChanged(uint64_t, bool) override {}
  void OnTargetAdded(uint64_t id, const std::string& service, const std::string& endpoint,
                     const std::string& type, bool) override {
    std::lock_guard<std::mutex> lock(mutex_);
    types_[endpoint] = type;
    services_[endpoint] = service;
    ids_[id] = endpoint;
  }
  void OnTargetRemoved(uint64_t id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    removed_.push_back(ids_[id]);
  }
  void OnProbeStarted(Duration) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++started_;
    in_flight_max_ = std::max(in_flight_max_, started_ - done_);
  }
  void OnProbeDone(uint64_t id, const ProbeResult& result) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    results_[ids_[id]].push_back(result.outcome);
    times_[ids_[id]].push_back(std::chrono::steady_clock::now());
  }

  int started() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_;
  }
  int in_flight_max() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_flight_max_;
  }
  std::vector<ProbeOutcome> results(const std::string& endpoint) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = results_.find(endpoint);
    return it == results_.end() ? std::vector<ProbeOutcome>{} : it->second;
  }
  // When each result of `endpoint` came.
  std::vector<std::chrono::steady_clock::time_point> times(const std::string& endpoint) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = times_.find(endpoint);
    return it == times_.end() ? std::vector<std::chrono::steady_clock::time_point>{} : it->second;
  }
  // The service label `endpoint` was last added with.
  std::string service(const std::string& endpoint) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return services_.count(endpoint) ? services_.at(endpoint) : "";
  }
  std::string type(const std::string& endpoint) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return types_.count(endpoint) ? types_.at(endpoint) : "";
  }
  std::vector<std::string> removed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return removed_;
  }
  std::vector<std::string> updated() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return updated_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, std::string> ids_;
  std::map<std::string, std::string> types_;
  std::map<std::string, std::string> services_;
  std::map<std::string, std::vector<ProbeOutcome>> results_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> times_;
  std::vector<std::string> removed_;
  std::vector<std::string> updated_;
  int started_ = 0;
  int done_ = 0;
  int in_flight_max_ = 0;
};

// An engine, a board and a Prober wired as the agent wires them.
class ProberTest : public ::testing::Test {
 protected:
  ProberTest() : prober_(clock_, engine_, board_, "node-a", 7, &observer_) {
    engine_.SetWakeHandler([this](Time now) { prober_.OnWake(now); });
  }
  void SetUp() override { ASSERT_TRUE(engine_.Start().ok()); }
  ~ProberTest() override { engine_.Stop(); }

  void Apply(std::vector<Service> services) {
    engine_.Post([this, services = std::move(services)] { prober_.Apply(services); });
  }

  // The endpoint's state on the board, if the board has it.
  std::optional<EndpointStatus> Status(const std::string& service, const std::string& key) const {
    return Status(NamespacedName{kDefaultNamespace, service}, key);
  }
  std::optional<EndpointStatus> Status(const NamespacedName& service,
                                       const std::string& key) const {
    const auto object = board_.Get(service);
    if (object == nullptr) return std::nullopt;
    for (const EndpointStatus& e : object->endpoints) {
      if (e.Key() == key) return e;
    }
    return std::nullopt;
  }

  bool WaitReady(const std::string& service, const std::string& key, bool ready,
                 milliseconds timeout = seconds(10)) const {
    return WaitReady(NamespacedName{kDefaultNamespace, service}, key, ready, timeout);
  }
  bool WaitReady(const NamespacedName& service, const std::string& key, bool ready,
                 milliseconds timeout = seconds(10)) const {
    return WaitUntil(
        [&] {
          auto s = Status(service, key);
          return s && s->conditions.ready == ready;
        },
        timeout);
  }

  static Service HttpService(const std::string& name, std::vector<Endpoint> endpoints,
                             double period, PortRef port = {}) {
    Service service;
    service.name = name;
    service.endpoints = std::move(endpoints);
    Probe probe;
    HttpGetAction http;
    http.path = "/ready";
    http.port = std::move(port);
    probe.handler = http;
    probe.timing.period_seconds = period;
    probe.timing.timeout_seconds = 1;
    service.readiness_probe = probe;
    return service;
  }

  SystemClock clock_;
  StatusBoard board_;
  RecordingObserver observer_;
  ProbeEngine engine_{clock_};
  Prober prober_;
};

// kubelet: pkg/kubelet/prober/worker_test.go TestDoProbe "Probe successful", then
// TestFailureThreshold on a real server.
TEST_F(ProberTest, HttpEndpointBecomesReadyAndLeavesAfterFailureThreshold) {
  TestHttpServer server;
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Service service = HttpService("web", {endpoint}, 0.05);
  service.readiness_probe->timing.failure_threshold = 3;
  Apply({service});

  // A new endpoint starts not ready.
  ASSERT_TRUE(
      WaitUntil([&] { return Status("web", endpoint.HostPort()).has_value(); }, seconds(5)));
  ASSERT_TRUE(WaitReady("web", endpoint.HostPort(), true));
  EXPECT_EQ(observer_.type(endpoint.HostPort()), "http");

  server.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitReady("web", endpoint.HostPort(), false));
  // It left on the third failure in a row, not before.
  const std::vector<ProbeOutcome> results = observer_.results(endpoint.HostPort());
  ASSERT_GE(results.size(), 3u);
  const auto first_failure = std::find(results.begin(), results.end(), ProbeOutcome::kFailure);
  EXPECT_GE(results.end() - first_failure, 3);
  const auto details = board_.Probe(NamespacedName{kDefaultNamespace, "web"}, endpoint.HostPort());
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->message, "HTTP probe failed with statuscode: 503");
  EXPECT_EQ(details->result, ProbeOutcome::kFailure);
  // Both transitions are kept for `describe`, with their reasons.
  const std::vector<Transition> transitions =
      board_.Transitions(NamespacedName{kDefaultNamespace, "web"});
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_TRUE(transitions[0].ready);
  EXPECT_EQ(transitions[0].reason, "ready after 1 consecutive success");
  EXPECT_EQ(transitions[0].endpoint, endpoint.HostPort());
  EXPECT_EQ(transitions[0].node, "node-a");
  EXPECT_FALSE(transitions[1].ready);
  EXPECT_EQ(transitions[1].reason,
            "not ready after 3 consecutive failures: HTTP probe failed with statuscode: 503");
}

// The Kubernetes Events the board gets from the prober: Normal Ready on a
// first success, Warning Unhealthy with kubelet's message when it leaves,
// one Event per distinct message while not ready, and an endpoint that was
// never ready explains itself at failureThreshold.
TEST_F(ProberTest, TransitionsAndNewFailureMessagesBecomeEvents) {
  TestHttpServer server;
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Service service = HttpService("web", {endpoint}, 0.05);
  service.readiness_probe->timing.failure_threshold = 2;
  Apply({service});
  ASSERT_TRUE(WaitReady("web", endpoint.HostPort(), true));
  const auto messages = [&] {
    std::vector<std::string> out;
    for (const auto& e : board_.KubeEvents()) out.push_back(e->type + " " + e->message);
    std::sort(out.begin(), out.end());
    return out;
  };
  ASSERT_TRUE(WaitUntil([&] { return board_.KubeEvents().size() == 1; }, seconds(5)));
  EXPECT_EQ(messages()[0], "Normal " + endpoint.HostPort() + ": Readiness probe succeeded");

  server.SetStatus("/ready", 503);
  ASSERT_TRUE(WaitReady("web", endpoint.HostPort(), false));
  ASSERT_TRUE(WaitUntil([&] { return board_.KubeEvents().size() == 2; }, seconds(5)));
  server.SetStatus("/ready", 500);
  ASSERT_TRUE(WaitUntil([&] { return board_.KubeEvents().size() == 3; }, seconds(5)));
  EXPECT_EQ(messages(),
            (std::vector<std::string>{
                "Normal " + endpoint.HostPort() + ": Readiness probe succeeded",
                "Warning " + endpoint.HostPort() +
                    ": Readiness probe failed: HTTP probe failed with statuscode: 500",
                "Warning " + endpoint.HostPort() +
                    ": Readiness probe failed: HTTP probe failed with statuscode: 503"}));
  const auto object = board_.Get(NamespacedName{kDefaultNamespace, "web"});
  for (const auto& e : board_.KubeEvents()) {
    EXPECT_EQ(e->object_name, "web");
    EXPECT_EQ(e->node, "node-a");
    EXPECT_EQ(e->object_creation_time, object->creation_time);
    EXPECT_LE(e->object_resource_version, e->resource_version);
  }
}

TEST_F(ProberTest, ANeverReadyEndpointExplainsItselfAtTheThreshold) {
  TestHttpServer server;
  server.SetStatus("/ready", 503);
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Service service = HttpService("web", {endpoint}, 0.05);
  service.readiness_probe->timing.failure_threshold = 3;
  Apply({service});
  ASSERT_TRUE(WaitUntil([&] { return board_.KubeEvents().size() == 1; }, seconds(5)));
  EXPECT_GE(observer_.results(endpoint.HostPort()).size(), 3u);
  const auto event = board_.KubeEvents()[0];
  EXPECT_EQ(event->reason, "Unhealthy");
  EXPECT_EQ(event->message, endpoint.HostPort() +
                                ": Readiness probe failed: HTTP probe failed with statuscode: 503");
  // The same message again makes no new Event.
  const size_t probes = observer_.results(endpoint.HostPort()).size();
  ASSERT_TRUE(WaitUntil([&] { return observer_.results(endpoint.HostPort()).size() >= probes + 3; },
                        seconds(5)));
  EXPECT_EQ(board_.KubeEvents().size(), 1u);
  EXPECT_EQ(board_.KubeEvents()[0]->count, 1);
}

// kubelet: pkg/kubelet/prober/worker_test.go TestInitialDelay (readiness): not ready,
// and not probed, during the initial delay; ready after it.
TEST_F(ProberTest, NotReadyAndNotProbedDuringTheInitialDelay) {
  TestHttpServer server;
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Service service = HttpService("late", {endpoint}, 0.05);
  service.readiness_probe->timing.initial_delay_seconds = 0.5;
  const auto applied = std::chrono::steady_clock::now();
  Apply({service});
  ASSERT_TRUE(
      WaitUntil([&] { return Status("late", endpoint.HostPort()).has_value(); }, seconds(5)));
  if (std::chrono::steady_clock::now() - applied < milliseconds(400)) {
    EXPECT_FALSE(Status("late", endpoint.HostPort())->conditions.ready);
    EXPECT_EQ(server.request_count(), 0u);
  }
  ASSERT_TRUE(WaitReady("late", endpoint.HostPort(), true));
  EXPECT_GE(std::chrono::steady_clock::now() - applied, milliseconds(500));
}

// kubelet: pkg/kubelet/prober/prober.go runProbeWithRetries: a probe that errors is tried
// again at once, up to 3 tries; a try that then succeeds is the result.
TEST_F(ProberTest, AnErrorIsRetriedAtOnce) {
  RawTcpServer server(RawTcpServer::Script{});
  const std::string truncated = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  server.SetScripts({{truncated}, {truncated}, {ok}});
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Apply({HttpService("flaky", {endpoint}, 5)});  // one period is all the test sees
  ASSERT_TRUE(WaitReady("flaky", endpoint.HostPort(), true));
  EXPECT_EQ(observer_.results(endpoint.HostPort()),
            (std::vector<ProbeOutcome>{ProbeOutcome::kError, ProbeOutcome::kError,
                                       ProbeOutcome::kSuccess}));
  const auto times = observer_.times(endpoint.HostPort());
  ASSERT_EQ(times.size(), 3u);
  EXPECT_LT(times[2] - times[0], seconds(1));  // within the first period of 5 s
}

// kubelet: pkg/kubelet/prober/worker.go doProbe: after the last try errors, "Prober
// error, throw away the result": readiness and the run stay as they were.
TEST_F(ProberTest, AnErrorAfterItsRetriesLeavesReadinessAlone) {
  RawTcpServer server(RawTcpServer::Script{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Service service = HttpService("breaks", {endpoint}, 0.05);
  service.readiness_probe->timing.failure_threshold = 1;
  Apply({service});
  ASSERT_TRUE(WaitReady("breaks", endpoint.HostPort(), true));
  server.SetScripts({{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"}});
  const auto errors = [&] {
    const std::vector<ProbeOutcome> results = observer_.results(endpoint.HostPort());
    return std::count(results.begin(), results.end(), ProbeOutcome::kError);
  };
  ASSERT_TRUE(WaitUntil([&] { return errors() >= 9; }, seconds(10)));
  EXPECT_TRUE(Status("breaks", endpoint.HostPort())->conditions.ready);
  EXPECT_EQ(board_.Transitions(NamespacedName{kDefaultNamespace, "breaks"}).size(), 1u);
  const auto details =
      board_.Probe(NamespacedName{kDefaultNamespace, "breaks"}, endpoint.HostPort());
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->result, ProbeOutcome::kError);
  EXPECT_EQ(details->message, "unexpected EOF");
}

// A probe the engine cannot attempt would fail the same way again: one try.
TEST_F(ProberTest, AProbeThatCannotBeAttemptedIsNotRetried) {
  TestHttpServer server;
  const Endpoint endpoint{"127.0.0.1", server.port()};
  Service service = HttpService("bad", {endpoint}, 5);
  std::get<HttpGetAction>(service.readiness_probe->handler).headers = {{"X-A", "b\r\nc"}};
  Apply({service});
  ASSERT_TRUE(
      WaitUntil([&] { return !observer_.results(endpoint.HostPort()).empty(); }, seconds(5)));
  // Retries would come within milliseconds; the next period is 5 s away.
  EXPECT_FALSE(WaitUntil([&] { return observer_.results(endpoint.HostPort()).size() > 1; },
                         milliseconds(500)));
  EXPECT_EQ(observer_.results(endpoint.HostPort()),
            std::vector<ProbeOutcome>{ProbeOutcome::kError});
  EXPECT_EQ(server.request_count(), 0u);
}

// kubelet: pkg/kubelet/prober/prober_test.go TestGetURLParts and TestGetTCPAddrParts
// "found" (a named port resolves to its number).
TEST_F(ProberTest, NamedPortIsTheServicePortNotTheEndpointPort) {
  TestHttpServer server;
  // The endpoint's own port (1) has nothing behind it; the probe targets port "web".
  const Endpoint endpoint{"127.0.0.1", 1};
  Service service = HttpService("named", {endpoint}, 0.05, PortRef{0, "web"});
  service.ports = {{"web", server.port()}};
  Apply({service});
  ASSERT_TRUE(WaitReady("named", endpoint.HostPort(), true));
  EXPECT_GE(server.request_count(), 1u);
}

TEST_F(ProberTest, OmittedPortIsTheEndpointPortAndIpv6Works) {
  TestHttpServer server(TestHttpServer::Options{"::1", false});
  const Endpoint endpoint{"::1", server.port()};
  Apply({HttpService("v6", {endpoint}, 0.05)});
  ASSERT_TRUE(WaitReady("v6", "[::1]:" + std::to_string(server.port()), true));
}

TEST_F(ProberTest, TcpProbe) {
  TestHttpServer server;
  Service service;
  service.name = "tcp";
  service.endpoints = {{"127.0.0.1", server.port()}, {"127.0.0.1", 1}};
  Probe probe;
  probe.handler = TcpSocketAction{};
  probe.timing.period_seconds = 0.05;
  service.readiness_probe = probe;
  Apply({service});
  ASSERT_TRUE(WaitReady("tcp", "127.0.0.1:" + std::to_string(server.port()), true));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Probe(NamespacedName{kDefaultNamespace, "tcp"}, "127.0.0.1:1").has_value();
      },
      seconds(5)));
  EXPECT_EQ(board_.Probe(NamespacedName{kDefaultNamespace, "tcp"}, "127.0.0.1:1")->message,
            "dial tcp 127.0.0.1:1: connect: connection refused");
  EXPECT_FALSE(Status("tcp", "127.0.0.1:1")->conditions.ready);
}

// kubelet: pkg/kubelet/prober/prober_test.go TestProbe "No probe": a success.
TEST_F(ProberTest, EndpointsWithoutAProbeAreReadyAtOnce) {
  Service service;
  service.name = "static";
  service.endpoints = {{"10.0.0.1", 80}};
  Apply({service});
  ASSERT_TRUE(WaitReady("static", "10.0.0.1:80", true, seconds(5)));
  EXPECT_EQ(observer_.type("10.0.0.1:80"), "none");
  EXPECT_EQ(observer_.started(), 0);
}

// kubelet: pkg/kubelet/prober/prober_test.go TestGetURLParts "not-found" (a named port
// that resolves to nothing is an error, not a result).
// Config validation rejects a named port that no service port has; should one
// reach the loop anyway, it is an error result, and the loop goes on.
TEST_F(ProberTest, UnresolvableNamedPortIsAnErrorResultNotACrash) {
  TestHttpServer server;
  Service broken = HttpService("broken", {{"127.0.0.1", server.port()}}, 0.05, PortRef{0, "gone"});
  Service fine = HttpService("fine", {{"127.0.0.1", server.port()}}, 0.05);
  Apply({broken, fine});
  const std::string key = "127.0.0.1:" + std::to_string(server.port());
  ASSERT_TRUE(WaitUntil([&] { return observer_.results(key).size() >= 6; }, seconds(10)));
  ASSERT_TRUE(WaitReady("fine", key, true));
  const auto details = board_.Probe(NamespacedName{kDefaultNamespace, "broken"}, key);
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->result, ProbeOutcome::kError);
  EXPECT_EQ(details->message, "port \"gone\" is not a port of service \"broken\"");
  EXPECT_FALSE(Status("broken", key)->conditions.ready);
}

// A target that never answers, probed every 100 ms with a 350 ms timeout:
// its probes never overlap, and the slots it misses are skipped, not queued.
TEST_F(ProberTest, ProbesOfOneEndpointNeverOverlap) {
  RawTcpServer server(RawTcpServer::Behavior::kNeverAnswer);
  Service service = HttpService("slow", {{"127.0.0.1", server.port()}}, 0.1);
  service.readiness_probe->timing.timeout_seconds = 0.35;
  Apply({service});
  const std::string key = "127.0.0.1:" + std::to_string(server.port());
  ASSERT_TRUE(WaitUntil([&] { return observer_.results(key).size() >= 4; }, seconds(10)));
  EXPECT_EQ(observer_.in_flight_max(), 1);
  for (ProbeOutcome outcome : observer_.results(key)) EXPECT_EQ(outcome, ProbeOutcome::kTimeout);
  // Each probe takes 350 ms, the next starts at the next 100 ms slot: at most
  // one start per 400 ms, plus the one in flight.
  EXPECT_LE(server.accepted(), observer_.results(key).size() + 1);
}

TEST_F(ProberTest, APeriodOfAQuarterSecondMakesTwentyProbesInFiveSeconds) {
  TestHttpServer server;
  Apply({HttpService("rate", {{"127.0.0.1", server.port()}}, 0.25)});
  ASSERT_TRUE(server.WaitForRequests(1, seconds(5)));
  const size_t before = server.request_count();
  // A measured window, not a wait for a condition.
  std::this_thread::sleep_for(seconds(5));
  const size_t count = server.request_count() - before;
  EXPECT_GE(count, 19u);
  EXPECT_LE(count, 21u);
}

TEST_F(ProberTest, ApplyingTheSameServicesChangesNothing) {
  TestHttpServer server;
  const Service service = HttpService("web", {{"127.0.0.1", server.port()}}, 0.05);
  Apply({service});
  const std::string key = "127.0.0.1:" + std::to_string(server.port());
  ASSERT_TRUE(WaitReady("web", key, true));
  const uint64_t version = board_.resource_version();
  Apply({service});
  // Let the loop apply it and probe a few more times.
  const size_t seen = observer_.results(key).size();
  ASSERT_TRUE(WaitUntil([&] { return observer_.results(key).size() >= seen + 3; }, seconds(10)));
  EXPECT_EQ(board_.resource_version(), version);
  EXPECT_TRUE(observer_.removed().empty());
}

TEST_F(ProberTest, ApplyDiffsEndpoints) {
  TestHttpServer server;
  const Endpoint kept{"127.0.0.1", server.port()};
  const Endpoint removed{"127.0.0.2", server.port()};
  Apply({HttpService("web", {kept, removed}, 0.05)});
  ASSERT_TRUE(WaitReady("web", kept.HostPort(), true));
  const WallTime kept_since = Status("web", kept.HostPort())->last_transition_time;

  const Endpoint added{"127.0.0.3", 1};
  Service changed = HttpService("web", {added, kept}, 0.05);
  changed.readiness_probe->timing.failure_threshold = 5;  // a changed probe
  Apply({changed});
  ASSERT_TRUE(WaitUntil([&] { return Status("web", added.HostPort()).has_value(); }, seconds(5)));
  EXPECT_FALSE(Status("web", removed.HostPort()).has_value());
  EXPECT_FALSE(
      board_.Probe(NamespacedName{kDefaultNamespace, "web"}, removed.HostPort()).has_value());
  // The kept endpoint keeps its readiness through the probe change, without a transition.
  EXPECT_TRUE(Status("web", kept.HostPort())->conditions.ready);
  EXPECT_EQ(Status("web", kept.HostPort())->last_transition_time, kept_since);
  EXPECT_FALSE(Status("web", added.HostPort())->conditions.ready);
  // Endpoints are listed in the config's order.
  EXPECT_EQ(board_.Get(NamespacedName{kDefaultNamespace, "web"})->endpoints[0].Key(),
            added.HostPort());
  // The removed endpoint's series go; the kept one is told of its new probe.
  EXPECT_EQ(observer_.removed(), (std::vector<std::string>{removed.HostPort()}));
  EXPECT_EQ(observer_.updated(), (std::vector<std::string>{kept.HostPort()}));
}

TEST_F(ProberTest, NamespaceAndPublishNotReadyAddressesReachTheBoard) {
  Service service;
  service.name = "db";
  service.namespace_name = "storage";
  service.publish_not_ready_addresses = true;
  service.endpoints = {{"10.0.0.1", 5432}};
  Apply({service});
  const NamespacedName in_storage{"storage", "db"};
  ASSERT_TRUE(WaitUntil([&] { return board_.Get(in_storage) != nullptr; }, seconds(5)));
  EXPECT_EQ(board_.Get(in_storage)->namespace_name, "storage");
  EXPECT_TRUE(board_.Get(in_storage)->publish_not_ready_addresses);

  // A change of publishNotReadyAddresses is a new version of the object.
  const uint64_t version = board_.resource_version();
  service.publish_not_ready_addresses = false;
  Apply({service});
  ASSERT_TRUE(WaitUntil([&] { return board_.resource_version() > version; }, seconds(5)));
  EXPECT_FALSE(board_.Get(in_storage)->publish_not_ready_addresses);
  // A new namespace is another service: the old one is deleted, the new
  // one added.
  const uint64_t before_move = board_.resource_version();
  service.namespace_name = "default";
  Apply({service});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Get(NamespacedName{kDefaultNamespace, "db"}) != nullptr;
      },
      seconds(5)));
  EXPECT_EQ(board_.Get(in_storage), nullptr);
  const auto events = board_.EventsSince(before_move);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, EventType::kDeleted);
  EXPECT_EQ((*events)[0].object->namespace_name, "storage");
  EXPECT_EQ((*events)[1].type, EventType::kAdded);
  EXPECT_EQ((*events)[1].object->namespace_name, "default");
}

TEST_F(ProberTest, RemovedServiceIsDeleted) {
  Service a;
  a.name = "a";
  a.endpoints = {{"10.0.0.1", 80}};
  Service b = a;
  b.name = "b";
  Apply({a, b});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Get(NamespacedName{kDefaultNamespace, "b"}) != nullptr;
      },
      seconds(5)));
  const uint64_t version = board_.resource_version();
  Apply({a});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Get(NamespacedName{kDefaultNamespace, "b"}) == nullptr;
      },
      seconds(5)));
  const auto events = board_.EventsSince(version);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, EventType::kDeleted);
  EXPECT_EQ((*events)[0].object->name, "b");
}

// A failing endpoint logs the first failure of its run, then is summarized
// every interval instead of logging each failure.
TEST(ProberLogTest, FailuresAreSummarizedNotRepeated) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));

  SystemClock clock;
  StatusBoard board;
  ProbeEngine engine(clock);
  Prober prober(clock, engine, board, "node-a", 7, nullptr, std::chrono::milliseconds(300));
  engine.SetWakeHandler([&](Time now) { prober.OnWake(now); });
  ASSERT_TRUE(engine.Start().ok());
  Service service;
  service.name = "down";
  service.endpoints = {{"127.0.0.1", 1}};
  Probe probe;
  probe.handler = TcpSocketAction{};
  probe.timing.period_seconds = 0.02;
  service.readiness_probe = probe;
  engine.Post([&] { prober.Apply({service}); });
  const auto text = [&] {
    sink->flush();
    return log.str();
  };
  ASSERT_TRUE(
      WaitUntil([&] { return text().find("failing probes in the last 0.3s") != std::string::npos; },
                seconds(10)))
      << text();
  engine.Stop();
  spdlog::set_default_logger(previous);

  const std::string out = text();
  size_t first_failures = 0;
  for (size_t at = 0; (at = out.find("down 127.0.0.1:1 probe failed", at)) != std::string::npos;
       ++at) {
    ++first_failures;
  }
  EXPECT_EQ(first_failures, 1u) << out;
  EXPECT_NE(out.find("1 endpoint is failing probes in the last 0.3s: down 127.0.0.1:1 ("),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("x: dial tcp 127.0.0.1:1: connect: connection refused)"), std::string::npos)
      << out;
}

// An error is logged once, with kubelet's message, and says readiness is kept.
TEST(ProberLogTest, ErrorsAreLoggedWithKubeletsMessage) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));

  RawTcpServer server(RawTcpServer::Script{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"});
  SystemClock clock;
  StatusBoard board;
  ProbeEngine engine(clock);
  Prober prober(clock, engine, board, "node-a", 7);
  engine.SetWakeHandler([&](Time now) { prober.OnWake(now); });
  ASSERT_TRUE(engine.Start().ok());
  Service service;
  service.name = "cut";
  service.endpoints = {{"127.0.0.1", server.port()}};
  Probe probe;
  probe.handler = HttpGetAction{};
  probe.timing.period_seconds = 0.02;
  service.readiness_probe = probe;
  engine.Post([&] { prober.Apply({service}); });
  ASSERT_TRUE(WaitUntil([&] { return server.accepted() >= 9; }, seconds(10)));
  engine.Stop();
  spdlog::set_default_logger(previous);
  sink->flush();

  const std::string out = log.str();
  const std::string line = "cut 127.0.0.1:" + std::to_string(server.port()) +
                           ": probe errored, readiness unchanged: unexpected EOF";
  const size_t first = out.find(line);
  EXPECT_NE(first, std::string::npos) << out;
  EXPECT_EQ(out.find(line, first + 1), std::string::npos) << out;
}

// Commits on a clock that stands still: a lone transition reaches the board
// at the end of the loop's turn that made it, without waiting for time to
// pass; a change within kCommitDelay of the last commit waits until
// kCommitDelay after it, so that a burst goes in a few objects.
TEST(ProberCommitTest, ALoneTransitionGoesAtOnceAndABurstWaitsForTheDelay) {
  TestHttpServer server;
  FakeClock clock;
  StatusBoard board;
  RecordingObserver observer;
  ProbeEngine engine(clock);
  Prober prober(clock, engine, board, "node-a", 7, &observer);
  engine.SetWakeHandler([&](Time now) { prober.OnWake(now); });
  ASSERT_TRUE(engine.Start().ok());

  Service fast;
  fast.name = "fast";
  fast.endpoints = {{"127.0.0.1", server.port()}};
  Probe http;
  HttpGetAction get;
  get.path = "/ready";
  http.handler = get;
  http.timing.period_seconds = 1;
  fast.readiness_probe = http;
  // Its probe answers in a later turn than the fast one's.
  Service slow;
  slow.name = "slow";
  slow.endpoints = {{"127.0.0.2", 1}};
  Probe exec;
  exec.handler = ExecAction{{"/bin/sh", "-c", "sleep 0.3"}};
  exec.timing.period_seconds = 1;
  exec.timing.timeout_seconds = 10;
  slow.readiness_probe = exec;
  engine.Post([&] { prober.Apply({fast, slow}); });

  const auto ready = [&](const std::string& service) {
    const auto object = board.Get(NamespacedName{kDefaultNamespace, service});
    return object != nullptr && !object->endpoints.empty() && object->endpoints[0].conditions.ready;
  };
  // A whole turn: a task posted by a task runs on the turn after the first,
  // whose wake handler has run by then.
  const auto full_turn = [&] {
    std::promise<void> turned;
    engine.Post([&] { engine.Post([&] { turned.set_value(); }); });
    turned.get_future().wait();
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board.Get(NamespacedName{kDefaultNamespace, "slow"}) != nullptr;
      },
      seconds(5)));
  clock.Advance(seconds(1));  // both first probes fall due
  engine.Post([] {});         // a turn, so that the loop looks at the clock

  // The clock stands still from here on.
  EXPECT_TRUE(WaitUntil([&] { return ready("fast"); }, seconds(5)));
  ASSERT_TRUE(WaitUntil([&] { return !observer.results("127.0.0.2:1").empty(); }, seconds(5)));
  full_turn();
  EXPECT_FALSE(ready("slow"));  // within kCommitDelay of the last commit: waits
  clock.Advance(Prober::kCommitDelay);
  engine.Post([] {});
  EXPECT_TRUE(WaitUntil([&] { return ready("slow"); }, seconds(5)));
  engine.Stop();
}

// A service is known by its namespace and name: the same name in two
// namespaces is two services with their own endpoints, probes, transitions
// and Events; their series and log lines say NAMESPACE/NAME while the name
// is in both, and a service that moves namespace is removed and added.
TEST_F(ProberTest, TheSameNameInTwoNamespacesIsTwoServices) {
  testing::LogCapture logs;
  TestHttpServer up;
  TestHttpServer down;
  down.SetStatus("/ready", 503);
  const Endpoint in_a{"127.0.0.1", up.port()};
  const Endpoint in_b{"127.0.0.1", down.port()};
  Service a = HttpService("web", {in_a}, 0.05);
  a.namespace_name = "a";
  Service b = HttpService("web", {in_b}, 0.05);
  b.namespace_name = "b";
  b.readiness_probe->timing.failure_threshold = 1;
  Apply({a, b});

  ASSERT_TRUE(WaitReady(NamespacedName{"a", "web"}, in_a.HostPort(), true));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Probe(NamespacedName{"b", "web"}, in_b.HostPort()).has_value();
      },
      seconds(5)));
  EXPECT_FALSE(Status(NamespacedName{"b", "web"}, in_b.HostPort())->conditions.ready);
  // Each holds its own endpoint only.
  EXPECT_EQ(board_.Get(NamespacedName{"a", "web"})->endpoints.size(), 1u);
  EXPECT_FALSE(Status(NamespacedName{"a", "web"}, in_b.HostPort()).has_value());
  EXPECT_FALSE(Status(NamespacedName{"b", "web"}, in_a.HostPort()).has_value());
  EXPECT_FALSE(board_.Probe(NamespacedName{"a", "web"}, in_b.HostPort()).has_value());
  EXPECT_EQ(board_.Probe(NamespacedName{"b", "web"}, in_b.HostPort())->message,
            "HTTP probe failed with statuscode: 503");
  const auto transitions = board_.Transitions(NamespacedName{"a", "web"});
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].endpoint, in_a.HostPort());
  EXPECT_TRUE(board_.Transitions(NamespacedName{"b", "web"}).empty());
  ASSERT_TRUE(WaitUntil([&] { return board_.KubeEvents().size() == 2; }, seconds(5)));
  for (const auto& event : board_.KubeEvents()) {
    EXPECT_EQ(event->object_name, "web");
    EXPECT_EQ(event->reason, event->namespace_name == "a" ? "Ready" : "Unhealthy")
        << event->namespace_name;
  }
  EXPECT_EQ(observer_.service(in_a.HostPort()), "a/web");
  EXPECT_EQ(observer_.service(in_b.HostPort()), "b/web");
  ASSERT_TRUE(
      WaitUntil([&] { return logs.Count("a/web " + in_a.HostPort() + " ready") == 1; }, seconds(5)))
      << logs.text();

  // b moves to c: b's service goes, c's comes; the name is still in two
  // namespaces.
  Service c = b;
  c.namespace_name = "c";
  Apply({a, c});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Get(NamespacedName{"b", "web"}) == nullptr;
      },
      seconds(5)));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Get(NamespacedName{"c", "web"}) != nullptr;
      },
      seconds(5)));
  EXPECT_EQ(board_.Get(NamespacedName{"c", "web"})->endpoints.size(), 1u);
  EXPECT_EQ(observer_.service(in_b.HostPort()), "c/web");
  EXPECT_EQ(observer_.service(in_a.HostPort()), "a/web");

  // Alone in its namespace again, a's series go by the plain name; its
  // endpoint keeps its state, and its object does not change.
  const uint64_t version = board_.Get(NamespacedName{"a", "web"})->resource_version;
  Apply({a});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return board_.Get(NamespacedName{"c", "web"}) == nullptr;
      },
      seconds(5)));
  ASSERT_TRUE(WaitUntil([&] { return observer_.service(in_a.HostPort()) == "web"; }, seconds(5)));
  EXPECT_TRUE(Status(NamespacedName{"a", "web"}, in_a.HostPort())->conditions.ready);
  EXPECT_EQ(board_.Get(NamespacedName{"a", "web"})->resource_version, version);
}

}  // namespace
}  // namespace vigil
