#include "exporters/registry/status_board.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "tests/exporters/registry/endpoints_fixtures.h"
#include "tests/support/heap.h"

namespace vigil {
namespace {

using testing::MakeEndpoints;

std::vector<std::pair<EventType, uint64_t>> Summary(const std::vector<BoardEvent>& events) {
  std::vector<std::pair<EventType, uint64_t>> out;
  for (const BoardEvent& e : events) out.emplace_back(e.type, e.resource_version);
  return out;
}

TEST(StatusBoardTest, EachChangeGetsTheNextVersionAndAnEvent) {
  StatusBoard board({.start_version = 0});
  EXPECT_EQ(board.resource_version(), 0u);
  board.Put({MakeEndpoints("a", {false}), MakeEndpoints("b", {true})});
  EXPECT_EQ(board.resource_version(), 2u);
  board.Put({MakeEndpoints("a", {true})});
  board.Delete({{"default", "b"}});
  EXPECT_EQ(board.resource_version(), 4u);

  const auto events = board.EventsSince(0);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ(Summary(*events),
            (std::vector<std::pair<EventType, uint64_t>>{{EventType::kAdded, 1},
                                                         {EventType::kAdded, 2},
                                                         {EventType::kModified, 3},
                                                         {EventType::kDeleted, 4}}));
  EXPECT_EQ((*events)[0].object->name, "a");
  EXPECT_EQ((*events)[2].object->resource_version, 3u);
  EXPECT_TRUE((*events)[2].object->endpoints[0].conditions.ready);
  // A DELETED event carries the last state, stamped with the deletion's version.
  EXPECT_EQ((*events)[3].object->name, "b");
  EXPECT_EQ((*events)[3].object->resource_version, 4u);
  EXPECT_EQ(board.Get({"default", "b"}), nullptr);
}

TEST(StatusBoardTest, PuttingTheSameContentIsNoChange) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {true, false})});
  board.Put({MakeEndpoints("a", {true, false})});
  EXPECT_EQ(board.resource_version(), 1u);
  board.Delete({{"default", "missing"}});
  EXPECT_EQ(board.resource_version(), 1u);
}

TEST(StatusBoardTest, SnapshotsAreImmutableAndSortedByName) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("zebra", {true}), MakeEndpoints("alpaca", {false})});
  const BoardSnapshot before = board.Snapshot();
  board.Put({MakeEndpoints("alpaca", {true})});
  ASSERT_EQ(before.services.size(), 2u);
  EXPECT_EQ(before.resource_version, 2u);
  EXPECT_EQ(before.services[0]->name, "alpaca");
  EXPECT_FALSE(before.services[0]->endpoints[0].conditions.ready);  // unchanged by the later Put
  EXPECT_TRUE(board.Get({"default", "alpaca"})->endpoints[0].conditions.ready);
  EXPECT_EQ(board.Snapshot().resource_version, 3u);
}

TEST(StatusBoardTest, EventsSinceReplaysExactlyWhatFollows) {
  StatusBoard board({.start_version = 0});
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  const auto events = board.EventsSince(7);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ(Summary(*events),
            (std::vector<std::pair<EventType, uint64_t>>{
                {EventType::kModified, 8}, {EventType::kModified, 9}, {EventType::kModified, 10}}));
  EXPECT_TRUE(board.EventsSince(10)->empty());
  EXPECT_TRUE(board.EventsSince(99)->empty());
}

TEST(StatusBoardTest, VersionsOlderThanTheHistoryAreGone) {
  StatusBoard board({.history = 5, .start_version = 0});
  for (int i = 0; i < 12; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  // Kept: versions 8..12. Resuming after 7 needs 8 onwards: still possible.
  ASSERT_TRUE(board.EventsSince(7).has_value());
  EXPECT_EQ(board.EventsSince(7)->size(), 5u);
  EXPECT_FALSE(board.EventsSince(6).has_value());
  EXPECT_FALSE(board.EventsSince(0).has_value());
}

TEST(StatusBoardTest, ProbeDetailsDoNotMakeVersions) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {false})});
  board.RecordProbe({"default", "a"}, "10.0.0.1:80",
                    ProbeDetails{WallTime(), ProbeOutcome::kFailure, "HTTP probe failed"});
  EXPECT_EQ(board.resource_version(), 1u);
  ASSERT_TRUE(board.Probe({"default", "a"}, "10.0.0.1:80").has_value());
  EXPECT_EQ(board.Probe({"default", "a"}, "10.0.0.1:80")->message, "HTTP probe failed");
  EXPECT_FALSE(board.Probe({"default", "a"}, "10.0.0.2:80").has_value());

  board.ForgetProbes({"default", "a"}, "10.0.0.1:80");
  EXPECT_FALSE(board.Probe({"default", "a"}, "10.0.0.1:80").has_value());

  board.RecordProbe({"default", "a"}, "10.0.0.1:80", ProbeDetails{});
  board.Delete({{"default", "a"}});
  EXPECT_FALSE(board.Probe({"default", "a"}, "10.0.0.1:80").has_value());
}

TEST(StatusBoardTest, WaitForChangeReturnsAtOnceWhenAlreadyNewer) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("a", {true})});
  EXPECT_EQ(board.WaitForChange(0, std::chrono::hours(1)), 1u);
}

TEST(StatusBoardTest, WaitForChangeTimesOutWithoutAChange) {
  StatusBoard board({.start_version = 0});
  EXPECT_EQ(board.WaitForChange(0, std::chrono::milliseconds(20)), 0u);
}

TEST(StatusBoardTest, WaitForChangeWakesOnAPutFromAnotherThread) {
  StatusBoard board({.start_version = 0});
  uint64_t seen = 0;
  std::thread waiter([&] { seen = board.WaitForChange(0, std::chrono::seconds(30)); });
  board.Put({MakeEndpoints("a", {true})});
  waiter.join();
  EXPECT_EQ(seen, 1u);
}

TEST(EndpointsObjectTest, CountReady) {
  EXPECT_EQ(MakeEndpoints("a", {true, false, true}).CountReady(), 2u);
  EXPECT_EQ(MakeEndpoints("a", {}).CountReady(), 0u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(StatusBoardTransitionsTest, KeepsTheLastFewPerServiceAndForgetsDeletedServices) {
  StatusBoard board({.start_version = 0});
  board.Put({testing::MakeEndpoints("a", {true})});
  for (size_t i = 0; i < StatusBoard::kTransitionsPerService + 5; ++i) {
    board.RecordTransition({"default", "a"}, Transition{WallTime(), "10.0.0.1:8080", "node-a",
                                                        i % 2 == 0, "reason " + std::to_string(i)});
  }
  const std::vector<Transition> kept = board.Transitions({"default", "a"});
  ASSERT_EQ(kept.size(), StatusBoard::kTransitionsPerService);
  EXPECT_EQ(kept.front().reason, "reason 5");
  EXPECT_EQ(kept.back().reason,
            "reason " + std::to_string(StatusBoard::kTransitionsPerService + 4));
  EXPECT_TRUE(board.Transitions({"default", "b"}).empty());
  board.Delete({{"default", "a"}});
  EXPECT_TRUE(board.Transitions({"default", "a"}).empty());
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

using testing::MakeEndpoints;

// A board that mirrors a store with versions of its own (etcd's revisions).
TEST(StatusBoardMirrorTest, ChangesOfOneCommitShareTheStoresVersion) {
  StatusBoard board({.start_version = 0});
  board.CommitAt(17, {MakeEndpoints("a", {true}), MakeEndpoints("b", {false})}, {});
  EXPECT_EQ(board.resource_version(), 17u);
  board.CommitAt(25, {MakeEndpoints("a", {false})}, {{"default", "b"}});
  EXPECT_EQ(board.resource_version(), 25u);
  EXPECT_EQ(board.Get({"default", "a"})->resource_version, 25u);

  const auto events = board.EventsSince(0);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ(Summary(*events),
            (std::vector<std::pair<EventType, uint64_t>>{{EventType::kAdded, 17},
                                                         {EventType::kAdded, 17},
                                                         {EventType::kModified, 25},
                                                         {EventType::kDeleted, 25}}));
  // Resuming between two versions, or at one, gives what came after it.
  EXPECT_EQ(board.EventsSince(17)->size(), 2u);
  EXPECT_EQ(board.EventsSince(20)->size(), 2u);
  EXPECT_EQ(board.EventsSince(25)->size(), 0u);
  EXPECT_EQ(board.EventsSince(16)->size(), 4u);
}

TEST(StatusBoardMirrorTest, ReplaceAtDeletesWhatTheStoreNoLongerHas) {
  StatusBoard board({.start_version = 0});
  board.CommitAt(5, {MakeEndpoints("a", {true}), MakeEndpoints("b", {true})}, {});
  board.ReplaceAt(9, {MakeEndpoints("b", {true}), MakeEndpoints("c", {false})});
  const auto events = board.EventsSince(5);
  ASSERT_TRUE(events.has_value());
  // b is unchanged: no event.
  EXPECT_EQ(Summary(*events), (std::vector<std::pair<EventType, uint64_t>>{
                                  {EventType::kAdded, 9}, {EventType::kDeleted, 9}}));
  EXPECT_EQ((*events)[0].object->name, "c");
  EXPECT_EQ((*events)[1].object->name, "a");
  EXPECT_EQ(board.Get({"default", "a"}), nullptr);
  EXPECT_EQ(board.Snapshot().services.size(), 2u);
}

TEST(StatusBoardMirrorTest, AStoreVersionThatWentBackStillMovesTheBoardForward) {
  StatusBoard board({.start_version = 0});
  board.CommitAt(100, {MakeEndpoints("a", {true})}, {});
  // The store lost its data and counts from 3 again; an unversioned local
  // change (0) takes the next version too.
  board.CommitAt(3, {MakeEndpoints("a", {false})}, {});
  EXPECT_EQ(board.resource_version(), 101u);
  board.CommitAt(0, {MakeEndpoints("a", {true})}, {});
  EXPECT_EQ(board.resource_version(), 102u);
  board.CommitAt(150, {MakeEndpoints("a", {false})}, {});
  EXPECT_EQ(board.resource_version(), 150u);
  // A commit that changes nothing leaves the version as it is.
  board.CommitAt(160, {MakeEndpoints("a", {false})}, {{"default", "missing"}});
  EXPECT_EQ(board.resource_version(), 150u);
}

TEST(StatusBoardMirrorTest, ResumingBeforeDroppedEventsIsRefused) {
  StatusBoard board({.history = 3, .start_version = 0});
  board.CommitAt(10, {MakeEndpoints("a", {true}), MakeEndpoints("b", {true})}, {});
  board.CommitAt(20, {MakeEndpoints("a", {false})}, {});
  board.CommitAt(30, {MakeEndpoints("b", {false})}, {});
  // One event of version 10 was dropped: resuming at or before 10 misses it...
  EXPECT_EQ(board.oldest_resumable_version(), 10u);
  EXPECT_FALSE(board.EventsSince(9).has_value());
  // ...and at 10 the watcher has all of 10 already.
  ASSERT_TRUE(board.EventsSince(10).has_value());
  EXPECT_EQ(board.EventsSince(10)->size(), 2u);
  EXPECT_EQ(board.EventsSince(25)->size(), 1u);
}

TEST(StatusBoardProbeChangesTest, NotesFirstProbesAndChangedResultsOnlyWhenTracking) {
  StatusBoard board({.start_version = 0});
  const WallTime t = WallTime() + std::chrono::hours(24 * 365 * 56);
  board.RecordProbe({"default", "a"}, "10.0.0.1:80", ProbeDetails{t, ProbeOutcome::kSuccess, ""});
  EXPECT_TRUE(board.TakeProbeChanges().empty());

  board.TrackProbeChanges();
  board.RecordProbe({"default", "a"}, "10.0.0.1:80", ProbeDetails{t, ProbeOutcome::kSuccess, ""});
  board.RecordProbe({"default", "a"}, "10.0.0.2:80", ProbeDetails{t, ProbeOutcome::kSuccess, ""});
  using Keys = std::set<std::pair<NamespacedName, std::string>>;
  EXPECT_EQ(board.TakeProbeChanges(), (Keys{{{"default", "a"}, "10.0.0.2:80"}}));

  // The same result again, only later: nothing to note.
  board.RecordProbe({"default", "a"}, "10.0.0.2:80",
                    ProbeDetails{t + std::chrono::seconds(1), ProbeOutcome::kSuccess, ""});
  EXPECT_TRUE(board.TakeProbeChanges().empty());
  board.RecordProbe({"default", "a"}, "10.0.0.2:80",
                    ProbeDetails{t, ProbeOutcome::kFailure, "HTTP 503"});
  board.RecordProbe({"default", "a"}, "10.0.0.1:80", ProbeDetails{t, ProbeOutcome::kSuccess, ""});
  board.RecordProbe({"default", "b"}, "10.0.0.1:80",
                    ProbeDetails{t, ProbeOutcome::kTimeout, "timed out"});
  EXPECT_EQ(board.TakeProbeChanges(),
            (Keys{{{"default", "a"}, "10.0.0.2:80"}, {{"default", "b"}, "10.0.0.1:80"}}));
  board.RecordProbe({"default", "a"}, "10.0.0.2:80",
                    ProbeDetails{t, ProbeOutcome::kFailure, "HTTP 500"});
  EXPECT_EQ(board.TakeProbeChanges(), (Keys{{{"default", "a"}, "10.0.0.2:80"}}));
  EXPECT_TRUE(board.TakeProbeChanges().empty());
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(StatusBoardResetTest, StartsTheHistoryOverAtALowerVersionInANewEpoch) {
  StatusBoard board({.start_version = 0});
  board.CommitAt(10, {testing::MakeEndpoints("a", {true}), testing::MakeEndpoints("b", {true})},
                 {});
  board.CommitAt(0, {testing::MakeEndpoints("a", {false})}, {});
  const uint64_t epoch = board.epoch();
  board.ResetTo(8, {testing::MakeEndpoints("a", {true}), testing::MakeEndpoints("c", {false})});
  EXPECT_EQ(board.epoch(), epoch + 1);
  EXPECT_EQ(board.resource_version(), 8u);
  ASSERT_NE(board.Get({"default", "a"}), nullptr);
  EXPECT_TRUE(board.Get({"default", "a"})->endpoints[0].conditions.ready);
  EXPECT_EQ(board.Get({"default", "a"})->resource_version, 8u);
  EXPECT_EQ(board.Get({"default", "b"}), nullptr);
  ASSERT_NE(board.Get({"default", "c"}), nullptr);
  EXPECT_EQ(board.Snapshot().services.size(), 2u);
  // Nothing before the reset can be resumed; after it, as usual.
  EXPECT_FALSE(board.EventsSince(7).has_value());
  EXPECT_TRUE(board.EventsSince(8)->empty());
  board.CommitAt(9, {testing::MakeEndpoints("c", {true})}, {});
  ASSERT_EQ(board.EventsSince(8)->size(), 1u);
  EXPECT_EQ(board.EventsSince(8)->front().resource_version, 9u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(StatusBoardProbeSlotTest, ASlotHoldsNothingUntilAProbeIsRecordedThere) {
  StatusBoard board({.start_version = 0});
  StatusBoard::ProbeEntry* slot = board.ProbeSlot({"default", "a"}, "10.0.0.1:80");
  EXPECT_FALSE(board.Probe({"default", "a"}, "10.0.0.1:80").has_value());
  const WallTime t = WallTime() + std::chrono::hours(24 * 365 * 56);
  board.RecordProbe(slot, {"default", "a"}, "10.0.0.1:80",
                    ProbeDetails{t, ProbeOutcome::kFailure, "down"});
  ASSERT_TRUE(board.Probe({"default", "a"}, "10.0.0.1:80").has_value());
  EXPECT_EQ(board.Probe({"default", "a"}, "10.0.0.1:80")->message, "down");
  // Other slots do not move it.
  for (int i = 0; i < 1000; ++i)
    board.ProbeSlot({"default", "a"}, "10.0.1." + std::to_string(i) + ":80");
  board.RecordProbe(slot, {"default", "a"}, "10.0.0.1:80",
                    ProbeDetails{t, ProbeOutcome::kSuccess, ""});
  EXPECT_EQ(board.Probe({"default", "a"}, "10.0.0.1:80")->result, ProbeOutcome::kSuccess);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

using testing::Flip;
using testing::HeapInUse;
using testing::MakeLargeEndpoints;

TEST(StatusBoardSharingTest, AVersionSharesTheEndpointsThatDidNotChangeWithTheOneBefore) {
  StatusBoard board({.start_version = 0});
  EndpointsObject object = MakeLargeEndpoints("web", 1010);
  board.Put({object});
  const auto first = board.Get({"default", "web"});
  Flip(object, 600);
  board.Put({object});
  const auto second = board.Get({"default", "web"});
  ASSERT_NE(first, second);
  EXPECT_TRUE(first->endpoints[600].conditions.ready);  // as committed
  EXPECT_FALSE(second->endpoints[600].conditions.ready);
  for (size_t i = 0; i < 1010; ++i) {
    ASSERT_EQ(&first->endpoints[i] == &second->endpoints[i], i != 600) << i;
  }

  // An object built anew (as the cluster view builds them) shares as much.
  EndpointsObject rebuilt = MakeLargeEndpoints("web", 1010);
  Flip(rebuilt, 600);
  Flip(rebuilt, 3);
  board.Put({rebuilt});
  const auto third = board.Get({"default", "web"});
  EXPECT_EQ(third->resource_version, 3u);
  for (size_t i = 0; i < 1010; ++i) {
    ASSERT_EQ(&third->endpoints[i] == &second->endpoints[i], i != 3) << i;
  }
  // Equal content built anew is still no change.
  board.Put({rebuilt});
  EXPECT_EQ(board.resource_version(), 3u);
}

// A service of 1,010 endpoints that flap, one flip per event, for the whole
// history: with a copy of the service per version the history held 4,096
// copies of it (hundreds of megabytes); shared, it holds the flips.
TEST(StatusBoardSharingTest, TheHistoryOfAFlappingServiceCostsTheFlipsNotTheService) {
  constexpr size_t kEndpoints = 1010;
  constexpr size_t kEvents = 4096;
  StatusBoard board({.history = kEvents, .start_version = 0});
  // Changed and committed as the prober does: its own object, a copy put.
  EndpointsObject object = MakeLargeEndpoints("web", kEndpoints);
  board.Put({object});
  const size_t before = HeapInUse();
  for (size_t i = 0; i < kEvents; ++i) {
    Flip(object, (i * 37) % kEndpoints);
    board.Put({object});
  }
  const size_t kept = HeapInUse() - before;
  RecordProperty("history_bytes", std::to_string(kept));
  std::printf("the history of %zu flaps of a %zu-endpoint service: %.1f MB\n", kEvents, kEndpoints,
              static_cast<double>(kept) / 1e6);
  EXPECT_LT(kept, size_t{50} << 20);

  // Every version kept is the one committed.
  ASSERT_EQ(board.resource_version(), kEvents + 1);
  const auto events = board.EventsSince(1);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), kEvents);
  for (size_t i : {size_t{0}, size_t{1}, size_t{2000}, kEvents - 1}) {
    const EndpointsObject& at = *(*events)[i].object;
    const EndpointsObject& before_it = *(*events)[i].previous;
    const size_t flipped = (i * 37) % kEndpoints;
    EXPECT_NE(at.endpoints[flipped].conditions.ready,
              before_it.endpoints[flipped].conditions.ready);
    EXPECT_EQ(at.endpoints[(flipped + 1) % kEndpoints],
              before_it.endpoints[(flipped + 1) % kEndpoints]);
  }
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

using testing::MakeEndpoints;

TEST(StatusBoardTest, EventsSinceGivesAtMostTheNumberAskedEndingWithAWholeVersion) {
  StatusBoard board({.start_version = 0});
  for (int i = 0; i < 10; ++i) board.Put({MakeEndpoints("a", {i % 2 == 0})});
  EXPECT_EQ(Summary(*board.EventsSince(2, 3)),
            (std::vector<std::pair<EventType, uint64_t>>{
                {EventType::kModified, 3}, {EventType::kModified, 4}, {EventType::kModified, 5}}));
  EXPECT_EQ(board.EventsSince(8, 5)->size(), 2u);
  // A mirrored store's revision of three changes is given whole.
  board.CommitAt(
      20, {MakeEndpoints("b", {true}), MakeEndpoints("c", {true}), MakeEndpoints("d", {true})}, {});
  EXPECT_EQ(Summary(*board.EventsSince(9, 2)),
            (std::vector<std::pair<EventType, uint64_t>>{{EventType::kModified, 10},
                                                         {EventType::kAdded, 20},
                                                         {EventType::kAdded, 20},
                                                         {EventType::kAdded, 20}}));
  EXPECT_EQ(board.EventsSince(10, 1)->size(), 3u);
  EXPECT_TRUE(board.EventsSince(20, 1)->empty());
}

uint64_t WallClockMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

TEST(StatusBoardStartTest, VersionsStartAtTheWallClocksMicroseconds) {
  const uint64_t before = WallClockMicros();
  StatusBoard board;
  const uint64_t after = WallClockMicros();
  const uint64_t start = board.resource_version();
  EXPECT_GE(start, before);
  EXPECT_LE(start, after);
  EXPECT_LT(start, uint64_t{1} << 53);  // exact in a JSON client's double
  EXPECT_EQ(board.oldest_resumable_version(), start);
  board.Put({MakeEndpoints("a", {true})});
  EXPECT_EQ(board.resource_version(), start + 1);
  EXPECT_EQ(board.Get({"default", "a"})->resource_version, start + 1);
  EXPECT_EQ(board.EventsSince(start)->size(), 1u);
}

// An agent started again must not hand out versions it handed out before:
// a client resuming from one would get a wrong history.
TEST(StatusBoardStartTest, ABoardStartedLaterIssuesVersionsAboveAnEarlierOnesAndRefusesThose) {
  constexpr uint64_t kFirstStart = 1'795'000'000'000'000;  // microseconds since the epoch
  StatusBoard first({.start_version = kFirstStart});
  for (int i = 0; i < 1000; ++i) first.Put({MakeEndpoints("a", {i % 2 == 0})});
  const uint64_t handed_out = first.resource_version();

  StatusBoard second({.start_version = kFirstStart + 1'000'000});  // a second later
  EXPECT_GT(second.resource_version(), handed_out);
  second.Put({MakeEndpoints("a", {true})});
  EXPECT_GT(second.Get({"default", "a"})->resource_version, handed_out);
  // Any version of the first board is too old for the second.
  for (uint64_t version : {kFirstStart, kFirstStart + 1, handed_out}) {
    EXPECT_FALSE(second.EventsSince(version).has_value()) << version;
  }
  EXPECT_EQ(second.EventsSince(kFirstStart + 1'000'000)->size(), 1u);
}

TEST(StatusBoardTest, AServiceVersionMovesOnlyWhenTheServiceShowsAChange) {
  StatusBoard board({.start_version = 0});
  EndpointsObject web = MakeEndpoints("web", {true, false});
  board.Put({web});
  EXPECT_EQ(board.Get({"default", "web"})->service_resource_version, 1u);
  testing::Flip(web, 1);
  board.Put({web});
  EXPECT_EQ(board.Get({"default", "web"})->resource_version, 2u);
  EXPECT_EQ(board.Get({"default", "web"})->service_resource_version, 1u);
  web.labels["ver"] = "2";
  board.Put({web});
  EXPECT_EQ(board.Get({"default", "web"})->service_resource_version, 3u);
  // An IPv6 endpoint changes the Service's address families.
  EndpointStatus v6 = web.endpoints[0];
  v6.address = "fd00::1";
  web.endpoints.push_back(v6);
  board.Put({web});
  EXPECT_EQ(board.Get({"default", "web"})->service_resource_version, 4u);
}

EndpointOccurrence WentNotReady(const std::string& service, const std::string& endpoint) {
  EndpointOccurrence o;
  o.what = EndpointHappening::kWentNotReady;
  o.service = service;
  o.endpoint = endpoint;
  o.node = "node-a";
  o.probe_message = "HTTP probe failed with statuscode: 503";
  return o;
}

TEST(StatusBoardTest, EventsShareTheCounterAndTheHistory) {
  StatusBoard board({.start_version = 0});
  board.Put({MakeEndpoints("web", {true})});
  const WallTime now = std::chrono::system_clock::now();
  board.RecordOccurrences({WentNotReady("web", "10.0.0.1:8080"), WentNotReady("nope", "x:1")}, now);
  board.RecordOccurrences({WentNotReady("web", "10.0.0.1:8080")}, now + std::chrono::seconds(1));
  EXPECT_EQ(board.resource_version(), 3u);
  const auto events = board.KubeEvents();
  ASSERT_EQ(events.size(), 1u);  // the unknown service's is dropped; the repeat counted
  EXPECT_EQ(events[0]->count, 2);
  EXPECT_EQ(events[0]->resource_version, 3u);
  EXPECT_EQ(events[0]->object_resource_version, 1u);
  EXPECT_EQ(events[0]->namespace_name, "default");
  const auto history = board.EventsSince(1);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].type, EventType::kAdded);
  EXPECT_EQ((*history)[0].object, nullptr);
  EXPECT_EQ((*history)[1].type, EventType::kModified);
  EXPECT_EQ((*history)[1].previous_event->count, 1);
  EXPECT_EQ(board.Snapshot().events.size(), 1u);
}

TEST(StatusBoardTest, AtMostTheEventCapacityIsKeptTheOldestGoing) {
  StatusBoard board({.history = 10, .start_version = 0});
  board.Put({MakeEndpoints("web", {true})});
  const WallTime start = std::chrono::system_clock::now();
  for (size_t i = 0; i < kMaxKubeEvents + 2; ++i) {
    board.RecordOccurrences({WentNotReady("web", "10.0.0." + std::to_string(i) + ":8080")},
                            start + std::chrono::milliseconds(i));
  }
  const auto events = board.KubeEvents();
  ASSERT_EQ(events.size(), kMaxKubeEvents);
  for (const auto& e : events) {
    EXPECT_NE(e->message.rfind("10.0.0.0:", 0), 0u);
    EXPECT_NE(e->message.rfind("10.0.0.1:", 0), 0u);
  }
  const auto last = board.EventsSince(board.resource_version() - 1);
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].type, EventType::kDeleted);
  EXPECT_EQ((*last)[0].event->resource_version, board.resource_version());
}

// ---- The same name in two namespaces ----

EndpointsObject InNamespace(const std::string& namespace_name, const std::string& name,
                            const std::vector<bool>& ready) {
  EndpointsObject object = MakeEndpoints(name, ready);
  object.namespace_name = namespace_name;
  return object;
}

TEST(StatusBoardNamespaceTest, ServicesAreKnownByNamespaceAndName) {
  StatusBoard board({.start_version = 0});
  board.Put({InNamespace("a", "web", {true}), InNamespace("b", "web", {false, false}),
             InNamespace("a", "api", {true})});
  EXPECT_EQ(board.resource_version(), 3u);
  ASSERT_NE(board.Get({"a", "web"}), nullptr);
  ASSERT_NE(board.Get({"b", "web"}), nullptr);
  EXPECT_EQ(board.Get({"a", "web"})->endpoints.size(), 1u);
  EXPECT_EQ(board.Get({"b", "web"})->endpoints.size(), 2u);
  EXPECT_EQ(board.Get({"default", "web"}), nullptr);

  // Snapshots by name, then namespace; Named finds every namespace of a name.
  std::vector<NamespacedName> order;
  for (const auto& object : board.Snapshot().services) order.push_back(object->Id());
  EXPECT_EQ(order, (std::vector<NamespacedName>{{"a", "api"}, {"a", "web"}, {"b", "web"}}));
  const auto named = board.Named("web");
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0]->namespace_name, "a");
  EXPECT_EQ(named[1]->namespace_name, "b");
  EXPECT_TRUE(board.Named("nope").empty());

  // A change to one is not a change to the other.
  EndpointsObject b = InNamespace("b", "web", {true, false});
  board.Put({b});
  EXPECT_EQ(board.resource_version(), 4u);
  EXPECT_EQ(board.Get({"a", "web"})->resource_version, 1u);
  EXPECT_EQ(board.Get({"b", "web"})->resource_version, 4u);

  board.Delete({{"a", "web"}});
  EXPECT_EQ(board.Get({"a", "web"}), nullptr);
  ASSERT_NE(board.Get({"b", "web"}), nullptr);
  const auto events = board.EventsSince(4);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, EventType::kDeleted);
  EXPECT_EQ((*events)[0].object->Id(), (NamespacedName{"a", "web"}));
}

TEST(StatusBoardNamespaceTest, ProbesAndTransitionsAreKeptPerNamespace) {
  StatusBoard board({.start_version = 0});
  board.Put({InNamespace("a", "web", {true}), InNamespace("b", "web", {true})});
  board.TrackProbeChanges();
  ProbeDetails failed;
  failed.result = ProbeOutcome::kFailure;
  failed.message = "HTTP probe failed with statuscode: 503";
  board.RecordProbe({"b", "web"}, "10.0.0.1:8080", failed);
  EXPECT_FALSE(board.Probe({"a", "web"}, "10.0.0.1:8080").has_value());
  ASSERT_TRUE(board.Probe({"b", "web"}, "10.0.0.1:8080").has_value());
  EXPECT_EQ(board.Probe({"b", "web"}, "10.0.0.1:8080")->message, failed.message);
  EXPECT_EQ(board.TakeProbeChanges(), (std::set<std::pair<NamespacedName, std::string>>{
                                          {NamespacedName{"b", "web"}, "10.0.0.1:8080"}}));

  board.RecordTransition({"a", "web"}, Transition{{}, "10.0.0.1:8080", "node-a", false, "in a"});
  board.RecordTransition({"b", "web"}, Transition{{}, "10.0.0.1:8080", "node-a", true, "in b"});
  ASSERT_EQ(board.Transitions({"a", "web"}).size(), 1u);
  EXPECT_EQ(board.Transitions({"a", "web"})[0].reason, "in a");
  ASSERT_EQ(board.Transitions({"b", "web"}).size(), 1u);
  EXPECT_EQ(board.Transitions({"b", "web"})[0].reason, "in b");

  // Deleting one forgets its probes and transitions only.
  board.Delete({{"a", "web"}});
  EXPECT_TRUE(board.Transitions({"a", "web"}).empty());
  EXPECT_EQ(board.Transitions({"b", "web"}).size(), 1u);
  EXPECT_TRUE(board.Probe({"b", "web"}, "10.0.0.1:8080").has_value());
}

TEST(StatusBoardNamespaceTest, EventsAreAboutTheirOwnNamespacesService) {
  StatusBoard board({.start_version = 0});
  EndpointsObject a = InNamespace("a", "web", {true});
  a.creation_time = std::chrono::system_clock::now();
  board.Put({a, InNamespace("b", "web", {true})});
  const WallTime now = std::chrono::system_clock::now();
  EndpointOccurrence in_a = WentNotReady("web", "10.0.0.1:8080");
  in_a.namespace_name = "a";
  EndpointOccurrence in_b = in_a;
  in_b.namespace_name = "b";
  // The same happening at the same time in both: two Events, not a repeat,
  // and each may take the same name in its own namespace.
  board.RecordOccurrences({in_a, in_b}, now);
  const auto events = board.KubeEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]->namespace_name, "a");
  EXPECT_EQ(events[1]->namespace_name, "b");
  EXPECT_EQ(events[0]->name, events[1]->name);
  EXPECT_EQ(events[0]->count, 1);
  EXPECT_EQ(events[1]->count, 1);
  EXPECT_EQ(events[0]->object_resource_version, 1u);
  EXPECT_EQ(events[1]->object_resource_version, 2u);
  EXPECT_EQ(events[0]->object_creation_time, a.creation_time);
  // A repeat in b counts in b only.
  board.RecordOccurrences({in_b}, now + std::chrono::seconds(1));
  const auto after = board.KubeEvents();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0]->count, 1);
  EXPECT_EQ(after[1]->count, 2);
  // An occurrence in a namespace that has no such service is dropped.
  EndpointOccurrence elsewhere = in_a;
  elsewhere.namespace_name = "c";
  board.RecordOccurrences({elsewhere}, now + std::chrono::seconds(2));
  EXPECT_EQ(board.KubeEvents().size(), 2u);
}

}  // namespace
}  // namespace vigil
