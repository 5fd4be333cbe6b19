// ClusterView against a real etcd on loopback: listing and merging every
// node's keys, following the watch at etcd's revisions, leaving out bad
// values, listing again after a compaction, and where the agent's own
// endpoints come from. Skipped when etcd is not installed.
#include "exporters/registry/cluster_view.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "exporters/registry/etcd_records.h"
#include "tests/support/etcd_server.h"
#include "tests/support/etcd_test.h"
#include "tests/support/hostile_etcd.h"
#include "tests/support/log_capture.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::TcpProxy;
using testing::WaitUntil;

constexpr const char* kPrefix = "/vigil";

EtcdClient::Options FastClient() { return testing::FastEtcdOptions(); }

// Times a whole number of seconds after the tests started, as etcd's values
// carry them.
WallTime Second(int s) {
  static const WallTime start =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return start + std::chrono::seconds(s);
}

EndpointsObject Service(const std::string& name, std::map<std::string, std::string> labels) {
  EndpointsObject object;
  object.name = name;
  object.labels = std::move(labels);
  object.ports = {{"http", 8080}};
  object.creation_time = Second(0);
  return object;
}

EndpointStatus Endpoint(const std::string& node, const std::string& address, bool ready) {
  EndpointStatus e;
  e.address = address;
  e.port = 8080;
  e.node = node;
  e.conditions = {ready, ready, false};
  e.last_transition_time = Second(0);
  return e;
}

class ClusterViewTest : public testing::EtcdTest {
 protected:
  void StartView(const std::string& endpoint = "",
                 std::chrono::milliseconds fault_hold = std::chrono::minutes(1)) {
    ClusterView::Options options;
    options.fault_hold = fault_hold;
    options.prefix = kPrefix;
    options.node = "self";
    options.client = FastClient();
    options.backoff_initial = 20ms;
    options.backoff_max = 200ms;
    view_ = std::make_unique<ClusterView>(
        std::vector<std::string>{endpoint.empty() ? server_.endpoint() : endpoint}, options,
        local_);
    view_->OnLocalChange();
    view_->Start();
  }

  // Writes one node's word on a service and some endpoints; returns etcd's
  // revision after it.
  int64_t Write(const std::string& node, const EndpointsObject& service,
                const std::vector<EndpointStatus>& endpoints,
                const std::optional<ProbeDetails>& probe = std::nullopt) {
    std::vector<EtcdOp> ops = {
        EtcdOp::Put(ServiceKey(kPrefix, service.name, node), EncodeServiceRecord(service, node))};
    for (const EndpointStatus& e : endpoints) {
      ops.push_back(EtcdOp::Put(EndpointKey(kPrefix, service.name, node, e.Key()),
                                EncodeEndpointRecord(e, probe)));
    }
    Result<int64_t> revision = etcd_->Txn(ops);
    EXPECT_TRUE(revision.ok()) << revision.status().message();
    return revision.ok() ? *revision : 0;
  }

  int64_t Txn(const std::vector<EtcdOp>& ops) {
    Result<int64_t> revision = etcd_->Txn(ops);
    EXPECT_TRUE(revision.ok()) << revision.status().message();
    return revision.ok() ? *revision : 0;
  }

  // The view's endpoints of `service` as "node/ip:port=ready", in order.
  std::vector<std::string> Shown(const std::string& service) {
    std::vector<std::string> out;
    const auto object = view_->board().Get({"default", service});
    if (object == nullptr) return out;
    for (const EndpointStatus& e : object->endpoints) {
      out.push_back(e.node + "/" + e.Key() + "=" + (e.conditions.ready ? "1" : "0"));
    }
    return out;
  }

  bool WaitForVersion(int64_t revision) {
    return WaitUntil(
        [&] { return view_->board().resource_version() >= static_cast<uint64_t>(revision); }, 10s);
  }

  StatusBoard local_;
  std::unique_ptr<ClusterView> view_;
};

TEST_F(ClusterViewTest, MergesEveryNodesWordIntoOneObjectPerService) {
  Write("node-b", Service("web", {{"app", "web"}}),
        {Endpoint("node-b", "10.0.0.10", true), Endpoint("node-b", "10.0.0.2", false)});
  Write("node-a", Service("web", {{"app", "web"}}), {Endpoint("node-a", "10.0.0.2", true)});
  const int64_t revision = Write("node-b", Service("db", {{"app", "db"}}), {});
  StartView();
  ASSERT_TRUE(WaitForVersion(revision));

  EXPECT_EQ(Shown("web"),
            (std::vector<std::string>{"node-a/10.0.0.2:8080=1", "node-b/10.0.0.2:8080=0",
                                      "node-b/10.0.0.10:8080=1"}));
  EXPECT_EQ(view_->board().Get({"default", "web"})->labels,
            (std::map<std::string, std::string>{{"app", "web"}}));
  EXPECT_EQ(view_->board().Get({"default", "web"})->ports,
            (std::vector<ServicePort>{{"http", 8080}}));
  // A service a node has no endpoints of is still a service.
  ASSERT_NE(view_->board().Get({"default", "db"}), nullptr);
  EXPECT_TRUE(view_->board().Get({"default", "db"})->endpoints.empty());
  // The API's resourceVersion is etcd's revision.
  EXPECT_EQ(view_->board().resource_version(), static_cast<uint64_t>(revision));
  EXPECT_TRUE(WaitUntil([&] { return view_->state().connected; }, 5s));
  EXPECT_EQ(view_->state().revision, revision);
}

TEST_F(ClusterViewTest, CarriesNamespaceAndPublishNotReadyAddresses) {
  EndpointsObject db = Service("db", {{"app", "db"}});
  db.namespace_name = "storage";
  db.publish_not_ready_addresses = true;
  Write("node-b", db, {Endpoint("node-b", "10.0.0.1", false)});
  const int64_t revision = Write("node-b", Service("web", {}), {});
  StartView();
  ASSERT_TRUE(WaitForVersion(revision));
  ASSERT_NE(view_->board().Get({"storage", "db"}), nullptr);
  EXPECT_EQ(view_->board().Get({"storage", "db"})->namespace_name, "storage");
  EXPECT_TRUE(view_->board().Get({"storage", "db"})->publish_not_ready_addresses);
  EXPECT_EQ(view_->board().Get({"default", "web"})->namespace_name, "default");
  EXPECT_FALSE(view_->board().Get({"default", "web"})->publish_not_ready_addresses);
}

// etcd's keys have no namespace: a service whose record moves to another
// namespace is the same key, and the view's object moves with it (the old
// namespace's DELETED, the new one's ADDED).
TEST_F(ClusterViewTest, AServiceThatMovesNamespaceLeavesTheOldOne) {
  EndpointsObject db = Service("db", {{"app", "db"}});
  db.namespace_name = "storage";
  const int64_t first = Write("node-b", db, {Endpoint("node-b", "10.0.0.1", true)});
  StartView();
  ASSERT_TRUE(WaitForVersion(first));
  ASSERT_NE(view_->board().Get({"storage", "db"}), nullptr);
  db.namespace_name = "data";
  const int64_t moved = Write("node-b", db, {Endpoint("node-b", "10.0.0.1", true)});
  ASSERT_TRUE(WaitForVersion(moved));
  EXPECT_EQ(view_->board().Get({"storage", "db"}), nullptr);
  ASSERT_NE(view_->board().Get({"data", "db"}), nullptr);
  EXPECT_EQ(view_->board().Get({"data", "db"})->endpoints.size(), 1u);
  const auto events = view_->board().EventsSince(static_cast<uint64_t>(first));
  ASSERT_TRUE(events.has_value());
  std::vector<std::string> seen;
  for (const BoardEvent& e : *events) {
    seen.push_back(std::string(e.type == EventType::kDeleted ? "DELETED " : "ADDED ") +
                   e.object->namespace_name);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED data", "DELETED storage"}));
}

TEST_F(ClusterViewTest, FollowsEveryChangeAtEtcdsRevision) {
  const int64_t start =
      Write("node-b", Service("web", {{"app", "web"}}), {Endpoint("node-b", "10.0.0.1", true)});
  Write("node-b", Service("db", {{"app", "db"}}), {Endpoint("node-b", "10.0.0.9", true)});
  StartView();
  ASSERT_TRUE(WaitUntil([&] { return view_->state().connected; }, 10s));
  const uint64_t before = view_->board().resource_version();

  const ProbeDetails failed{Second(1), ProbeOutcome::kFailure,
                            "HTTP probe failed with statuscode: 503"};
  const int64_t flipped = Write("node-b", Service("web", {{"app", "web"}}),
                                {Endpoint("node-b", "10.0.0.1", false)}, failed);
  const int64_t gone =
      Txn({EtcdOp::DeleteRange(ServiceKey(kPrefix, "db", "node-b")),
           EtcdOp::DeleteRange(EndpointKey(kPrefix, "db", "node-b", "10.0.0.9:8080"))});
  ASSERT_TRUE(WaitForVersion(gone));

  const auto events = view_->board().EventsSince(before);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, EventType::kModified);
  EXPECT_EQ((*events)[0].resource_version, static_cast<uint64_t>(flipped));
  EXPECT_FALSE((*events)[0].object->endpoints[0].conditions.ready);
  EXPECT_EQ((*events)[1].type, EventType::kDeleted);
  EXPECT_EQ((*events)[1].object->name, "db");
  EXPECT_EQ((*events)[1].resource_version, static_cast<uint64_t>(gone));
  EXPECT_GT(flipped, start);

  // Other nodes' probe details come with their values; the transition is kept.
  const std::optional<ProbeDetails> probe =
      view_->Probe({"default", "web"}, Endpoint("node-b", "10.0.0.1", false));
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->result, ProbeOutcome::kFailure);
  EXPECT_EQ(probe->message, "HTTP probe failed with statuscode: 503");
  const std::vector<Transition> transitions = view_->board().Transitions({"default", "web"});
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].node, "node-b");
  EXPECT_EQ(transitions[0].endpoint, "10.0.0.1:8080");
  EXPECT_FALSE(transitions[0].ready);
  EXPECT_EQ(transitions[0].reason, "not ready: HTTP probe failed with statuscode: 503");
}

TEST_F(ClusterViewTest, LeavesOutValuesThatDoNotDecodeAndTakesThemOnceFixed) {
  const std::string broken = EndpointKey(kPrefix, "web", "node-b", "10.0.0.2:8080");
  const std::string mismatched = EndpointKey(kPrefix, "web", "node-b", "10.0.0.3:8080");
  Write("node-b", Service("web", {{"app", "web"}}), {Endpoint("node-b", "10.0.0.1", true)});
  Txn({EtcdOp::Put(broken, "{not json"),
       EtcdOp::Put(mismatched, EncodeEndpointRecord(Endpoint("node-b", "10.0.0.4", true), {})),
       EtcdOp::Put(std::string(kPrefix) + "/other/thing", "x"),
       EtcdOp::Put(ServiceKey(kPrefix, "bad", "node-b"), "[]")});
  StartView();
  ASSERT_TRUE(WaitUntil([&] { return view_->state().connected; }, 10s));
  EXPECT_EQ(Shown("web"), std::vector<std::string>{"node-b/10.0.0.1:8080=1"});
  EXPECT_EQ(view_->board().Get({"default", "bad"}), nullptr);

  const int64_t fixed =
      Txn({EtcdOp::Put(broken, EncodeEndpointRecord(Endpoint("node-b", "10.0.0.2", false), {}))});
  ASSERT_TRUE(WaitForVersion(fixed));
  EXPECT_EQ(Shown("web"),
            (std::vector<std::string>{"node-b/10.0.0.1:8080=1", "node-b/10.0.0.2:8080=0"}));
  // A good value turned bad leaves the view.
  const int64_t spoiled = Txn({EtcdOp::Put(broken, "42")});
  ASSERT_TRUE(WaitForVersion(spoiled));
  EXPECT_EQ(Shown("web"), std::vector<std::string>{"node-b/10.0.0.1:8080=1"});
}

// Anyone may write under the prefix: a value over the cap is left out
// without being decoded, logged once with its key escaped (a key may hold
// a line break or a terminal's escape sequence), and the rest counts.
TEST_F(ClusterViewTest, AValueOverTheCapIsLeftOutAndLoggedOnceWithItsKeyEscaped) {
  testing::LogCapture log;
  const std::string evil_node = "node-b\n[info] forged line\x1b[2J";
  const std::string big(kEtcdMaxValueBytes + 200 * 1024, '{');  // etcd takes up to 1.5 MiB
  Write("node-b", Service("web", {{"app", "web"}}), {Endpoint("node-b", "10.0.0.1", true)});
  Txn({EtcdOp::Put(EndpointKey(kPrefix, "web", evil_node, "10.0.0.9:8080"), big)});
  StartView();
  ASSERT_TRUE(WaitUntil([&] { return view_->state().connected; }, 10s));
  EXPECT_EQ(Shown("web"), std::vector<std::string>{"node-b/10.0.0.1:8080=1"});

  // Through the watch as well.
  const std::string watched_key = EndpointKey(kPrefix, "web", "node-c", "10.0.0.8:8080");
  Txn({EtcdOp::Put(watched_key, big)});
  const int64_t later =
      Write("node-b", Service("web", {{"app", "web"}}),
            {Endpoint("node-b", "10.0.0.1", true), Endpoint("node-b", "10.0.0.2", false)});
  ASSERT_TRUE(WaitForVersion(later));
  EXPECT_EQ(Shown("web"),
            (std::vector<std::string>{"node-b/10.0.0.1:8080=1", "node-b/10.0.0.2:8080=0"}));

  const std::string text = log.text();
  EXPECT_EQ(log.Count("ignoring etcd key"), 2u) << text;
  EXPECT_EQ(log.Count("node-b\\n[info] forged line\\x1b[2J/10.0.0.9:8080"), 1u) << text;
  EXPECT_EQ(log.Count("its value has " + std::to_string(big.size()) + " bytes, over the cap of " +
                      std::to_string(kEtcdMaxValueBytes) + "; not decoded"),
            2u)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(log.Count("forged line"), 1u);  // on the escaped line only
  for (size_t at = text.find("forged line"); at != std::string::npos;
       at = text.find("forged line", at + 1)) {
    EXPECT_NE(text.rfind("ignoring etcd key", at), std::string::npos);
  }
}

// A watch that misbehaves (here: a line that never ends) is ended, the view
// says so in state().fault and retries with backoff rather than at once, and
// once etcd behaves the view follows it and the fault is over.
TEST_F(ClusterViewTest, AMisbehavingWatchIsAFaultUntilTheWatchDeliversAgain) {
  testing::HostileEtcd hostile(server_.client_port());
  hostile.Set(testing::HostileEtcd::Attack::kEndlessLine, "/v3/watch", "/vigil/x");
  Write("node-b", Service("web", {{"app", "web"}}), {Endpoint("node-b", "10.0.0.1", true)});
  StartView(hostile.endpoint());
  ASSERT_TRUE(WaitUntil([&] { return !view_->state().fault.empty(); }, 10s));
  EXPECT_NE(view_->state().fault.find("a watch message over 16 MiB; ending the watch"),
            std::string::npos)
      << view_->state().fault;
  // What was listed is served all along.
  EXPECT_EQ(Shown("web"), std::vector<std::string>{"node-b/10.0.0.1:8080=1"});
  // With backoff (20 ms doubling to 200 ms), not in a loop: a second holds
  // about five more attempts. Each lists again, with nothing changed: the
  // API's watchers are not told to list again.
  const auto epoch = view_->board().epoch();
  const size_t attacked = hostile.attacked();
  ASSERT_TRUE(WaitUntil([&] { return hostile.attacked() >= attacked + 3; }, 5s));
  const auto started = std::chrono::steady_clock::now();
  const size_t before = hostile.attacked();
  ASSERT_TRUE(WaitUntil([&] { return std::chrono::steady_clock::now() - started >= 1s; }, 2s));
  EXPECT_LE(hostile.attacked() - before, 12u);
  EXPECT_FALSE(view_->state().fault.empty());
  EXPECT_EQ(view_->board().epoch(), epoch);

  hostile.Set(testing::HostileEtcd::Attack::kNone);
  // A write may reach the view through a list (after a watch attacked
  // still): the write a watch delivers ends the fault.
  bool ready = true;
  ASSERT_TRUE(WaitUntil(
      [&] {
        ready = !ready;
        const int64_t revision = Write("node-b", Service("web", {{"app", "web"}}),
                                       {Endpoint("node-b", "10.0.0.1", ready)});
        return WaitForVersion(revision) &&
               WaitUntil([&] { return view_->state().fault.empty(); }, 500ms);
      },
      10s))
      << view_->state().fault;
  EXPECT_EQ(Shown("web"),
            std::vector<std::string>{std::string("node-b/10.0.0.1:8080=") + (ready ? "1" : "0")});
  EXPECT_TRUE(view_->state().connected);
}

// Nothing under the prefix changes after etcd behaves again: the fault is
// over once the watch has stayed up for fault_hold.
TEST_F(ClusterViewTest, AFaultIsOverWhenTheWatchHoldsLongEnoughWithNothingToDeliver) {
  testing::HostileEtcd hostile(server_.client_port());
  hostile.Set(testing::HostileEtcd::Attack::kNotJson);
  StartView(hostile.endpoint(), /*fault_hold=*/300ms);
  ASSERT_TRUE(WaitUntil([&] { return !view_->state().fault.empty(); }, 10s));
  EXPECT_NE(view_->state().fault.find("malformed watch message"), std::string::npos)
      << view_->state().fault;
  hostile.Set(testing::HostileEtcd::Attack::kNone);
  ASSERT_TRUE(WaitUntil([&] { return view_->state().fault.empty(); }, 10s));
  EXPECT_TRUE(view_->state().connected);
}

TEST_F(ClusterViewTest, ListsAgainWhenTheRevisionToResumeFromWasCompacted) {
  TcpProxy proxy(server_.client_port());
  Write("node-b", Service("web", {{"app", "web"}}),
        {Endpoint("node-b", "10.0.0.1", true), Endpoint("node-b", "10.0.0.2", true)});
  Write("node-b", Service("db", {{"app", "db"}}), {Endpoint("node-b", "10.0.0.9", true)});
  StartView(proxy.endpoint());
  ASSERT_TRUE(WaitUntil([&] { return view_->state().connected; }, 10s));
  const uint64_t before = view_->board().resource_version();

  // The network stalls: the view's watch hears nothing while etcd changes
  // and compacts its history away.
  proxy.Pause();
  Write("node-b", Service("web", {{"app", "web"}}), {Endpoint("node-b", "10.0.0.1", false)});
  Txn({EtcdOp::DeleteRange(EndpointKey(kPrefix, "web", "node-b", "10.0.0.2:8080"))});
  Txn({EtcdOp::DeleteRange(ServiceKey(kPrefix, "db", "node-b")),
       EtcdOp::DeleteRange(EndpointKey(kPrefix, "db", "node-b", "10.0.0.9:8080"))});
  const int64_t last =
      Write("node-b", Service("cache", {{"app", "cache"}}), {Endpoint("node-b", "10.0.0.7", true)});
  ASSERT_TRUE(server_.Compact(last));
  EXPECT_EQ(view_->board().resource_version(), before);

  // The stream breaks; resuming where it stopped is refused: list again.
  proxy.CutAll();
  proxy.Resume();
  ASSERT_TRUE(WaitForVersion(last));
  EXPECT_EQ(Shown("web"), std::vector<std::string>{"node-b/10.0.0.1:8080=0"});
  EXPECT_EQ(view_->board().Get({"default", "db"}), nullptr);
  EXPECT_EQ(Shown("cache"), std::vector<std::string>{"node-b/10.0.0.7:8080=1"});
  EXPECT_EQ(view_->board().resource_version(), static_cast<uint64_t>(last));

  // A watcher of the view that was at `before` gets the net effect.
  const auto events = view_->board().EventsSince(before);
  ASSERT_TRUE(events.has_value());
  std::map<std::string, EventType> seen;
  for (const BoardEvent& e : *events) seen[e.object->name] = e.type;
  EXPECT_EQ(seen, (std::map<std::string, EventType>{{"cache", EventType::kAdded},
                                                    {"db", EventType::kDeleted},
                                                    {"web", EventType::kModified}}));

  // And it keeps following afterwards.
  const int64_t after = Write("node-b", Service("cache", {{"app", "cache"}}),
                              {Endpoint("node-b", "10.0.0.7", false)});
  ASSERT_TRUE(WaitForVersion(after));
  EXPECT_EQ(Shown("cache"), std::vector<std::string>{"node-b/10.0.0.7:8080=0"});
}

TEST_F(ClusterViewTest, WhileEtcdIsAwayItsOwnEndpointsFollowTheLocalBoard) {
  EndpointsObject mine = Service("web", {{"app", "web"}});
  mine.endpoints = {Endpoint("self", "10.0.0.5", true)};
  local_.Put({mine});
  local_.RecordProbe({"default", "web"}, "10.0.0.5:8080",
                     ProbeDetails{Second(2), ProbeOutcome::kSuccess, ""});
  Write("node-b", Service("web", {{"app", "web"}}), {Endpoint("node-b", "10.0.0.1", true)});
  const int64_t published =
      Write("self", Service("web", {{"app", "web"}}), {Endpoint("self", "10.0.0.5", true)});
  StartView();
  ASSERT_TRUE(WaitForVersion(published));
  EXPECT_EQ(Shown("web"),
            (std::vector<std::string>{"node-b/10.0.0.1:8080=1", "self/10.0.0.5:8080=1"}));
  EXPECT_FALSE(view_->state().own_from_local);
  EXPECT_EQ(view_->board().resource_version(), static_cast<uint64_t>(published));

  // etcd goes away: the view keeps the other nodes as last seen, and this
  // node's endpoints follow its own probes.
  server_.Kill();
  ASSERT_TRUE(WaitUntil([&] { return view_->state().own_from_local; }, 10s));
  EXPECT_FALSE(view_->state().connected);
  // Which call failed first, and how, depends on timing; it names the member.
  EXPECT_NE(view_->state().error.find("etcd at " + server_.endpoint()), std::string::npos)
      << view_->state().error;
  mine.endpoints = {Endpoint("self", "10.0.0.5", false), Endpoint("self", "10.0.0.6", false)};
  local_.Put({mine});
  local_.RecordProbe({"default", "web"}, "10.0.0.5:8080",
                     ProbeDetails{Second(3), ProbeOutcome::kTimeout, "probe timed out after 1s"});
  view_->OnLocalChange();
  EXPECT_EQ(Shown("web"),
            (std::vector<std::string>{"node-b/10.0.0.1:8080=1", "self/10.0.0.5:8080=0",
                                      "self/10.0.0.6:8080=0"}));
  EXPECT_EQ(view_->Probe({"default", "web"}, Endpoint("self", "10.0.0.5", false))->message,
            "probe timed out after 1s");
  // The board counted on past etcd's revision for its watchers.
  const uint64_t counted = view_->board().resource_version();
  EXPECT_GT(counted, static_cast<uint64_t>(published));
  const uint64_t epoch = view_->board().epoch();

  // etcd is back, with the old state of this node: the view is etcd's again,
  // and since it cannot go back to etcd's revision with its history, the
  // history starts over there (watchers list again).
  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(WaitUntil([&] { return view_->state().connected; }, 15s));
  EXPECT_FALSE(view_->state().own_from_local);
  EXPECT_EQ(Shown("web"),
            (std::vector<std::string>{"node-b/10.0.0.1:8080=1", "self/10.0.0.5:8080=1"}));
  EXPECT_EQ(view_->board().resource_version(), static_cast<uint64_t>(view_->state().revision));
  EXPECT_GT(view_->board().epoch(), epoch);
  EXPECT_LT(view_->board().resource_version(), counted);
  // From there, at etcd's revisions again.
  const int64_t next =
      Write("self", Service("web", {{"app", "web"}}),
            {Endpoint("self", "10.0.0.5", false), Endpoint("self", "10.0.0.6", false)});
  ASSERT_TRUE(WaitUntil(
      [&] { return view_->board().resource_version() == static_cast<uint64_t>(next); }, 10s));
  EXPECT_EQ(view_->board().EventsSince(next - 1)->size(), 1u);
}

}  // namespace
}  // namespace vigil
