#include "exporters/registry/watch_cursor.h"

#include <gtest/gtest.h>

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
  StatusBoard board;
  board.Put({MakeEndpoints("b", {true}), MakeEndpoints("a", {false})});
  WatchCursor cursor(board, std::nullopt, LabelSelector(), std::nullopt);
  EXPECT_EQ(Events(cursor.Take()),
            (std::vector<E>{{Type::kAdded, "a", 2}, {Type::kAdded, "b", 1}}));
  EXPECT_EQ(cursor.version(), 2u);
  EXPECT_TRUE(cursor.Take().empty());

  board.Put({MakeEndpoints("a", {true})});
  board.Delete({"b"});
  EXPECT_EQ(Events(cursor.Take()),
            (std::vector<E>{{Type::kModified, "a", 3}, {Type::kDeleted, "b", 4}}));
  EXPECT_EQ(cursor.version(), 4u);
}

TEST(WatchCursorTest, ResumesExactlyAfterTheVersion) {
  StatusBoard board;
  for (int i = 0; i < 4; ++i) board.Put({MakeEndpoints("a", std::vector<bool>(i + 1, true))});
  WatchCursor cursor(board, std::nullopt, LabelSelector(), 2);
  EXPECT_EQ(Events(cursor.Take()),
            (std::vector<E>{{Type::kModified, "a", 3}, {Type::kModified, "a", 4}}));
}

TEST(WatchCursorTest, SelectorTurnsLeavingIntoDeletedAndEnteringIntoAdded) {
  StatusBoard board;
  EndpointsObject web = MakeEndpoints("web", {true});
  web.labels = {{"env", "prod"}};
  board.Put({web});
  WatchCursor cursor(board, std::nullopt, *LabelSelector::Parse("env=prod"), std::nullopt);
  ASSERT_EQ(cursor.Take().size(), 1u);
  web.labels = {{"env", "dev"}};
  board.Put({web});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{Type::kDeleted, "web", 2}}));
  web.labels = {{"env", "prod"}};
  board.Put({web});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{Type::kAdded, "web", 3}}));
}

TEST(WatchCursorTest, AVersionNoLongerKeptIsOneErrorThenNothing) {
  StatusBoard board(/*history=*/3);
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  WatchCursor cursor(board, "a", LabelSelector(), 2);
  EXPECT_EQ(
      Events(cursor.Take()),
      (std::vector<E>{
          {Type::kError, "too old resource version: 2 (the oldest to resume after is 7)", 410}}));
  EXPECT_TRUE(cursor.finished());
  EXPECT_TRUE(cursor.Take().empty());
}

}  // namespace
}  // namespace vigil
