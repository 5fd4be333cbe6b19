#include "agent/api/watch_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/exporters/registry/endpoints_fixtures.h"
#include "tests/support/heap.h"

namespace vigil {
namespace {

using testing::MakeEndpoints;

LabelSelector Select(const std::string& text) { return *LabelSelector::Parse(text); }

// (type, name, resourceVersion) of each line.
std::vector<std::tuple<std::string, std::string, std::string>> Events(
    const std::vector<std::string>& lines) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const std::string& line : lines) {
    EXPECT_EQ(line.back(), '\n');
    const nlohmann::json j = nlohmann::json::parse(line);
    out.emplace_back(j["type"], j["object"].value("name", ""), j["object"]["resourceVersion"]);
  }
  return out;
}

using E = std::tuple<std::string, std::string, std::string>;

TEST(WatchStreamTest, StartsWithTheCurrentObjectsThenFollowsChanges) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("b", {true}), MakeEndpoints("a", {false})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(),
                     std::nullopt);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "a", "2"}, {"ADDED", "b", "1"}}));
  EXPECT_EQ(cursor.version(), 2u);
  EXPECT_TRUE(cursor.Take().empty());

  board.Put({MakeEndpoints("a", {true})});
  board.Delete({{"default", "b"}});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"MODIFIED", "a", "3"}, {"DELETED", "b", "4"}}));
  EXPECT_EQ(cursor.version(), 4u);
}

TEST(WatchStreamTest, VersionZeroStartsWithTheCurrentObjects) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {true})});
  board.Put({MakeEndpoints("a", {false})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(), 0);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "a", "2"}}));
}

TEST(WatchStreamTest, ResumingReplaysExactlyTheEventsAfterTheVersion) {
  StatusBoard board({.start_version = 0});
  // Each put differs from the last (one more endpoint), so each makes a version.
  for (int i = 0; i < 6; ++i) {
    board.Put({MakeEndpoints(i % 2 ? "a" : "b", std::vector<bool>(i + 1, true))});
  }
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(), 3);
  EXPECT_EQ(
      Events(cursor.Take()),
      (std::vector<E>{{"MODIFIED", "a", "4"}, {"MODIFIED", "b", "5"}, {"MODIFIED", "a", "6"}}));
  EXPECT_TRUE(cursor.Take().empty());
  board.Put({MakeEndpoints("c", {})});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "c", "7"}}));
}

TEST(WatchStreamTest, AVersionNoLongerKeptIsOneError410) {
  StatusBoard board({.history = 3, .start_version = 0});
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(), 2);
  const std::vector<std::string> lines = cursor.Take();
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json error = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(error["type"], "ERROR");
  EXPECT_EQ(error["object"]["kind"], "Status");
  EXPECT_EQ(error["object"]["code"], 410);
  EXPECT_EQ(error["object"]["message"],
            "too old resource version: 2 (the oldest to resume after is 7)");
  EXPECT_TRUE(cursor.finished());
  EXPECT_TRUE(cursor.Take().empty());
}

TEST(WatchStreamTest, OneObjectByName) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {true}), MakeEndpoints("b", {true})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", "b", LabelSelector(), std::nullopt);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "b", "2"}}));
  board.Put({MakeEndpoints("a", {false}), MakeEndpoints("b", {false})});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"MODIFIED", "b", "4"}}));
  EXPECT_EQ(cursor.version(), 4u);
}

TEST(WatchStreamTest, ObjectsEnterAndLeaveTheSelection) {
  StatusBoard board({.start_version = 0});
  EndpointsObject web = MakeEndpoints("web", {true});
  web.labels = {{"env", "prod"}};
  board.Put({web, MakeEndpoints("other", {true})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, Select("env=prod"),
                     std::nullopt);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "web", "1"}}));

  web.labels = {{"env", "dev"}};  // leaves the selection
  board.Put({web});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"DELETED", "web", "3"}}));
  web.endpoints[0].conditions.ready = false;  // changes unseen
  board.Put({web});
  EXPECT_TRUE(cursor.Take().empty());
  web.labels = {{"env", "prod"}};  // comes back
  board.Put({web});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "web", "5"}}));
  board.Delete({{"default", "other"}, {"default", "web"}});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"DELETED", "web", "7"}}));
}

TEST(WatchStreamTest, ServicesCarryCountsAndTheirKind) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {true, false, true})});
  WatchStream cursor(board, board, WatchKind::kServices, "", std::nullopt, LabelSelector(),
                     std::nullopt);
  const std::vector<std::string> lines = cursor.Take();
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["object"]["kind"], "Service");
  EXPECT_EQ(j["object"]["ready"], 2);
  EXPECT_EQ(j["object"]["notReady"], 1);
  EXPECT_EQ(j["object"]["resourceVersion"], "1");
}

TEST(WatchStreamTest, BookmarkCarriesTheVersionReached) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {true})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(),
                     std::nullopt);
  cursor.Take();
  EXPECT_EQ(cursor.Bookmark(),
            R"({"object":{"kind":"Endpoints","resourceVersion":"1"},"type":"BOOKMARK"})"
            "\n");
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(WatchStreamResetTest, AWatcherFromBeforeTheHistoryRestartedIsToldToListAgain) {
  StatusBoard board({.start_version = 0});
  board.CommitAt(10, {testing::MakeEndpoints("a", {true})}, {});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(),
                     std::nullopt);
  ASSERT_EQ(cursor.Take().size(), 1u);  // ADDED a
  board.ResetTo(5, {testing::MakeEndpoints("a", {false})});
  const std::vector<std::string> lines = cursor.Take();
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json event = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(event["type"], "ERROR");
  EXPECT_EQ(event["object"]["code"], 410);
  EXPECT_TRUE(cursor.finished());

  // A watcher that starts afterwards follows as usual.
  WatchStream fresh(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(),
                    std::nullopt);
  ASSERT_EQ(fresh.Take().size(), 1u);
  board.CommitAt(6, {testing::MakeEndpoints("a", {true})}, {});
  ASSERT_EQ(fresh.Take().size(), 1u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// The resourceVersion of an Endpoints line, read without parsing the line.
uint64_t LineVersion(const std::string& line) {
  const std::string field = R"("resourceVersion":")";
  const size_t at = line.find(field);
  if (at == std::string::npos) return 0;
  return std::stoull(line.substr(at + field.size()));
}

// A watcher resuming over a long history gets it a batch at a time, and the
// stream holds about one batch: formatted at once, the 4,096 events of a
// flapping 1,010-endpoint service took 930 MB. (bench/run board measures
// that case; here the budget is small, so that a backlog of 1.3 MB is many
// batches.)
TEST(WatchStreamBatchTest, AResumeOverALongHistoryHoldsOneBatchAtATime) {
  constexpr size_t kEndpoints = 30;
  constexpr size_t kEvents = 200;
  constexpr size_t kBudget = 32 << 10;
  StatusBoard board({.history = kEvents, .start_version = 0});
  EndpointsObject object = testing::MakeLargeEndpoints("web", kEndpoints);
  board.Put({object});
  const uint64_t since = board.resource_version();
  for (size_t i = 0; i < kEvents; ++i) {
    testing::Flip(object, (i * 7) % kEndpoints);
    board.Put({object});
  }
  WatchStream stream(board, board, WatchKind::kEndpoints, "", std::nullopt, LabelSelector(), since,
                     kBudget);
  testing::HeapPeak peak;
  uint64_t expected = since + 1;
  size_t batches = 0;
  size_t total = 0;
  size_t longest = 0;
  while (true) {
    const std::vector<std::string> lines = stream.Take();
    peak.Sample();
    if (lines.empty()) break;
    ++batches;
    size_t bytes = 0;
    for (const std::string& line : lines) {
      ASSERT_EQ(LineVersion(line), expected) << "each event once, in order";
      ++expected;
      bytes += line.size();
      longest = std::max(longest, line.size());
    }
    // A batch passes its budget by its last line at most.
    EXPECT_LT(bytes - lines.back().size(), kBudget);
    total += bytes;
  }
  EXPECT_EQ(expected, since + kEvents + 1);
  EXPECT_GE(batches, total / (kBudget + longest));
  EXPECT_GT(total, size_t{1} << 20);
  // One batch and the formatting of one more line, not the backlog.
  EXPECT_LT(peak.above_start(), 4 * (kBudget + longest)) << "of a backlog of " << total;
}

}  // namespace
}  // namespace vigil
