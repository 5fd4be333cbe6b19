// The ObjectCache on a real StatusBoard: a committed object is encoded once
// however often it is asked for; a change (a new committed object) is
// encoded anew, never served from the old one's entry; what the board no
// longer holds goes at a sweep once unused, what it holds stays.
#include "agent/api/kubernetes/object_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "agent/api/kubernetes/objects.h"
#include "tests/agent/api/kubernetes/fixtures.h"
#include "tests/exporters/registry/endpoints_fixtures.h"

namespace vigil::kube {
namespace {

using vigil::testing::Flip;
using vigil::testing::MakeEndpoints;

std::string Text(const EncodedObject& e) {
  std::string out;
  e.AppendJson(&out);
  return out;
}

// Sweeps at every lookup, and drops at once what is not on the board.
ObjectCache::Options Eager() {
  return {.keep_unused = std::chrono::seconds(0), .sweep_interval = std::chrono::seconds(0)};
}

class ObjectCacheTest : public ::testing::Test {
 protected:
  StatusBoard board_{StatusBoard::Options{.start_version = 100}};
};

TEST_F(ObjectCacheTest, EncodesACommittedObjectOnce) {
  board_.Put({MakeEndpoints("web", {true, false})});
  ObjectCache cache({&board_});
  const auto object = board_.Get({"default", "web"});
  const auto first = cache.Of(Resource::kEndpoints, object);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(Text(*first->front()), Dump(EncodeEndpoints(*object)));
  EXPECT_EQ(cache.Of(Resource::kEndpoints, object), first);
  EXPECT_EQ(cache.Of(Resource::kEndpoints, board_.Get({"default", "web"})), first);
  EXPECT_EQ(cache.stats().encodings, 1u);
  // The other forms of the same object, each once.
  EXPECT_EQ(Text(*cache.Of(Resource::kServices, object)->front()), Dump(EncodeService(*object)));
  const auto slices = cache.Of(Resource::kEndpointSlices, object);
  ASSERT_EQ(slices->size(), 1u);
  EXPECT_EQ(Text(*slices->front()), Dump(EncodeEndpointSlices(*object).front()));
  EXPECT_EQ(cache.Of(Resource::kEndpointSlices, object), slices);
  EXPECT_EQ(cache.stats().encodings, 3u);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_GT(cache.stats().bytes, 0u);
}

TEST_F(ObjectCacheTest, AChangeIsEncodedAnew) {
  EndpointsObject web = MakeEndpoints("web", {true, false});
  board_.Put({web});
  ObjectCache cache(
      {&board_}, {.keep_unused = std::chrono::hours(1), .sweep_interval = std::chrono::seconds(0)});
  const auto before = board_.Get({"default", "web"});
  const EncodedPtr old = cache.Of(Resource::kEndpoints, before)->front();
  Flip(web, 1);
  board_.Put({web});
  const auto after = board_.Get({"default", "web"});
  ASSERT_NE(after, before);
  const EncodedPtr fresh = cache.Of(Resource::kEndpoints, after)->front();
  EXPECT_NE(fresh, old);
  EXPECT_EQ(Text(*fresh), Dump(EncodeEndpoints(*after)));
  EXPECT_NE(Text(*fresh), Text(*old));
  EXPECT_EQ(fresh->resource_version(), 102u);
  EXPECT_EQ(old->resource_version(), 101u);
  // The state before is still asked for (a watch compares with it): used
  // lately, it is kept, and it is the same encoding.
  EXPECT_EQ(cache.Of(Resource::kEndpoints, before)->front(), old);
}

TEST_F(ObjectCacheTest, SweepsWhatTheBoardNoLongerHolds) {
  EndpointsObject web = MakeEndpoints("web", {true});
  board_.Put({web, MakeEndpoints("db", {true})});
  ObjectCache cache({&board_}, Eager());
  std::weak_ptr<const EndpointsObject> old_web = board_.Get({"default", "web"});
  cache.Of(Resource::kEndpoints, board_.Get({"default", "web"}));
  cache.Of(Resource::kEndpoints, board_.Get({"default", "db"}));
  EXPECT_EQ(cache.stats().entries, 2u);

  Flip(web, 0);
  board_.Put({web});
  cache.Sweep();
  // The old web is in the board's history, not on the board: dropped; db,
  // unused since but on the board, stays.
  EXPECT_EQ(cache.stats().entries, 1u);
  const uint64_t encodings = cache.stats().encodings;
  cache.Of(Resource::kEndpoints, board_.Get({"default", "db"}));
  EXPECT_EQ(cache.stats().encodings, encodings);

  board_.Delete({{"default", "db"}});
  cache.Of(Resource::kEndpoints, board_.Get({"default", "web"}));
  EXPECT_EQ(cache.stats().entries, 1u);  // db went at this lookup's sweep
  cache.Sweep();
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_FALSE(old_web.expired());  // the history still holds it
}

TEST_F(ObjectCacheTest, AnEntryHoldsItsObject) {
  board_.Put({MakeEndpoints("web", {true})});
  ObjectCache cache(
      {&board_}, {.keep_unused = std::chrono::hours(1), .sweep_interval = std::chrono::seconds(0)});
  std::weak_ptr<const EndpointsObject> web;
  {
    StatusBoard other({.history = 1, .start_version = 1});
    other.Put({MakeEndpoints("gone", {true})});
    const auto gone = other.Get({"default", "gone"});
    web = gone;
    cache.Of(Resource::kEndpoints, gone);
  }
  // Its board is gone: the entry keeps the object (and so its address)
  // while it is kept; recently used, it is kept.
  EXPECT_FALSE(web.expired());
  cache.Sweep();
  EXPECT_FALSE(web.expired());
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST_F(ObjectCacheTest, EventsOnce) {
  board_.Put({MakeEndpoints("alpaca-prod", {true})});
  EndpointOccurrence o;
  o.what = EndpointHappening::kWentNotReady;
  o.service = "alpaca-prod";
  o.endpoint = "10.0.0.1:8080";
  o.node = "node-a";
  o.probe_message = "HTTP probe failed with statuscode: 503";
  board_.RecordOccurrences({o}, std::chrono::system_clock::now());
  ObjectCache cache({&board_}, Eager());
  const auto event = board_.KubeEvents().front();
  const EncodedPtr first = cache.Of(event);
  EXPECT_EQ(Text(*first), Dump(EncodeEvent(*event)));
  EXPECT_EQ(cache.Of(board_.KubeEvents().front()), first);
  // The same again: the Event is counted twice, a new object.
  board_.RecordOccurrences({o}, std::chrono::system_clock::now());
  const auto counted = board_.KubeEvents().front();
  ASSERT_NE(counted, event);
  const EncodedPtr second = cache.Of(counted);
  EXPECT_NE(second, first);
  EXPECT_NE(Text(*second).find("\"count\":2"), std::string::npos);
  cache.Sweep();
  EXPECT_EQ(cache.stats().entries, 1u);
}

}  // namespace
}  // namespace vigil::kube
