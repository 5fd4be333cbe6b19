#include "exporters/registry/events.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace vigil {
namespace {

using std::chrono::seconds;

EndpointOccurrence Occurrence(
    EndpointHappening what, const std::string& endpoint = "10.32.0.12:8080",
    const std::string& message = "HTTP probe failed with statuscode: 503") {
  EndpointOccurrence o;
  o.what = what;
  o.namespace_name = "default";
  o.service = "alpaca-prod";
  o.service_creation_time = WallTime() + seconds(1'796'117'803);  // 2026-12-01T09:36:43Z
  o.endpoints_resource_version = 1008;
  o.endpoint = endpoint;
  o.node = "node-b";
  o.probe_message = message;
  return o;
}

// What a store does with an update: replace or add, drop what is removed,
// and give the changed Event the next resourceVersion.
void Apply(std::vector<KubeEvent>& kept, EventUpdate update, uint64_t& rv) {
  update.event.resource_version = ++rv;
  for (const std::string& name : update.removed) {
    std::erase_if(kept, [&](const KubeEvent& e) { return e.name == name; });
  }
  for (KubeEvent& e : kept) {
    if (e.name == update.event.name) {
      ASSERT_FALSE(update.created) << "a new Event took a name in use: " << e.name;
      e = update.event;
      return;
    }
  }
  ASSERT_TRUE(update.created) << "an update of an Event not kept: " << update.event.name;
  kept.push_back(update.event);
}

TEST(EventsTest, DescribesEachHappeningAsKubeletWould) {
  const struct {
    EndpointHappening what;
    std::string type, reason, message;
  } cases[] = {
      {EndpointHappening::kWentNotReady, "Warning", "Unhealthy",
       "10.32.0.12:8080: Readiness probe failed: HTTP probe failed with statuscode: 503"},
      {EndpointHappening::kNeverReadyFailed, "Warning", "Unhealthy",
       "10.32.0.12:8080: Readiness probe failed: HTTP probe failed with statuscode: 503"},
      {EndpointHappening::kMessageChanged, "Warning", "Unhealthy",
       "10.32.0.12:8080: Readiness probe failed: HTTP probe failed with statuscode: 503"},
      {EndpointHappening::kWentReady, "Normal", "Ready",
       "10.32.0.12:8080: Readiness probe succeeded"},
      {EndpointHappening::kTerminating, "Normal", "Terminating",
       "10.32.0.12:8080: Withdrawn: its agent is stopping"},
  };
  for (const auto& c : cases) {
    const KubeEvent e = DescribeOccurrence(Occurrence(c.what));
    EXPECT_EQ(e.type, c.type);
    EXPECT_EQ(e.reason, c.reason);
    EXPECT_EQ(e.message, c.message);
    EXPECT_EQ(e.namespace_name, "default");
    EXPECT_EQ(e.object_name, "alpaca-prod");
    EXPECT_EQ(e.object_creation_time, WallTime() + seconds(1'796'117'803));
    EXPECT_EQ(e.object_resource_version, 1008u);
    EXPECT_EQ(e.node, "node-b");
  }
  EXPECT_EQ(DescribeOccurrence(Occurrence(EndpointHappening::kWentNotReady, "[fd00::7]:8080",
                                          "probe timed out after 1s"))
                .message,
            "[fd00::7]:8080: Readiness probe failed: probe timed out after 1s");
}

TEST(EventsTest, NewEventIsNamedAfterItsTimeInNanoseconds) {
  const WallTime now = WallTime() + std::chrono::nanoseconds(0x18ed17a053884e01);
  const EventUpdate update = CorrelateEvent({}, Occurrence(EndpointHappening::kWentNotReady), now);
  EXPECT_TRUE(update.created);
  EXPECT_TRUE(update.removed.empty());
  EXPECT_EQ(update.event.name, "alpaca-prod.18ed17a053884e01");
  EXPECT_EQ(update.event.first_timestamp, now);
  EXPECT_EQ(update.event.last_timestamp, now);
  EXPECT_EQ(update.event.count, 1);
  EXPECT_EQ(update.event.resource_version, 0u);
  // Always 16 hex digits.
  EXPECT_EQ(CorrelateEvent({}, Occurrence(EndpointHappening::kWentReady),
                           WallTime() + std::chrono::nanoseconds(0xabc))
                .event.name,
            "alpaca-prod.0000000000000abc");
}

TEST(EventsTest, RepeatIsAggregated) {
  FakeClock clock;
  std::vector<KubeEvent> kept;
  uint64_t rv = 100;
  Apply(kept, CorrelateEvent(kept, Occurrence(EndpointHappening::kWentNotReady), clock.WallNow()),
        rv);
  const KubeEvent first = kept.front();
  const WallTime created = clock.WallNow();

  clock.Advance(seconds(30));
  Apply(kept, CorrelateEvent(kept, Occurrence(EndpointHappening::kWentReady), clock.WallNow()), rv);
  clock.Advance(seconds(30));
  // Not ready again with the same message: the same Event, once more.
  const EventUpdate again =
      CorrelateEvent(kept, Occurrence(EndpointHappening::kWentNotReady), clock.WallNow());
  EXPECT_FALSE(again.created);
  EXPECT_TRUE(again.removed.empty());
  EXPECT_EQ(again.event.name, first.name);
  EXPECT_EQ(again.event.count, 2);
  EXPECT_EQ(again.event.first_timestamp, created);
  EXPECT_EQ(again.event.last_timestamp, clock.WallNow());
  EXPECT_EQ(again.event.message, first.message);
  EXPECT_EQ(again.event.resource_version, 0u);  // the store gives it a new one
  Apply(kept, again, rv);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].resource_version, 103u);

  // A never-ready failure with the same text is the same Event too: what
  // kubectl shows is the same line.
  clock.Advance(seconds(1));
  const EventUpdate third =
      CorrelateEvent(kept, Occurrence(EndpointHappening::kNeverReadyFailed), clock.WallNow());
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.event.count, 3);
}

TEST(EventsTest, AnotherMessageEndpointTypeNodeOrLifeIsAnotherEvent) {
  FakeClock clock;
  std::vector<KubeEvent> kept;
  uint64_t rv = 0;
  Apply(kept, CorrelateEvent(kept, Occurrence(EndpointHappening::kWentNotReady), clock.WallNow()),
        rv);

  std::vector<EndpointOccurrence> others;
  others.push_back(Occurrence(EndpointHappening::kMessageChanged, "10.32.0.12:8080",
                              "dial tcp 10.32.0.12:8080: connect: connection refused"));
  others.push_back(Occurrence(EndpointHappening::kWentNotReady, "10.32.0.13:8080"));
  others.push_back(Occurrence(EndpointHappening::kWentReady));
  others.push_back(Occurrence(EndpointHappening::kTerminating));
  EndpointOccurrence other_node = Occurrence(EndpointHappening::kWentNotReady);
  other_node.node = "node-c";
  others.push_back(other_node);
  EndpointOccurrence other_namespace = Occurrence(EndpointHappening::kWentNotReady);
  other_namespace.namespace_name = "staging";
  others.push_back(other_namespace);
  // The service removed and added again: a new life, new Events.
  EndpointOccurrence next_life = Occurrence(EndpointHappening::kWentNotReady);
  next_life.service_creation_time += seconds(600);
  others.push_back(next_life);

  for (const EndpointOccurrence& o : others) {
    const EventUpdate update = CorrelateEvent(kept, o, clock.WallNow());
    EXPECT_TRUE(update.created) << update.event.message;
    EXPECT_EQ(update.event.count, 1);
    Apply(kept, update, rv);
  }
  EXPECT_EQ(kept.size(), others.size() + 1);
  // The message changing back is the first Event once more.
  const EventUpdate back =
      CorrelateEvent(kept, Occurrence(EndpointHappening::kMessageChanged), clock.WallNow());
  EXPECT_FALSE(back.created);
  EXPECT_EQ(back.event.name, kept.front().name);
  EXPECT_EQ(back.event.count, 2);
}

// The fake clock does not move: every Event is made in the same nanosecond,
// and each still gets a name of its own.
TEST(EventsTest, NamesStayUniqueWithinOneNanosecond) {
  FakeClock clock;
  std::vector<KubeEvent> kept;
  uint64_t rv = 0;
  for (int i = 1; i <= 5; ++i) {
    const EventUpdate update = CorrelateEvent(
        kept, Occurrence(EndpointHappening::kWentNotReady, "10.0.0." + std::to_string(i) + ":80"),
        clock.WallNow());
    ASSERT_TRUE(update.created);
    Apply(kept, update, rv);
  }
  const uint64_t nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock.WallNow().time_since_epoch())
          .count());
  for (size_t i = 0; i < kept.size(); ++i) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(nanos + i));
    EXPECT_EQ(kept[i].name, std::string("alpaca-prod.") + hex);
  }
}

TEST(EventsTest, KeepsAtMostCapacityRemovingTheOldest) {
  FakeClock clock;
  std::vector<KubeEvent> kept;
  uint64_t rv = 0;
  for (int i = 0; i < 4; ++i) {
    Apply(kept,
          CorrelateEvent(
              kept,
              Occurrence(EndpointHappening::kWentNotReady, "10.0.0." + std::to_string(i) + ":80"),
              clock.WallNow(), 4),
          rv);
    clock.Advance(seconds(1));
  }
  ASSERT_EQ(kept.size(), 4u);
  // Repeating the oldest makes it the newest: the one after it goes first.
  Apply(kept,
        CorrelateEvent(kept, Occurrence(EndpointHappening::kWentNotReady, "10.0.0.0:80"),
                       clock.WallNow(), 4),
        rv);
  const std::string second = kept[1].name;
  const std::string third = kept[2].name;
  clock.Advance(seconds(1));
  const EventUpdate fifth = CorrelateEvent(
      kept, Occurrence(EndpointHappening::kWentNotReady, "10.0.0.9:80"), clock.WallNow(), 4);
  EXPECT_TRUE(fifth.created);
  EXPECT_EQ(fifth.removed, std::vector<std::string>{second});
  Apply(kept, fifth, rv);
  EXPECT_EQ(kept.size(), 4u);

  // Beyond capacity already (the capacity was lowered): as many go as needed,
  // oldest first.
  const EventUpdate sixth = CorrelateEvent(
      kept, Occurrence(EndpointHappening::kWentNotReady, "10.0.0.8:80"), clock.WallNow(), 2);
  EXPECT_EQ(sixth.removed.size(), 3u);
  EXPECT_EQ(sixth.removed.front(), third);
  // A repeat never removes anything.
  EXPECT_TRUE(CorrelateEvent(kept, Occurrence(EndpointHappening::kWentNotReady, "10.0.0.9:80"),
                             clock.WallNow(), 1)
                  .removed.empty());
}

// Events last seen at the same time go in resourceVersion order.
TEST(EventsTest, TiesGoByResourceVersion) {
  FakeClock clock;
  std::vector<KubeEvent> kept;
  uint64_t rv = 0;
  for (int i = 0; i < 3; ++i) {
    Apply(kept,
          CorrelateEvent(
              kept,
              Occurrence(EndpointHappening::kWentNotReady, "10.0.0." + std::to_string(i) + ":80"),
              clock.WallNow()),
          rv);
  }
  std::swap(kept[0], kept[2]);  // the store's order does not matter
  const EventUpdate update = CorrelateEvent(
      kept, Occurrence(EndpointHappening::kWentNotReady, "10.0.0.7:80"), clock.WallNow(), 2);
  ASSERT_EQ(update.removed.size(), 2u);
  EXPECT_EQ(update.removed[0], kept[2].name);  // resourceVersion 1
  EXPECT_EQ(update.removed[1], kept[1].name);  // resourceVersion 2
}

TEST(EventsTest, LongMessagesAreCutAtACharacterBoundary) {
  const std::string prefix = "10.32.0.12:8080: Readiness probe failed: ";
  // "é" is two bytes; place one across the limit.
  std::string output(kMaxKubeEventMessage - prefix.size() - 1, 'x');
  output += "\xc3\xa9 and more";
  const KubeEvent e =
      DescribeOccurrence(Occurrence(EndpointHappening::kWentNotReady, "10.32.0.12:8080", output));
  EXPECT_EQ(e.message.size(), kMaxKubeEventMessage - 1);
  EXPECT_EQ(e.message, prefix + std::string(kMaxKubeEventMessage - prefix.size() - 1, 'x'));
  // Exactly at the limit: kept whole.
  const std::string fits(kMaxKubeEventMessage - prefix.size(), 'y');
  EXPECT_EQ(
      DescribeOccurrence(Occurrence(EndpointHappening::kWentNotReady, "10.32.0.12:8080", fits))
          .message.size(),
      kMaxKubeEventMessage);
  // Cut messages aggregate like any other.
  std::vector<KubeEvent> kept;
  uint64_t rv = 0;
  FakeClock clock;
  Apply(kept,
        CorrelateEvent(
            kept, Occurrence(EndpointHappening::kWentNotReady, "10.32.0.12:8080", output + "1"),
            clock.WallNow()),
        rv);
  EXPECT_FALSE(
      CorrelateEvent(kept,
                     Occurrence(EndpointHappening::kWentNotReady, "10.32.0.12:8080", output + "2"),
                     clock.WallNow())
          .created);
}

}  // namespace
}  // namespace vigil
