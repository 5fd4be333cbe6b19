#include "exporters/registry/watch_cursor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <tuple>

#include "tests/exporters/registry/endpoints_fixtures.h"

namespace vigil {
namespace {

using testing::MakeEndpoints;
using Type = WatchEvent::Type;
using E = std::tuple<Type, std::string, uint64_t>;

// (type, name, object's resourceVersion) of each event.
std::vector<E> Events(const std::vector<WatchEvent>& events) {
  std::vector<E> out;
  for (const WatchEvent& e : events) {
    if (e.type == Type::kError) {
      out.emplace_back(e.type, e.message, e.code);
    } else {
      out.emplace_back(e.type, e.object->name, e.object->resource_version);
    }
  }
  return out;
}

TEST(WatchCursorTest, StartsWithTheCurrentObjectsThenFollowsChanges) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("b", {true}), MakeEndpoints("a", {false})});
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), std::nullopt);
  EXPECT_EQ(Events(cursor.Take()),
            (std::vector<E>{{Type::kAdded, "a", 2}, {Type::kAdded, "b", 1}}));
  EXPECT_EQ(cursor.version(), 2u);
  EXPECT_TRUE(cursor.Take().empty());

  board.Put({MakeEndpoints("a", {true})});
  board.Delete({{"default", "b"}});
  EXPECT_EQ(Events(cursor.Take()),
            (std::vector<E>{{Type::kModified, "a", 3}, {Type::kDeleted, "b", 4}}));
  EXPECT_EQ(cursor.version(), 4u);
}

TEST(WatchCursorTest, ResumesExactlyAfterTheVersion) {
  StatusBoard board({.start_version = 0});
  for (int i = 0; i < 4; ++i) board.Put({MakeEndpoints("a", std::vector<bool>(i + 1, true))});
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), 2);
  EXPECT_EQ(Events(cursor.Take()),
            (std::vector<E>{{Type::kModified, "a", 3}, {Type::kModified, "a", 4}}));
}

TEST(WatchCursorTest, SelectorTurnsLeavingIntoDeletedAndEnteringIntoAdded) {
  StatusBoard board({.start_version = 0});
  EndpointsObject web = MakeEndpoints("web", {true});
  web.labels = {{"env", "prod"}};
  board.Put({web});
  WatchCursor cursor(board, "", std::nullopt, *LabelSelector::Parse("env=prod"), std::nullopt);
  ASSERT_EQ(cursor.Take().size(), 1u);
  web.labels = {{"env", "dev"}};
  board.Put({web});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{Type::kDeleted, "web", 2}}));
  web.labels = {{"env", "prod"}};
  board.Put({web});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{Type::kAdded, "web", 3}}));
}

TEST(WatchCursorTest, AVersionNoLongerKeptIsOneErrorThenNothing) {
  StatusBoard board({.history = 3, .start_version = 0});
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  WatchCursor cursor(board, "", "a", LabelSelector(), 2);
  EXPECT_EQ(
      Events(cursor.Take()),
      (std::vector<E>{
          {Type::kError, "too old resource version: 2 (the oldest to resume after is 7)", 410}}));
  EXPECT_TRUE(cursor.finished());
  EXPECT_TRUE(cursor.Take().empty());
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

using testing::MakeEndpoints;
using Type = WatchEvent::Type;

// A change of "a" at every put: its transition time moves on.
EndpointsObject Changed(const std::string& name, int i) {
  EndpointsObject object = MakeEndpoints(name, {i % 2 == 0});
  EndpointStatus& e = object.endpoints[0];
  e.last_transition_time += std::chrono::seconds(i);
  return object;
}

TEST(WatchCursorBatchTest, ABacklogComesInBoundedBatchesEachEventOnceInOrder) {
  StatusBoard board({.start_version = 1000});
  for (int i = 0; i < 100; ++i) board.Put({Changed(i % 3 == 0 ? "b" : "a", i)});
  ASSERT_EQ(board.resource_version(), 1100u);
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), 1000);
  std::vector<uint64_t> versions;
  size_t batches = 0;
  while (true) {
    const std::vector<WatchEvent> batch = cursor.Take(7);
    if (batch.empty()) break;
    ++batches;
    ASSERT_LE(batch.size(), 7u);
    for (const WatchEvent& e : batch) {
      ASSERT_NE(e.type, Type::kError);
      versions.push_back(e.object->resource_version);
    }
    // The place is remembered: the version reached is the last one taken.
    EXPECT_EQ(cursor.version(), versions.back());
  }
  EXPECT_EQ(batches, 15u);  // 14 of 7, then 2
  std::vector<uint64_t> all(100);
  std::iota(all.begin(), all.end(), 1001);
  EXPECT_EQ(versions, all);
  // Later changes come after, as usual.
  board.Put({Changed("a", 1000)});
  ASSERT_EQ(cursor.Take(7).size(), 1u);
  EXPECT_EQ(cursor.version(), 1101u);
}

TEST(WatchCursorBatchTest, ABatchEndsBetweenVersionsOnly) {
  StatusBoard board({.start_version = 0});
  board.CommitAt(10, {MakeEndpoints("a", {true})}, {});
  board.CommitAt(
      20, {MakeEndpoints("b", {true}), MakeEndpoints("c", {true}), MakeEndpoints("d", {true})}, {});
  board.CommitAt(30, {MakeEndpoints("a", {false})}, {});
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), 5);
  EXPECT_EQ(cursor.Take(1).size(), 1u);  // 10
  EXPECT_EQ(cursor.version(), 10u);
  // The three changes of version 20 come together: a watcher resuming
  // after 20 must have seen them all.
  const std::vector<WatchEvent> twenty = cursor.Take(2);
  ASSERT_EQ(twenty.size(), 3u);
  for (const WatchEvent& e : twenty) EXPECT_EQ(e.object->resource_version, 20u);
  EXPECT_EQ(cursor.version(), 20u);
  EXPECT_EQ(cursor.Take(2).size(), 1u);  // 30
  EXPECT_TRUE(cursor.Take(2).empty());
}

TEST(WatchCursorBatchTest, ASelectiveWatcherPassesOverWhatItDoesNotSeeInOneTake) {
  StatusBoard board({.start_version = 0});
  for (int i = 0; i < 3000; ++i) board.Put({Changed("other", i)});
  board.Put({Changed("web", 0)});
  WatchCursor cursor(board, "", std::nullopt, *LabelSelector::Parse("app=web"), 1);
  const std::vector<WatchEvent> events = cursor.Take(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].object->name, "web");
  EXPECT_EQ(cursor.version(), 3001u);
  EXPECT_TRUE(cursor.Take(1).empty());
}

TEST(WatchCursorBatchTest, TheListingComesInBatchesToo) {
  StatusBoard board({.start_version = 0});
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("s" + std::to_string(i), {true})});
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), std::nullopt);
  std::vector<size_t> sizes;
  std::vector<std::string> names;
  for (std::vector<WatchEvent> batch; !(batch = cursor.Take(3)).empty();) {
    sizes.push_back(batch.size());
    for (const WatchEvent& e : batch) {
      EXPECT_EQ(e.type, Type::kAdded);
      names.push_back(e.object->name);
    }
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(names.front(), "s0");
  EXPECT_EQ(names.back(), "s9");
  EXPECT_EQ(cursor.version(), 10u);
  // A change made while the listing was taken follows it.
  board.Put({MakeEndpoints("s0", {false})});
  ASSERT_EQ(cursor.Take(3).size(), 1u);
}

TEST(WatchCursorBatchTest, AWatcherOvertakenByTheHistoryInItsBacklogIsTold410) {
  StatusBoard board({.history = 10, .start_version = 0});
  for (int i = 0; i < 10; ++i) board.Put({Changed("a", i)});
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), 1);
  ASSERT_EQ(cursor.Take(3).size(), 3u);  // 2, 3, 4
  for (int i = 10; i < 20; ++i) board.Put({Changed("a", i)});
  const std::vector<WatchEvent> events = cursor.Take(3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, Type::kError);
  EXPECT_EQ(events[0].code, 410);
  EXPECT_EQ(events[0].message, "too old resource version: 4 (the oldest to resume after is 10)");
  EXPECT_TRUE(cursor.finished());
}

TEST(WatchCursorStartTest, AVersionFromBeforeTheBoardsStartIsTooOld) {
  StatusBoard board({.start_version = 5000});
  board.Put({MakeEndpoints("a", {true})});
  WatchCursor cursor(board, "", std::nullopt, LabelSelector(), 4999);
  const std::vector<WatchEvent> events = cursor.Take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, Type::kError);
  EXPECT_EQ(events[0].code, 410);
  EXPECT_EQ(events[0].message,
            "too old resource version: 4999 (the oldest to resume after is 5000)");

  WatchCursor from_start(board, "", std::nullopt, LabelSelector(), 5000);
  const std::vector<WatchEvent> all = from_start.Take();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].type, Type::kAdded);
  EXPECT_EQ(all[0].object->resource_version, 5001u);
}

}  // namespace
}  // namespace vigil
