#include "agent/api/watch_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/exporters/registry/endpoints_fixtures.h"

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
  StatusBoard board;
  board.Put({MakeEndpoints("b", {true}), MakeEndpoints("a", {false})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(),
                     std::nullopt);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "a", "2"}, {"ADDED", "b", "1"}}));
  EXPECT_EQ(cursor.version(), 2u);
  EXPECT_TRUE(cursor.Take().empty());

  board.Put({MakeEndpoints("a", {true})});
  board.Delete({"b"});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"MODIFIED", "a", "3"}, {"DELETED", "b", "4"}}));
  EXPECT_EQ(cursor.version(), 4u);
}

TEST(WatchStreamTest, VersionZeroStartsWithTheCurrentObjects) {
  StatusBoard board;
  board.Put({MakeEndpoints("a", {true})});
  board.Put({MakeEndpoints("a", {false})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(), 0);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "a", "2"}}));
}

TEST(WatchStreamTest, ResumingReplaysExactlyTheEventsAfterTheVersion) {
  StatusBoard board;
  // Each put differs from the last (one more endpoint), so each makes a version.
  for (int i = 0; i < 6; ++i) {
    board.Put({MakeEndpoints(i % 2 ? "a" : "b", std::vector<bool>(i + 1, true))});
  }
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(), 3);
  EXPECT_EQ(
      Events(cursor.Take()),
      (std::vector<E>{{"MODIFIED", "a", "4"}, {"MODIFIED", "b", "5"}, {"MODIFIED", "a", "6"}}));
  EXPECT_TRUE(cursor.Take().empty());
  board.Put({MakeEndpoints("c", {})});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "c", "7"}}));
}

TEST(WatchStreamTest, AVersionNoLongerKeptIsOneError410) {
  StatusBoard board(/*history=*/3);
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(), 2);
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
  StatusBoard board;
  board.Put({MakeEndpoints("a", {true}), MakeEndpoints("b", {true})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, "b", LabelSelector(), std::nullopt);
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"ADDED", "b", "2"}}));
  board.Put({MakeEndpoints("a", {false}), MakeEndpoints("b", {false})});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"MODIFIED", "b", "4"}}));
  EXPECT_EQ(cursor.version(), 4u);
}

TEST(WatchStreamTest, ObjectsEnterAndLeaveTheSelection) {
  StatusBoard board;
  EndpointsObject web = MakeEndpoints("web", {true});
  web.labels = {{"env", "prod"}};
  board.Put({web, MakeEndpoints("other", {true})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, Select("env=prod"),
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
  board.Delete({"other", "web"});
  EXPECT_EQ(Events(cursor.Take()), (std::vector<E>{{"DELETED", "web", "7"}}));
}

TEST(WatchStreamTest, ServicesCarryCountsAndTheirKind) {
  StatusBoard board;
  board.Put({MakeEndpoints("a", {true, false, true})});
  WatchStream cursor(board, board, WatchKind::kServices, std::nullopt, LabelSelector(),
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
  StatusBoard board;
  board.Put({MakeEndpoints("a", {true})});
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(),
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
  StatusBoard board;
  board.CommitAt(10, {testing::MakeEndpoints("a", {true})}, {});
  WatchStream cursor(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(),
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
  WatchStream fresh(board, board, WatchKind::kEndpoints, std::nullopt, LabelSelector(),
                    std::nullopt);
  ASSERT_EQ(fresh.Take().size(), 1u);
  board.CommitAt(6, {testing::MakeEndpoints("a", {true})}, {});
  ASSERT_EQ(fresh.Take().size(), 1u);
}

}  // namespace
}  // namespace vigil
