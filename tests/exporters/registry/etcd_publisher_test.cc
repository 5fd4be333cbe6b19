// EtcdPublisher against a real etcd on loopback (tests/support/etcd_server.h):
// leases, batching within etcd's limits, full writes that leave etcd equal to
// what the agent wants, and the faults: a lost lease, etcd down and back, a
// dead member. Skipped when etcd is not installed.
#include "exporters/registry/etcd_publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/etcd_server.h"
#include "tests/support/etcd_test.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::EtcdCluster;
using testing::EtcdServer;
using testing::WaitUntil;

EtcdClient::Options FastClient() { return testing::FastEtcdOptions(); }

// Records the callbacks, from the worker thread.
struct Observed {
  std::mutex mutex;
  std::vector<bool> connections;
  size_t published = 0;
  size_t failed = 0;

  std::vector<bool> connection_changes() {
    std::lock_guard<std::mutex> lock(mutex);
    return connections;
  }
};

// Keys of node "a" under "/p": "/p/a/…".
EtcdPublisher::Options Options(Observed* observed, int ttl = 10) {
  EtcdPublisher::Options options;
  options.prefix = "/p";
  options.owns = [](std::string_view key) { return key.rfind("/p/a/", 0) == 0; };
  options.lease_ttl_seconds = ttl;
  options.backoff_initial = 50ms;
  options.backoff_max = 300ms;
  options.client = FastClient();
  options.on_publish = [observed](bool ok, size_t keys) {
    std::lock_guard<std::mutex> lock(observed->mutex);
    (ok ? observed->published : observed->failed) += keys;
  };
  options.on_connection = [observed](bool connected, int64_t) {
    std::lock_guard<std::mutex> lock(observed->mutex);
    observed->connections.push_back(connected);
  };
  return options;
}

// What etcd holds under a prefix: key → (value, lease).
std::map<std::string, std::pair<std::string, int64_t>> Read(EtcdClient& client,
                                                            const std::string& prefix) {
  std::map<std::string, std::pair<std::string, int64_t>> out;
  Result<EtcdClient::Range> range = client.GetPrefix(prefix);
  if (!range.ok()) return out;
  for (const EtcdKeyValue& kv : range->kvs) out[kv.key] = {kv.value, kv.lease};
  return out;
}

std::map<std::string, std::string> Values(EtcdClient& client, const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [key, entry] : Read(client, prefix)) out[key] = entry.first;
  return out;
}

class EtcdPublisherTest : public testing::EtcdTest {
 protected:
  // What the test reads etcd with, apart from the publisher.
  EtcdClient& reader() { return etcd(); }
};

TEST_F(EtcdPublisherTest, WritesWhatItWantsOnItsOwnLease) {
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed));
  publisher.Update({{"/p/a/1", "one"}, {"/p/a/2", "two"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  const EtcdPublisher::State state = publisher.state();
  EXPECT_TRUE(state.connected);
  EXPECT_NE(state.lease, 0);
  EXPECT_EQ(state.full_writes, 1u);
  const auto held = Read(reader(), "/p/");
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held.at("/p/a/1"), std::make_pair(std::string("one"), state.lease));
  EXPECT_EQ(held.at("/p/a/2"), std::make_pair(std::string("two"), state.lease));

  // Changes after connecting: a new value, a deletion, a new key.
  publisher.Update({{"/p/a/1", "uno"}, {"/p/a/2", std::nullopt}, {"/p/a/3", "three"}});
  ASSERT_TRUE(publisher.Flush(10s));
  EXPECT_EQ(Values(reader(), "/p/"),
            (std::map<std::string, std::string>{{"/p/a/1", "uno"}, {"/p/a/3", "three"}}));
  EXPECT_EQ(Read(reader(), "/p/").at("/p/a/3").second, state.lease);
  EXPECT_EQ(observed.connection_changes(), std::vector<bool>{true});
  std::lock_guard<std::mutex> lock(observed.mutex);
  EXPECT_EQ(observed.published, 5u);
  EXPECT_EQ(observed.failed, 0u);
}

TEST_F(EtcdPublisherTest, SplitsLargeWritesWithinEtcdsTransactionLimit) {
  // etcd refuses a transaction of more than 128 operations by default...
  std::vector<EtcdOp> too_many;
  for (int i = 0; i < 129; ++i) too_many.push_back(EtcdOp::Put("/x/" + std::to_string(i), "v"));
  Result<int64_t> refused = reader().Txn(too_many);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("too many operations"), std::string::npos)
      << refused.status().message();

  // ...so the publisher splits a write of thousands of keys.
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed));
  publisher.Start();
  std::vector<EtcdPublisher::Change> changes;
  for (int i = 0; i < 3000; ++i) {
    changes.emplace_back("/p/a/" + std::to_string(i), std::string(200, 'v'));
  }
  publisher.Update(std::move(changes));
  ASSERT_TRUE(publisher.Flush(30s));
  EXPECT_EQ(Values(reader(), "/p/").size(), 3000u);
  std::lock_guard<std::mutex> lock(observed.mutex);
  EXPECT_EQ(observed.published, 3000u);
  EXPECT_EQ(observed.failed, 0u);
}

TEST_F(EtcdPublisherTest, AFullWriteDeletesItsStaleKeysAndNoOneElses) {
  // Left by an earlier run of this node, and another node's.
  ASSERT_TRUE(reader()
                  .Txn({EtcdOp::Put("/p/a/stale", "old"), EtcdOp::Put("/p/a/kept", "old"),
                        EtcdOp::Put("/p/b/other", "theirs"), EtcdOp::Put("/q/a/outside", "x")})
                  .ok());
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed));
  publisher.Update({{"/p/a/kept", "new"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  EXPECT_EQ(Values(reader(), "/p/"),
            (std::map<std::string, std::string>{{"/p/a/kept", "new"}, {"/p/b/other", "theirs"}}));
  EXPECT_EQ(Values(reader(), "/q/").size(), 1u);
}

TEST_F(EtcdPublisherTest, WritesEverythingAgainWhenItsLeaseIsGone) {
  Observed observed;
  // TTL 3: the lease is kept alive every second.
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed, /*ttl=*/3));
  publisher.Update({{"/p/a/1", "one"}, {"/p/a/2", "two"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  const int64_t first = publisher.state().lease;
  // Someone (an operator, etcd losing it) ends the lease: its keys go.
  ASSERT_TRUE(reader().Revoke(first).ok());
  EXPECT_TRUE(Values(reader(), "/p/").empty());
  ASSERT_TRUE(WaitUntil(
      [&] {
        const EtcdPublisher::State state = publisher.state();
        return state.connected && state.lease != first && Values(reader(), "/p/").size() == 2;
      },
      10s));
  EXPECT_EQ(Read(reader(), "/p/").at("/p/a/1").second, publisher.state().lease);
  EXPECT_EQ(publisher.state().full_writes, 2u);
}

TEST_F(EtcdPublisherTest, AfterEtcdWasDownEtcdEndsEqualToWhatItWants) {
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed, /*ttl=*/30));
  publisher.Update({{"/p/a/1", "one"}, {"/p/a/2", "two"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  const int64_t first = publisher.state().lease;

  server_.Kill();
  // Changes while etcd is away: they wait.
  publisher.Update({{"/p/a/1", "uno"}, {"/p/a/2", std::nullopt}, {"/p/a/3", "three"}});
  ASSERT_TRUE(WaitUntil([&] { return !publisher.state().connected; }, 10s));
  EXPECT_FALSE(publisher.Flush(100ms));
  // The first failure may be the kept-alive connection closing; a retry
  // finds nobody listening.
  ASSERT_TRUE(WaitUntil([&] { return publisher.state().failed_attempts >= 2; }, 10s));
  EXPECT_NE(publisher.state().error.find("cannot connect"), std::string::npos)
      << publisher.state().error;

  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(publisher.Flush(15s));
  // The old lease (30 s) still holds no key: everything is on the new one,
  // and the key deleted while etcd was away is gone.
  const auto held = Read(reader(), "/p/");
  const int64_t second = publisher.state().lease;
  EXPECT_NE(second, first);
  EXPECT_EQ(held.size(), 2u);
  EXPECT_EQ(held.at("/p/a/1"), std::make_pair(std::string("uno"), second));
  EXPECT_EQ(held.at("/p/a/3"), std::make_pair(std::string("three"), second));
  EXPECT_EQ(observed.connection_changes(), (std::vector<bool>{true, false, true}));
  std::lock_guard<std::mutex> lock(observed.mutex);
  EXPECT_GT(observed.published, 0u);
}

TEST_F(EtcdPublisherTest, StopWithRevokeTakesEveryKeyAwayAtOnce) {
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed, /*ttl=*/60));
  publisher.Update({{"/p/a/1", "one"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  // A last change, written before the lease goes.
  publisher.Update({{"/p/a/1", "terminating"}});
  publisher.Stop(/*revoke=*/true);
  EXPECT_TRUE(Values(reader(), "/p/").empty());
  EXPECT_EQ(publisher.state().lease, 0);
}

TEST_F(EtcdPublisherTest, StopWithoutRevokeLeavesTheKeysToTheirLease) {
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed, /*ttl=*/60));
  publisher.Update({{"/p/a/1", "one"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  publisher.Stop(/*revoke=*/false);
  EXPECT_EQ(Values(reader(), "/p/").size(), 1u);
}

TEST_F(EtcdPublisherTest, StopsPromptlyWhenEtcdIsGone) {
  Observed observed;
  EtcdPublisher publisher({server_.endpoint()}, Options(&observed));
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));
  server_.Kill();
  publisher.Update({{"/p/a/1", "one"}});
  const auto start = std::chrono::steady_clock::now();
  publisher.Stop(/*revoke=*/true, 500ms);
  // The agent's graceful stop must end within 5 s whatever etcd does.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST(EtcdPublisherClusterTest, KeepsPublishingWhenAMemberDies) {
  if (EtcdServer::Binary().empty()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
  EtcdCluster cluster(3);
  ASSERT_TRUE(cluster.Start()) << cluster.error();
  Observed observed;
  EtcdPublisher publisher(cluster.endpoints(), Options(&observed));
  publisher.Update({{"/p/a/1", "one"}});
  publisher.Start();
  ASSERT_TRUE(publisher.Flush(10s));

  // The member it talks to first dies; the others have quorum.
  cluster.KillMember(0);
  publisher.Update({{"/p/a/1", "uno"}, {"/p/a/2", "two"}});
  ASSERT_TRUE(publisher.Flush(15s));
  EtcdClient reader({cluster.member(1).endpoint()}, FastClient());
  EXPECT_EQ(Values(reader, "/p/"),
            (std::map<std::string, std::string>{{"/p/a/1", "uno"}, {"/p/a/2", "two"}}));
  // The keep-alives go on through the others too.
  ASSERT_TRUE(WaitUntil([&] { return publisher.state().connected; }, 5s));
}

}  // namespace
}  // namespace vigil
