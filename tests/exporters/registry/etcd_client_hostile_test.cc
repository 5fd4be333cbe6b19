// EtcdClient against a member that attacks: a real etcd behind HostileEtcd
// (tests/support/hostile_etcd.h), which answers chosen requests with attack
// bytes and forwards the others. Each attack ends in a clear error naming
// the member, within bounded time and memory, and the client works again
// once the member behaves. Skipped when etcd is not installed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "exporters/registry/etcd_client.h"
#include "tests/support/etcd_test.h"
#include "tests/support/hostile_etcd.h"
#include "tests/support/proc_stats.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::HostileEtcd;
using Attack = testing::HostileEtcd::Attack;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kMiB = 1024 * 1024;

bool Says(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

class EtcdClientHostileTest : public testing::EtcdTest {
 protected:
  void SetUp() override {
    testing::EtcdTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    hostile_ = std::make_unique<HostileEtcd>(server_.client_port());
  }

  EtcdClient::Options Options() {
    EtcdClient::Options options = testing::FastEtcdOptions();
    options.watch_idle_timeout = 2s;
    options.watch_line_timeout = 2s;
    return options;
  }
  EtcdClient Client() { return EtcdClient({hostile_->endpoint()}, Options()); }

  // Watches "w/" from the start; returns how it ended.
  Status WatchOnce(EtcdClient& client, EtcdClient::WatchEnd* end,
                   std::vector<EtcdEvent>* events = nullptr) {
    return client.Watch(
        "w/", 1,
        [&](const std::vector<EtcdEvent>& batch) {
          if (events == nullptr || batch.empty()) return true;
          events->insert(events->end(), batch.begin(), batch.end());
          return false;
        },
        end);
  }

  std::unique_ptr<HostileEtcd> hostile_;
};

TEST_F(EtcdClientHostileTest, A32KiBStatusLineIsAClearErrorNotACrash) {
  hostile_->Set(Attack::kHugeStatusLine, "");
  EtcdClient client = Client();
  const auto started = SteadyClock::now();
  Result<EtcdClient::Range> range = client.GetPrefix("w/");
  ASSERT_FALSE(range.ok());
  EXPECT_TRUE(Says(range.status(), "etcd at " + hostile_->endpoint() +
                                       ": refused an answer whose header lines are over 8 KiB"))
      << range.status().message();
  EtcdClient::WatchEnd end;
  Status watched = WatchOnce(client, &end);
  EXPECT_TRUE(Says(watched, "header lines are over 8 KiB")) << watched.message();
  EXPECT_TRUE(end.misbehaved);
  EXPECT_LT(SteadyClock::now() - started, 2s);
  EXPECT_GE(hostile_->attacked(), 2u);

  // The member behaves again: so does the client.
  hostile_->Set(Attack::kNone);
  EXPECT_TRUE(client.Txn({EtcdOp::Put("w/k", "v")}).ok());
  EXPECT_TRUE(client.GetPrefix("w/").ok());
}

TEST_F(EtcdClientHostileTest, AHeaderOfAMebibyteIsRefused) {
  hostile_->Set(Attack::kHugeHeader, "");
  EtcdClient client = Client();
  Result<int64_t> lease = client.GrantLease(5);
  ASSERT_FALSE(lease.ok());
  EXPECT_TRUE(Says(lease.status(), "header lines are over 8 KiB")) << lease.status().message();
}

TEST_F(EtcdClientHostileTest, AnAnswerOverTheCapIsRefusedNamingTheMember) {
  hostile_->Set(Attack::kEndlessBody, "/v3/kv/range");
  EtcdClient client = Client();
  const auto started = SteadyClock::now();
  Result<EtcdClient::Range> range = client.GetPrefix("w/");
  const auto took = SteadyClock::now() - started;
  ASSERT_FALSE(range.ok());
  EXPECT_TRUE(
      Says(range.status(), "etcd at " + hostile_->endpoint() + ": refused an answer over 64 MiB"))
      << range.status().message();
  // The client read up to the cap and stopped (what more was sent sat in
  // socket buffers).
  EXPECT_GE(hostile_->bytes_sent(), 64 * kMiB);
  EXPECT_LT(hostile_->bytes_sent(), 80 * kMiB);
  std::cout << "refused a 64 MiB range answer after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  // Unary calls other than kv/range are not attacked.
  EXPECT_TRUE(client.Txn({EtcdOp::Put("w/k", "v")}).ok());
}

TEST_F(EtcdClientHostileTest, AMemberThatAnswersGarbageIsSkippedForTheNextOne) {
  hostile_->Set(Attack::kHugeStatusLine, "");
  EtcdClient client({hostile_->endpoint(), server_.endpoint()}, Options());
  Result<int64_t> revision = client.Txn({EtcdOp::Put("w/a", "1")});
  ASSERT_TRUE(revision.ok()) << revision.status().message();
  std::vector<EtcdEvent> events;
  EtcdClient::WatchEnd end;
  Status watched = WatchOnce(client, &end, &events);
  EXPECT_TRUE(watched.ok()) << watched.message();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.key, "w/a");
}

// A watch line that never ends, at full speed: the watch ends at the line
// cap, having held no more than it, and the client watches again once the
// member behaves.
TEST_F(EtcdClientHostileTest, AWatchLineThatNeverEndsEndsTheWatchAtTheCap) {
  for (const auto& [attack, bytes] :
       {std::pair{Attack::kEndlessLine, uint64_t{0}}, std::pair{Attack::kHugeValue, 150 * kMiB}}) {
    SCOPED_TRACE(bytes == 0 ? "endless line" : "150 MB value");
    hostile_->Set(attack, "/v3/watch", "w/big", bytes);
    const uint64_t sent_before = hostile_->bytes_sent();
    EtcdClient client = Client();
    const uint64_t peak_before = testing::PeakResidentBytes();
    const auto cpu_before = testing::CpuTime();
    const auto started = SteadyClock::now();
    EtcdClient::WatchEnd end;
    Status watched = WatchOnce(client, &end);
    const auto took = SteadyClock::now() - started;
    const uint64_t growth = testing::PeakResidentBytes() - peak_before;
    ASSERT_FALSE(watched.ok());
    EXPECT_TRUE(Says(watched, "etcd at " + hostile_->endpoint() +
                                  ": a watch message over 16 MiB; ending the watch"))
        << watched.message();
    EXPECT_TRUE(end.misbehaved);
    EXPECT_LT(took, 10s);
    const uint64_t sent = hostile_->bytes_sent() - sent_before;
    EXPECT_GE(sent, 16 * kMiB);
    EXPECT_LT(sent, 32 * kMiB);
    EXPECT_LT(growth, 100 * kMiB);
    std::cout << (bytes == 0 ? "endless line" : "150 MB value") << ": watch ended after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms, "
              << sent / kMiB << " MiB read, peak RSS +" << growth / kMiB << " MiB, CPU "
              << (testing::CpuTime() - cpu_before).count() << " ms (client and server)\n";
  }
  hostile_->Set(Attack::kNone);
  EtcdClient client = Client();
  ASSERT_TRUE(client.Txn({EtcdOp::Put("w/a", "1")}).ok());
  std::vector<EtcdEvent> events;
  EXPECT_TRUE(WatchOnce(client, nullptr, &events).ok());
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(EtcdClientHostileTest, AValueOverTheCapIsDeliveredRefusedNotDecoded) {
  hostile_->Set(Attack::kHugeValue, "/v3/watch", "w/big", 2 * kMiB);
  EtcdClient client = Client();
  std::vector<EtcdEvent> events;
  Status watched = WatchOnce(client, nullptr, &events);
  EXPECT_TRUE(watched.ok()) << watched.message();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.key, "w/big");
  EXPECT_EQ(events[0].kv.value, "");
  EXPECT_EQ(events[0].kv.refused_value_bytes, 2 * kMiB);
}

TEST_F(EtcdClientHostileTest, ATrickledLineThatNeverEndsEndsTheWatchAtItsTimeout) {
  hostile_->Set(Attack::kTrickleLine);
  EtcdClient::Options options = Options();
  options.watch_line_timeout = 500ms;
  EtcdClient client({hostile_->endpoint()}, options);
  const auto started = SteadyClock::now();
  EtcdClient::WatchEnd end;
  Status watched = WatchOnce(client, &end);
  const auto took = SteadyClock::now() - started;
  EXPECT_TRUE(Says(watched, "did not end within 500 ms")) << watched.message();
  EXPECT_TRUE(end.misbehaved);
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 2s);
}

TEST_F(EtcdClientHostileTest, AStreamSilentPastItsIdleTimeoutEndsAsStuck) {
  hostile_->Set(Attack::kSilence);
  EtcdClient::Options options = Options();
  options.watch_idle_timeout = 500ms;
  EtcdClient client({hostile_->endpoint()}, options);
  const auto started = SteadyClock::now();
  EtcdClient::WatchEnd end;
  Status watched = WatchOnce(client, &end);
  EXPECT_TRUE(Says(watched, "delivered nothing (not even a progress notification) for 500 ms"))
      << watched.message();
  EXPECT_TRUE(end.misbehaved);
  EXPECT_LT(SteadyClock::now() - started, 2s);
}

TEST_F(EtcdClientHostileTest, AWatchLineThatIsNotJsonEndsTheWatch) {
  hostile_->Set(Attack::kNotJson);
  EtcdClient client = Client();
  EtcdClient::WatchEnd end;
  Status watched = WatchOnce(client, &end);
  EXPECT_TRUE(Says(watched, "malformed watch message: not JSON")) << watched.message();
  EXPECT_TRUE(end.misbehaved);
}

TEST_F(EtcdClientHostileTest, CancelEndsAWatchFedAnEndlessTrickleAtOnce) {
  hostile_->Set(Attack::kTrickleLine);
  EtcdClient::Options options = Options();
  options.watch_line_timeout = 1min;
  EtcdClient client({hostile_->endpoint()}, options);
  std::atomic<bool> returned{false};
  Status watched = Status::Error("not returned");
  SteadyClock::time_point returned_at;
  std::thread watcher([&] {
    watched = WatchOnce(client, nullptr);
    returned_at = SteadyClock::now();
    returned = true;
  });
  // The watch has its answer, and the trickle goes on.
  EXPECT_TRUE(testing::WaitUntil([&] { return hostile_->bytes_sent() > 0; }, 5s));
  const uint64_t sent = hostile_->bytes_sent();
  EXPECT_TRUE(testing::WaitUntil([&] { return hostile_->bytes_sent() > sent; }, 5s));
  const auto cancelled_at = SteadyClock::now();
  client.Cancel();
  EXPECT_TRUE(testing::WaitUntil([&] { return returned.load(); }, 2s));
  watcher.join();
  EXPECT_TRUE(watched.ok()) << watched.message();
  const auto took = returned_at - cancelled_at;
  std::cout << "Cancel ended the watch in "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
  EXPECT_LT(took, 100ms);
}

}  // namespace
}  // namespace vigil
