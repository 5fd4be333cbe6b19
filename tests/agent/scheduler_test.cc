#include "agent/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace vigil {
namespace {

using namespace std::chrono_literals;
using Id = Scheduler::Id;

const Time kT0 = Time() + 1h;
constexpr Duration kNs(1);

std::vector<Id> Ids(const std::vector<Scheduler::Due>& due) {
  std::vector<Id> ids;
  for (const auto& d : due) ids.push_back(d.id);
  return ids;
}

// The first slot of every id in [0, n), added at kT0 with `delay` and `period`.
std::vector<Time> FirstSlots(uint64_t seed, int n, Duration delay, Duration period) {
  Scheduler scheduler(seed);
  for (int id = 0; id < n; ++id) scheduler.Add(id, kT0, delay, period);
  std::vector<Time> slots(n);
  for (const auto& d : scheduler.TakeDue(kT0 + delay + period)) slots[d.id] = d.slot;
  return slots;
}

TEST(SchedulerTest, EmptyHasNothingDue) {
  Scheduler scheduler(1);
  EXPECT_EQ(scheduler.size(), 0u);
  EXPECT_FALSE(scheduler.Contains(1));
  EXPECT_EQ(scheduler.NextDue(), std::nullopt);
  EXPECT_TRUE(scheduler.TakeDue(kT0 + 1000h).empty());
  EXPECT_EQ(scheduler.skipped_slots(), 0u);
}

TEST(SchedulerTest, FirstProbeComesAfterTheDelayWithinTheJitterWindow) {
  constexpr int kTargets = 1000;
  Scheduler scheduler(7);
  for (int id = 0; id < kTargets; ++id) scheduler.Add(id, kT0, 5s, 10s);
  EXPECT_EQ(scheduler.size(), size_t{kTargets});
  EXPECT_TRUE(scheduler.TakeDue(kT0 + 5s - kNs).empty());
  const std::optional<Time> next = scheduler.NextDue();

  const auto due = scheduler.TakeDue(kT0 + 6s - kNs);
  ASSERT_EQ(due.size(), size_t{kTargets});
  std::set<Id> ids;
  Time earliest = Time::max();
  Time latest = Time::min();
  for (const auto& d : due) {
    ids.insert(d.id);
    EXPECT_GE(d.slot, kT0 + 5s);
    EXPECT_LT(d.slot, kT0 + 6s);
    earliest = std::min(earliest, d.slot);
    latest = std::max(latest, d.slot);
  }
  EXPECT_EQ(ids.size(), size_t{kTargets});
  EXPECT_EQ(next, earliest);
  // Spread over the whole second, not bunched (1000 uniform draws).
  EXPECT_LT(earliest, kT0 + 5s + 10ms);
  EXPECT_GT(latest, kT0 + 6s - 10ms);
}

TEST(SchedulerTest, JitterStaysBelowAShortPeriod) {
  const auto slots = FirstSlots(3, 1000, 0s, 250ms);
  for (Time slot : slots) {
    EXPECT_GE(slot, kT0);
    EXPECT_LT(slot, kT0 + 250ms);
  }
  EXPECT_GT(*std::max_element(slots.begin(), slots.end()), kT0 + 240ms);
}

TEST(SchedulerTest, JitterIsDeterministicPerSeed) {
  EXPECT_EQ(FirstSlots(42, 100, 1s, 1s), FirstSlots(42, 100, 1s, 1s));
  const auto a = FirstSlots(42, 100, 1s, 1s);
  const auto b = FirstSlots(43, 100, 1s, 1s);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_EQ(same, 0);
}

TEST(SchedulerTest, GridDoesNotDriftWhenTakenLate) {
  // An odd period in ns catches any rounding or accumulated error.
  constexpr Duration kPeriod(333'333'337);
  Scheduler scheduler(1);
  scheduler.Add(9, kT0, 2s, kPeriod);
  const Time first = *scheduler.NextDue();
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<Duration::rep> lateness(0, kPeriod.count() - 1);
  for (int k = 0; k < 1000; ++k) {
    const Time slot = first + k * kPeriod;
    ASSERT_EQ(scheduler.NextDue(), slot) << k;
    const auto due = scheduler.TakeDue(slot + Duration(lateness(rng)));
    ASSERT_EQ(due.size(), 1u) << k;
    EXPECT_EQ(due[0].id, 9u);
    EXPECT_EQ(due[0].slot, slot);
    scheduler.Finish(9);
  }
  EXPECT_EQ(scheduler.NextDue(), first + 1000 * kPeriod);
  EXPECT_EQ(scheduler.skipped_slots(), 0u);
}

TEST(SchedulerTest, DueExactlyAtItsSlot) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const Time first = *scheduler.NextDue();
  EXPECT_TRUE(scheduler.TakeDue(first - kNs).empty());
  EXPECT_EQ(Ids(scheduler.TakeDue(first)), std::vector<Id>{1});
  scheduler.Finish(1);
  EXPECT_TRUE(scheduler.TakeDue(first + 1s - kNs).empty());
  EXPECT_EQ(Ids(scheduler.TakeDue(first + 1s)), std::vector<Id>{1});
}

TEST(SchedulerTest, LateTakeDueSkipsMissedSlotsAndCountsThem) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const Time first = *scheduler.NextDue();

  auto due = scheduler.TakeDue(first + 3500ms);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].slot, first);             // lateness 3.5 s
  EXPECT_EQ(scheduler.skipped_slots(), 3u);  // +1 s, +2 s, +3 s
  EXPECT_EQ(scheduler.NextDue(), first + 4s);
  scheduler.Finish(1);
  EXPECT_TRUE(scheduler.TakeDue(first + 3500ms).empty()) << "a slot ran twice";

  // Late by exactly two periods: the slot that is `now` is skipped too.
  due = scheduler.TakeDue(first + 6s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].slot, first + 4s);
  EXPECT_EQ(scheduler.skipped_slots(), 5u);
  EXPECT_EQ(scheduler.NextDue(), first + 7s);
}

TEST(SchedulerTest, LateTakeDueReturnsEachTargetOnceInSlotOrder) {
  constexpr int kTargets = 100;
  Scheduler scheduler(11);
  for (int id = 0; id < kTargets; ++id) scheduler.Add(id, kT0, 0s, 100ms);
  const Time now = kT0 + 10s;
  const auto due = scheduler.TakeDue(now);
  ASSERT_EQ(due.size(), size_t{kTargets});
  std::set<Id> ids;
  uint64_t missed = 0;
  for (size_t i = 0; i < due.size(); ++i) {
    ids.insert(due[i].id);
    if (i > 0) {
      EXPECT_LE(due[i - 1].slot, due[i].slot);
    }
    missed += (now - due[i].slot) / 100ms;
  }
  EXPECT_EQ(ids.size(), size_t{kTargets});
  EXPECT_EQ(scheduler.skipped_slots(), missed);
  EXPECT_GT(*scheduler.NextDue(), now);
  for (int id = 0; id < kTargets; ++id) scheduler.Finish(id);
  EXPECT_TRUE(scheduler.TakeDue(now).empty());
}

TEST(SchedulerTest, AnInFlightTargetSkipsItsSlotsAndNeverOverlaps) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const Time first = *scheduler.NextDue();
  ASSERT_EQ(Ids(scheduler.TakeDue(first)), std::vector<Id>{1});

  // Its slots still come, so the loop wakes to skip them, and moves on each time.
  for (int k = 1; k <= 2; ++k) {
    ASSERT_EQ(scheduler.NextDue(), first + k * 1s);
    EXPECT_TRUE(scheduler.TakeDue(first + k * 1s).empty());
    EXPECT_EQ(scheduler.skipped_slots(), uint64_t(k));
  }
  scheduler.Finish(1);  // after 2.5 periods
  EXPECT_EQ(scheduler.NextDue(), first + 3s);
  EXPECT_TRUE(scheduler.TakeDue(first + 3s - kNs).empty());
  auto due = scheduler.TakeDue(first + 3s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].slot, first + 3s);
  EXPECT_EQ(scheduler.skipped_slots(), 2u);
}

TEST(SchedulerTest, AnInFlightTargetSkipsEverySlotALateLoopPassed) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const Time first = *scheduler.NextDue();
  ASSERT_EQ(scheduler.TakeDue(first).size(), 1u);
  EXPECT_TRUE(scheduler.TakeDue(first + 3500ms).empty());
  EXPECT_EQ(scheduler.skipped_slots(), 3u);
  EXPECT_EQ(scheduler.NextDue(), first + 4s);
}

TEST(SchedulerTest, AProbeFinishedBeforeItsNextSlotSkipsNothing) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const Time first = *scheduler.NextDue();
  for (int k = 0; k < 5; ++k) {
    ASSERT_EQ(scheduler.TakeDue(first + k * 1s).size(), 1u);
    scheduler.Finish(1);
  }
  EXPECT_EQ(scheduler.skipped_slots(), 0u);
}

TEST(SchedulerTest, OthersRunWhileOneIsInFlight) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  scheduler.Add(2, kT0, 0s, 1s);
  ASSERT_EQ(scheduler.TakeDue(kT0 + 1s - kNs).size(), 2u);
  scheduler.Finish(2);
  EXPECT_EQ(Ids(scheduler.TakeDue(kT0 + 2s - kNs)), std::vector<Id>{2});
  EXPECT_EQ(scheduler.skipped_slots(), 1u);
}

TEST(SchedulerTest, FinishOfAnUnknownIdIsANoOp) {
  Scheduler scheduler(1);
  scheduler.Finish(5);
  scheduler.Add(1, kT0, 0s, 1s);
  ASSERT_EQ(scheduler.TakeDue(kT0 + 1s - kNs).size(), 1u);
  scheduler.Finish(5);
  EXPECT_TRUE(scheduler.TakeDue(kT0 + 2s - kNs).empty()) << "id 1 is still in flight";
  EXPECT_EQ(scheduler.size(), 1u);
}

TEST(SchedulerTest, RemoveWhileInFlightForgetsTheTarget) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  scheduler.Add(2, kT0, 0s, 1s);
  ASSERT_EQ(scheduler.TakeDue(kT0 + 1s - kNs).size(), 2u);
  scheduler.Finish(2);
  scheduler.Remove(1);
  EXPECT_FALSE(scheduler.Contains(1));
  EXPECT_TRUE(scheduler.Contains(2));
  EXPECT_EQ(scheduler.size(), 1u);
  scheduler.Finish(1);
  for (int k = 1; k <= 5; ++k) {
    EXPECT_EQ(Ids(scheduler.TakeDue(kT0 + k * 1s + 1s - kNs)), std::vector<Id>{2});
    scheduler.Finish(2);
  }
  scheduler.Remove(2);
  EXPECT_EQ(scheduler.NextDue(), std::nullopt);
  EXPECT_EQ(scheduler.skipped_slots(), 0u);

  // Added again, it starts afresh: not in flight.
  scheduler.Add(1, kT0 + 10s, 0s, 1s);
  EXPECT_EQ(Ids(scheduler.TakeDue(kT0 + 11s - kNs)), std::vector<Id>{1});
}

TEST(SchedulerTest, RemoveOfAnUnknownIdIsANoOp) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const auto next = scheduler.NextDue();
  scheduler.Remove(2);
  EXPECT_EQ(scheduler.size(), 1u);
  EXPECT_EQ(scheduler.NextDue(), next);
}

TEST(SchedulerTest, AddReplacesATargetsGrid) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 100s, 10s);
  scheduler.Add(1, kT0, 0s, 3s);
  EXPECT_EQ(scheduler.size(), 1u);
  const Time first = *scheduler.NextDue();
  EXPECT_LT(first, kT0 + 1s);
  // Only the new grid: slots first + 3k s, none at the old grid's 100 s + jitter.
  int probes = 0;
  while (*scheduler.NextDue() < kT0 + 200s) {
    const Time now = *scheduler.NextDue();
    const auto due = scheduler.TakeDue(now);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].slot, first + probes * 3s);
    scheduler.Finish(1);
    ++probes;
  }
  EXPECT_EQ(probes, 67);
}

TEST(SchedulerTest, AddReplacingKeepsTheProbeInFlight) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  ASSERT_EQ(scheduler.TakeDue(kT0 + 1s).size(), 1u);
  scheduler.Add(1, kT0 + 1s, 0s, 1s);
  EXPECT_TRUE(scheduler.TakeDue(kT0 + 2s - kNs).empty()) << "probes of one endpoint overlap";
  EXPECT_EQ(scheduler.skipped_slots(), 1u);
  scheduler.Finish(1);
  EXPECT_EQ(Ids(scheduler.TakeDue(kT0 + 3s - kNs)), std::vector<Id>{1});
}

TEST(SchedulerTest, UpdateToALongerPeriodKeepsTheNextSlot) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 1s);
  const Time first = *scheduler.NextDue();
  ASSERT_EQ(scheduler.TakeDue(first).size(), 1u);
  scheduler.Finish(1);
  scheduler.Update(1, first + 500ms, 5s);
  for (Time slot : {first + 1s, first + 6s, first + 11s}) {
    ASSERT_EQ(scheduler.NextDue(), slot);
    ASSERT_EQ(scheduler.TakeDue(slot).size(), 1u);
    scheduler.Finish(1);
  }
}

TEST(SchedulerTest, UpdateToAShorterPeriodPullsTheSlotIn) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 60s);
  const Time first = *scheduler.NextDue();
  ASSERT_EQ(scheduler.TakeDue(first).size(), 1u);
  scheduler.Finish(1);
  // Next was first + 60 s: now on a 1 s grid through it, the first slot after now.
  scheduler.Update(1, first + 10300ms, 1s);
  EXPECT_EQ(scheduler.NextDue(), first + 11s);
  scheduler.Update(1, first + 10300ms, 1s);  // the same period again changes nothing
  for (Time slot : {first + 11s, first + 12s, first + 13s}) {
    ASSERT_EQ(scheduler.NextDue(), slot);
    ASSERT_EQ(scheduler.TakeDue(slot).size(), 1u);
    scheduler.Finish(1);
  }

  // Exactly on a slot of the new grid: the next one, one period away.
  scheduler.Update(1, first + 13s, 10s);
  scheduler.Update(1, first + 13s, 500ms);
  EXPECT_EQ(scheduler.NextDue(), first + 13500ms);
  EXPECT_EQ(scheduler.skipped_slots(), 0u);
}

TEST(SchedulerTest, UpdateKeepsEachTargetsPhase) {
  constexpr int kTargets = 1000;
  Scheduler scheduler(2);
  for (int id = 0; id < kTargets; ++id) scheduler.Add(id, kT0, 0s, 60s);
  std::vector<Time> first(kTargets);
  for (const auto& d : scheduler.TakeDue(kT0 + 1s)) {
    first[d.id] = d.slot;
    scheduler.Finish(d.id);
  }
  const Time now = kT0 + 5s;
  for (int id = 0; id < kTargets; ++id) scheduler.Update(id, now, 1s);
  std::set<Time> distinct;
  for (const auto& d : scheduler.TakeDue(now + 1s)) {
    EXPECT_GT(d.slot, now);
    EXPECT_EQ((d.slot - first[d.id]) % 1s, Duration::zero());
    distinct.insert(d.slot);
  }
  // The reload did not bunch them.
  EXPECT_GT(distinct.size(), size_t{kTargets * 9 / 10});
}

TEST(SchedulerTest, UpdateKeepsTheInitialDelay) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 100s, 60s);
  const Time first = *scheduler.NextDue();
  scheduler.Update(1, kT0 + 10s, 1s);
  EXPECT_EQ(scheduler.NextDue(), first);
  ASSERT_EQ(scheduler.TakeDue(first).size(), 1u);
  scheduler.Finish(1);
  EXPECT_EQ(scheduler.NextDue(), first + 1s);
}

TEST(SchedulerTest, UpdateKeepsAnOverdueSlot) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 10s);
  const Time first = *scheduler.NextDue();
  ASSERT_EQ(scheduler.TakeDue(first).size(), 1u);
  scheduler.Finish(1);
  scheduler.Update(1, first + 25s, 5s);
  const auto due = scheduler.TakeDue(first + 25s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].slot, first + 10s);
  EXPECT_EQ(scheduler.skipped_slots(), 3u);  // +15 s, +20 s, +25 s
  EXPECT_EQ(scheduler.NextDue(), first + 30s);
}

TEST(SchedulerTest, UpdateKeepsTheProbeInFlight) {
  Scheduler scheduler(1);
  scheduler.Add(1, kT0, 0s, 60s);
  const Time first = *scheduler.NextDue();
  ASSERT_EQ(scheduler.TakeDue(first).size(), 1u);
  scheduler.Update(1, first + 1s, 1s);
  EXPECT_EQ(scheduler.NextDue(), first + 2s);
  EXPECT_TRUE(scheduler.TakeDue(first + 2s).empty());
  scheduler.Finish(1);
  EXPECT_EQ(scheduler.TakeDue(first + 3s).size(), 1u);
}

TEST(SchedulerTest, UpdateOfAnUnknownIdIsANoOp) {
  Scheduler scheduler(1);
  scheduler.Update(1, kT0, 1s);
  EXPECT_FALSE(scheduler.Contains(1));
  EXPECT_EQ(scheduler.NextDue(), std::nullopt);
}

// Drives the scheduler the way the probe loop does, through churn (adds,
// replacing adds, removals, period increases), against a model of each
// target's grid: NextDue() is always the earliest slot, and every target runs
// exactly on its grid.
TEST(SchedulerTest, NextDueIsTheEarliestSlotThroughChurn) {
  struct Model {
    Time window_start;  // before the first probe: its jitter window
    Time window_end;
    std::optional<Time> next;
    Duration period;
  };
  std::mt19937_64 rng(99);
  auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Scheduler scheduler(4);
  std::map<Id, Model> model;
  auto add = [&](Id id, Time now) {
    const Duration period = uniform(50, 5000) * 1ms;
    const Duration delay = uniform(0, 3) * 1s;
    scheduler.Add(id, now, delay, period);
    model[id] = {now + delay, now + delay + std::min<Duration>(period, 1s), std::nullopt, period};
  };
  for (Id id = 0; id < 2000; ++id) add(id, kT0);

  Time now = kT0;
  int takes = 0;
  while (now < kT0 + 30s) {
    ASSERT_EQ(scheduler.size(), model.size());
    const Time next = *scheduler.NextDue();
    ASSERT_GE(next, now);
    ASSERT_TRUE(scheduler.TakeDue(next - kNs).empty()) << "NextDue is late";
    now = next;
    const auto due = scheduler.TakeDue(now);
    ASSERT_FALSE(due.empty()) << "NextDue is early";
    for (const auto& d : due) {
      ASSERT_EQ(d.slot, now);
      Model& m = model.at(d.id);
      if (m.next) {
        ASSERT_EQ(d.slot, *m.next) << d.id;
      } else {
        ASSERT_GE(d.slot, m.window_start);
        ASSERT_LT(d.slot, m.window_end);
      }
      m.next = d.slot + m.period;
      scheduler.Finish(d.id);
    }
    ++takes;
    for (int i = 0; i < 5; ++i) {
      const Id id = uniform(0, 2999);
      switch (uniform(0, 2)) {
        case 0:
          scheduler.Remove(id);
          model.erase(id);
          break;
        case 1:
          add(id, now);
          break;
        case 2:
          if (auto it = model.find(id); it != model.end()) {
            it->second.period += uniform(0, 1000) * 1ms;
            scheduler.Update(id, now, it->second.period);
          }
          break;
      }
    }
  }
  EXPECT_GT(takes, 10000);
  EXPECT_EQ(scheduler.skipped_slots(), 0u);
  for (Id id = 0; id < 3000; ++id) EXPECT_EQ(scheduler.Contains(id), model.contains(id));
}

TEST(SchedulerTest, TenThousandTargetsAtOneSecondRunTenTimesEachInTenSeconds) {
  constexpr int kTargets = 10'000;
  Scheduler scheduler(2024);
  for (int id = 0; id < kTargets; ++id) scheduler.Add(id, kT0, 0s, 1s);
  std::vector<int> probes(kTargets);
  std::vector<Time> last(kTargets);
  bool on_grid = true;
  for (auto next = scheduler.NextDue(); next && *next < kT0 + 10s; next = scheduler.NextDue()) {
    const auto due = scheduler.TakeDue(*next);
    ASSERT_FALSE(due.empty()) << "NextDue is early";
    for (const auto& d : due) {
      on_grid &= d.slot == *next && (probes[d.id] == 0 || d.slot == last[d.id] + 1s);
      last[d.id] = d.slot;
      ++probes[d.id];
      scheduler.Finish(d.id);
    }
  }
  EXPECT_TRUE(on_grid);
  EXPECT_EQ(std::count(probes.begin(), probes.end(), 10), kTargets);
  EXPECT_EQ(scheduler.skipped_slots(), 0u);
  EXPECT_GE(*scheduler.NextDue(), kT0 + 10s);
}

}  // namespace
}  // namespace vigil
