// EtcdClient against a real etcd on loopback (tests/support/etcd_server.h);
// skipped when etcd is not installed.
#include "exporters/registry/etcd_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/etcd_server.h"
#include "tests/support/etcd_test.h"
#include "tests/support/host.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::WaitUntil;

EtcdClient::Options FastOptions() { return testing::FastEtcdOptions(); }

class EtcdClientTest : public testing::EtcdTest {
 protected:
  EtcdClient MakeClient() { return EtcdClient({server_.endpoint()}, FastOptions()); }
};

// Collects watch events from another thread.
class EventLog {
 public:
  // Returns false (stop) once `stop_after` events have come (0: never).
  bool Add(const std::vector<EtcdEvent>& events, size_t stop_after = 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.insert(events_.end(), events.begin(), events.end());
    return stop_after == 0 || events_.size() < stop_after;
  }
  std::vector<EtcdEvent> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  size_t size() const { return events().size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<EtcdEvent> events_;
};

TEST(EtcdClientPrefixEndTest, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(EtcdClient::PrefixEnd("vigil/"), "vigil0");
  EXPECT_EQ(EtcdClient::PrefixEnd("a"), "b");
  EXPECT_EQ(EtcdClient::PrefixEnd(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(EtcdClient::PrefixEnd(std::string("\xff", 1)), std::string(1, '\0'));
  EXPECT_EQ(EtcdClient::PrefixEnd(""), std::string(1, '\0'));
}

TEST_F(EtcdClientTest, PutThenGetPrefixRoundTripsBinaryValues) {
  EtcdClient client = MakeClient();
  const std::string binary("\0\x01\xff/x\"=\n", 8);
  Result<int64_t> revision =
      client.Txn({EtcdOp::Put("vigil/a/1", binary), EtcdOp::Put("vigil/a/2", "two/with/slashes"),
                  EtcdOp::Put("vigil/b", "outside")});
  ASSERT_TRUE(revision.ok()) << revision.status().message();

  Result<EtcdClient::Range> range = client.GetPrefix("vigil/a/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  EXPECT_EQ(range->revision, *revision);
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].key, "vigil/a/1");
  EXPECT_EQ(range->kvs[0].value, binary);
  EXPECT_EQ(range->kvs[0].mod_revision, *revision);
  EXPECT_EQ(range->kvs[0].create_revision, *revision);
  EXPECT_EQ(range->kvs[0].lease, 0);
  EXPECT_EQ(range->kvs[1].key, "vigil/a/2");
  EXPECT_EQ(range->kvs[1].value, "two/with/slashes");

  Result<EtcdClient::Range> all = client.GetPrefix("");
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->kvs.size(), 3u);

  Result<EtcdClient::Range> none = client.GetPrefix("nothing/");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->kvs.empty());
  EXPECT_EQ(none->revision, *revision);
}

TEST_F(EtcdClientTest, EmptyValueRoundTrips) {
  EtcdClient client = MakeClient();
  ASSERT_TRUE(client.Txn({EtcdOp::Put("k/empty", "")}).ok());
  Result<EtcdClient::Range> range = client.GetPrefix("k/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  ASSERT_EQ(range->kvs.size(), 1u);
  EXPECT_EQ(range->kvs[0].value, "");
}

TEST_F(EtcdClientTest, DeletesARangeAndASingleKey) {
  EtcdClient client = MakeClient();
  ASSERT_TRUE(client
                  .Txn({EtcdOp::Put("p/x/1", "1"), EtcdOp::Put("p/x/2", "2"),
                        EtcdOp::Put("p/y", "3"), EtcdOp::Put("p/z", "4")})
                  .ok());
  Result<int64_t> revision = client.Txn(
      {EtcdOp::DeleteRange("p/x/", EtcdClient::PrefixEnd("p/x/")), EtcdOp::DeleteRange("p/y")});
  ASSERT_TRUE(revision.ok()) << revision.status().message();
  Result<EtcdClient::Range> range = client.GetPrefix("p/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  ASSERT_EQ(range->kvs.size(), 1u);
  EXPECT_EQ(range->kvs[0].key, "p/z");
}

TEST_F(EtcdClientTest, ManyOpsInOneTxnMakeOneRevision) {
  EtcdClient client = MakeClient();
  Result<EtcdClient::Range> before = client.GetPrefix("many/");
  ASSERT_TRUE(before.ok()) << before.status().message();
  std::vector<EtcdOp> ops;
  for (int i = 0; i < 100; ++i) {
    ops.push_back(EtcdOp::Put("many/" + std::to_string(1000 + i), std::to_string(i)));
  }
  Result<int64_t> revision = client.Txn(ops);
  ASSERT_TRUE(revision.ok()) << revision.status().message();
  EXPECT_EQ(*revision, before->revision + 1);
  Result<EtcdClient::Range> range = client.GetPrefix("many/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  ASSERT_EQ(range->kvs.size(), 100u);
  for (const EtcdKeyValue& kv : range->kvs) EXPECT_EQ(kv.mod_revision, *revision) << kv.key;
}

TEST_F(EtcdClientTest, EtcdErrorsCarryEtcdsMessage) {
  EtcdClient client = MakeClient();
  std::vector<EtcdOp> ops;
  for (int i = 0; i < 200; ++i) ops.push_back(EtcdOp::Put("big/" + std::to_string(i), "v"));
  Result<int64_t> revision = client.Txn(ops);  // over etcd's --max-txn-ops (128)
  ASSERT_FALSE(revision.ok());
  EXPECT_NE(revision.status().message().find(server_.endpoint()), std::string::npos)
      << revision.status().message();
  EXPECT_NE(revision.status().message().find("too many operations"), std::string::npos)
      << revision.status().message();
}

TEST_F(EtcdClientTest, GrantsAndKeepsALeaseAlive) {
  EtcdClient client = MakeClient();
  Result<int64_t> lease = client.GrantLease(30);
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  EXPECT_NE(*lease, 0);
  Result<int64_t> ttl = client.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().message();
  EXPECT_GT(*ttl, 0);
  EXPECT_LE(*ttl, 30);

  ASSERT_TRUE(client.Txn({EtcdOp::Put("leased/k", "v", *lease)}).ok());
  Result<EtcdClient::Range> range = client.GetPrefix("leased/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  ASSERT_EQ(range->kvs.size(), 1u);
  EXPECT_EQ(range->kvs[0].lease, *lease);
}

TEST_F(EtcdClientTest, KeysVanishWhenTheLeaseExpires) {
  EtcdClient client = MakeClient();
  Result<int64_t> lease = client.GrantLease(2);
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  ASSERT_TRUE(client.Txn({EtcdOp::Put("expiring/k", "v", *lease)}).ok());
  EXPECT_TRUE(WaitUntil(
      [&] {
        Result<EtcdClient::Range> range = client.GetPrefix("expiring/");
        return range.ok() && range->kvs.empty();
      },
      10s));
  Result<int64_t> ttl = client.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().message();
  EXPECT_LE(*ttl, 0);
}

TEST_F(EtcdClientTest, RevokeRemovesTheKeysAtOnce) {
  EtcdClient client = MakeClient();
  Result<int64_t> lease = client.GrantLease(60);
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  ASSERT_TRUE(
      client.Txn({EtcdOp::Put("revoked/a", "1", *lease), EtcdOp::Put("revoked/b", "2", *lease)})
          .ok());
  Status revoked = client.Revoke(*lease);
  ASSERT_TRUE(revoked.ok()) << revoked.message();
  Result<EtcdClient::Range> range = client.GetPrefix("revoked/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  EXPECT_TRUE(range->kvs.empty());

  Result<int64_t> ttl = client.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().message();
  EXPECT_LE(*ttl, 0);
  Status again = client.Revoke(*lease);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("lease not found"), std::string::npos) << again.message();
  EXPECT_FALSE(client.Txn({EtcdOp::Put("revoked/c", "3", *lease)}).ok());
}

TEST_F(EtcdClientTest, WatchDeliversPutsAndDeletesInOrder) {
  EtcdClient client = MakeClient();
  Result<EtcdClient::Range> start = client.GetPrefix("w/");
  ASSERT_TRUE(start.ok()) << start.status().message();
  EventLog log;
  Status watched;
  std::thread watcher([&] {
    watched = client.Watch("w/", start->revision + 1, [&](const std::vector<EtcdEvent>& events) {
      return log.Add(events, 4);
    });
  });
  ASSERT_TRUE(client.Txn({EtcdOp::Put("w/a", "1")}).ok());
  ASSERT_TRUE(client.Txn({EtcdOp::Put("other", "x")}).ok());
  ASSERT_TRUE(client.Txn({EtcdOp::Put("w/b", "2")}).ok());
  ASSERT_TRUE(client.Txn({EtcdOp::DeleteRange("w/a")}).ok());
  ASSERT_TRUE(client.Txn({EtcdOp::Put("w/b", "3")}).ok());
  watcher.join();
  EXPECT_TRUE(watched.ok()) << watched.message();

  const std::vector<EtcdEvent> events = log.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, EtcdEvent::Type::kPut);
  EXPECT_EQ(events[0].kv.key, "w/a");
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_EQ(events[1].type, EtcdEvent::Type::kPut);
  EXPECT_EQ(events[1].kv.key, "w/b");
  EXPECT_EQ(events[2].type, EtcdEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, "w/a");
  EXPECT_EQ(events[3].kv.value, "3");
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].kv.mod_revision, events[i - 1].kv.mod_revision);
  }
}

TEST_F(EtcdClientTest, WatchReplaysFromAStartRevision) {
  EtcdClient client = MakeClient();
  Result<int64_t> first = client.Txn({EtcdOp::Put("r/1", "a")});
  Result<int64_t> second = client.Txn({EtcdOp::Put("r/2", "b")});
  Result<int64_t> third = client.Txn({EtcdOp::Put("r/3", "c")});
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EventLog log;
  Status watched = client.Watch(
      "r/", *second, [&](const std::vector<EtcdEvent>& events) { return log.Add(events, 2); });
  ASSERT_TRUE(watched.ok()) << watched.message();
  const std::vector<EtcdEvent> events = log.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.key, "r/2");
  EXPECT_EQ(events[0].kv.mod_revision, *second);
  EXPECT_EQ(events[1].kv.key, "r/3");
  EXPECT_EQ(events[1].kv.mod_revision, *third);
}

TEST_F(EtcdClientTest, CancelFromAnotherThreadEndsTheWatchPromptly) {
  EtcdClient client = MakeClient();
  EventLog log;
  std::atomic<bool> returned{false};
  Status watched = Status::Error("not returned");
  std::thread watcher([&] {
    watched = client.Watch("c/", 0,
                           [&](const std::vector<EtcdEvent>& events) { return log.Add(events); });
    returned = true;
  });
  // The watch is established once it has seen an event.
  ASSERT_TRUE(WaitUntil(
      [&] {
        EXPECT_TRUE(client.Txn({EtcdOp::Put("c/k", "v")}).ok());
        return WaitUntil([&] { return log.size() > 0; }, 100ms);
      },
      10s));
  // Unary calls are not blocked by the running watch.
  EXPECT_TRUE(client.GetPrefix("c/").ok());
  const auto cancelled_at = std::chrono::steady_clock::now();
  client.Cancel();
  EXPECT_TRUE(WaitUntil([&] { return returned.load(); }, 2s));
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 2s);
  EXPECT_TRUE(watched.ok()) << watched.message();

  // Cancel is final: a later Watch returns at once.
  EXPECT_TRUE(client.Watch("c/", 0, [](const std::vector<EtcdEvent>&) { return true; }).ok());
}

TEST_F(EtcdClientTest, WatchFromACompactedRevisionSaysCompacted) {
  EtcdClient client = MakeClient();
  Result<int64_t> revision = 0;
  for (int i = 0; i < 3; ++i) {
    revision = client.Txn({EtcdOp::Put("old/k", std::to_string(i))});
    ASSERT_TRUE(revision.ok()) << revision.status().message();
  }
  ASSERT_TRUE(server_.Compact(*revision));
  EtcdClient::WatchEnd end;
  Status watched = client.Watch(
      "old/", 1, [](const std::vector<EtcdEvent>&) { return true; }, &end);
  ASSERT_FALSE(watched.ok());
  EXPECT_NE(watched.message().find("compacted"), std::string::npos) << watched.message();
  EXPECT_EQ(end.compact_revision, *revision);
  EXPECT_FALSE(end.misbehaved);
  const int64_t compact_revision = end.compact_revision;

  // Watching from the compact revision on works.
  EventLog log;
  Status resumed =
      client.Watch("old/", compact_revision,
                   [&](const std::vector<EtcdEvent>& events) { return log.Add(events, 1); });
  EXPECT_TRUE(resumed.ok()) << resumed.message();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log.events()[0].kv.value, "2");
}

TEST_F(EtcdClientTest, SkipsADeadFirstEndpoint) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  EtcdClient client({dead, server_.endpoint()}, FastOptions());
  Result<int64_t> revision = client.Txn({EtcdOp::Put("s/k", "v")});
  ASSERT_TRUE(revision.ok()) << revision.status().message();
  Result<EtcdClient::Range> range = client.GetPrefix("s/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  EXPECT_EQ(range->kvs.size(), 1u);

  EventLog log;
  Status watched = client.Watch(
      "s/", *revision, [&](const std::vector<EtcdEvent>& events) { return log.Add(events, 1); });
  EXPECT_TRUE(watched.ok()) << watched.message();
  EXPECT_EQ(log.size(), 1u);
}

TEST(EtcdClientUnreachableTest, AllEndpointsDeadIsAClearErrorWithinTheConnectTimeout) {
  const std::string a = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  const std::string b = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  EtcdClient client({a, b}, FastOptions());
  const auto started = std::chrono::steady_clock::now();
  Result<int64_t> lease = client.GrantLease(5);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2 * FastOptions().connect_timeout + 500ms);
  ASSERT_FALSE(lease.ok());
  const std::string message = lease.status().message();
  EXPECT_NE(message.find("etcd at " + a + ": cannot connect"), std::string::npos) << message;
  EXPECT_NE(message.find("etcd at " + b + ": cannot connect"), std::string::npos) << message;

  Status watched = client.Watch("x/", 0, [](const std::vector<EtcdEvent>&) { return true; });
  ASSERT_FALSE(watched.ok());
  EXPECT_NE(watched.message().find("cannot connect"), std::string::npos) << watched.message();
}

TEST(EtcdClientUnreachableTest, NoEndpointsOrABadOneIsAnError) {
  EtcdClient none({}, FastOptions());
  EXPECT_FALSE(none.GetPrefix("x").ok());
  EtcdClient bad({"not a url"}, FastOptions());
  Result<EtcdClient::Range> range = bad.GetPrefix("x");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("not a url"), std::string::npos);
}

TEST(EtcdClientMalformedTest, AnswersThatAreNotEtcdsAreErrors) {
  testing::RawTcpServer ok(testing::RawTcpServer::Behavior::kOk);  // 200 "ok"
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(ok.port());
  EtcdClient::Options options = FastOptions();
  options.request_timeout = 300ms;  // the raw server answers one request per connection
  EtcdClient client({endpoint}, options);
  Result<EtcdClient::Range> range = client.GetPrefix("x/");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("malformed answer to kv/range"), std::string::npos)
      << range.status().message();
  EXPECT_FALSE(client.GrantLease(5).ok());
  EXPECT_FALSE(client.KeepAlive(1).ok());
  EXPECT_FALSE(client.Txn({EtcdOp::Put("a", "b")}).ok());
  EXPECT_FALSE(client.Watch("x/", 0, [](const std::vector<EtcdEvent>&) { return true; }).ok());

  testing::RawTcpServer silent(testing::RawTcpServer::Behavior::kNeverAnswer);
  EtcdClient slow({"http://127.0.0.1:" + std::to_string(silent.port())}, options);
  Result<EtcdClient::Range> timed_out = slow.GetPrefix("x/");
  ASSERT_FALSE(timed_out.ok());
  EXPECT_NE(timed_out.status().message().find("no complete answer"), std::string::npos)
      << timed_out.status().message();
}

TEST_F(EtcdClientTest, WorksAgainAfterEtcdIsKilledAndRestarted) {
  EtcdClient client = MakeClient();
  ASSERT_TRUE(client.Txn({EtcdOp::Put("restart/a", "1")}).ok());

  EventLog log;
  Status watched;
  std::thread watcher([&] {
    watched = client.Watch("restart/", 1,
                           [&](const std::vector<EtcdEvent>& events) { return log.Add(events); });
  });
  ASSERT_TRUE(WaitUntil([&] { return log.size() == 1; }, 10s));

  server_.Kill();
  watcher.join();
  ASSERT_FALSE(watched.ok());
  EXPECT_NE(watched.message().find("watch stream broke"), std::string::npos) << watched.message();
  Result<int64_t> down = client.Txn({EtcdOp::Put("restart/b", "2")});
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.status().message().find(server_.endpoint()), std::string::npos)
      << down.status().message();

  ASSERT_TRUE(server_.Start()) << server_.error();
  EXPECT_TRUE(WaitUntil([&] { return client.Txn({EtcdOp::Put("restart/b", "2")}).ok(); }, 10s));
  Result<EtcdClient::Range> range = client.GetPrefix("restart/");
  ASSERT_TRUE(range.ok()) << range.status().message();
  ASSERT_EQ(range->kvs.size(), 2u);  // the data survived the restart
  EXPECT_EQ(range->kvs[0].value, "1");
}

}  // namespace
}  // namespace vigil
