// Scheduler says when each target's next probe is due: a timer heap of
// per-target fixed grids. A target's first probe is due at
// added + initial_delay + jitter, the jitter (uniform in [0, min(period, 1 s)))
// spreading targets added together by an agent start or a config reload; after
// that its probes start every `period` on the grid anchored at the first one,
// so the schedule never drifts however late the loop runs. A slot is never run
// twice: slots that pass while the loop is late, or while the target's previous
// probe is still in flight, are skipped and counted, so the probes of one
// endpoint never overlap.
//
// The probe loop sleeps until NextDue(), starts the probes TakeDue() returns
// and calls Finish() as each one completes. Times are passed in; the Scheduler
// has no clock. Each operation costs O(log n) (TakeDue per target it moves),
// amortized: heap entries of removed or rescheduled targets are dropped lazily.
// Not thread-safe; used from the probe loop thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace vigil {

class Scheduler {
 public:
  using Id = uint64_t;

  // Seeds the jitter; the same seed gives the same schedule.
  explicit Scheduler(uint64_t seed);

  // Schedules `id` (period > 0, initial_delay >= 0). Adding an existing id
  // replaces its grid but keeps its in-flight state, so that the probe already
  // running neither overlaps the next one nor has its Finish() lost.
  void Add(Id id, Time added, Duration initial_delay, Duration period);

  // Changes the period of `id` (a no-op for unknown ids). The grid is
  // re-anchored at the next due slot with the new period: that slot is kept
  // when it is at most one new period away, and always before the first probe
  // (a period change does not cut the initial delay short). Otherwise (a
  // shorter period) it is pulled in to the first slot after `now` on the new
  // grid through it, at most one new period away; keeping its phase keeps the
  // jitter's spread when a reload changes many targets at once.
  void Update(Id id, Time now, Duration period);

  // Forgets `id`, in-flight state included: a later Finish(id) is a no-op.
  void Remove(Id id);

  bool Contains(Id id) const { return targets_.contains(id); }
  size_t size() const { return targets_.size(); }

  // The earliest due slot of any target; nullopt when there is none. Targets
  // in flight count: their slot is when TakeDue() must see them to skip it, so
  // that a probe finishing 2.5 periods late runs next at the following slot,
  // not at once. TakeDue(now) moves every due target past `now`, so the caller
  // never spins on a slot it cannot run.
  std::optional<Time> NextDue() const;

  struct Due {
    Id id;
    Time slot;  // the grid slot it became due at: lateness = now - slot
  };
  // Every target due at `now` (slot <= now) and not in flight, once each, in
  // order of slot; they are now in flight. Each due target's next slot
  // becomes the first grid slot strictly after `now`; the slots passed over
  // (later slots the loop was late for, or every due slot of a target in
  // flight) are skipped and counted.
  std::vector<Due> TakeDue(Time now);
  // The same into `due` (cleared first), whose capacity is reused from turn to turn.
  void TakeDue(Time now, std::vector<Due>* due);

  // The probe of `id` completed; a no-op for unknown ids.
  void Finish(Id id);

  // Slots skipped so far, for lateness or overlap.
  uint64_t skipped_slots() const { return skipped_slots_; }

 private:
  struct Target {
    Time next;  // the next slot on the grid
    Duration period;
    uint64_t generation;  // of the target's one live heap entry
    bool in_flight = false;
    bool started = false;  // a slot has come: the initial delay is over
  };
  // Entries of removed or rescheduled targets are not searched for in the heap;
  // they go stale (their generation no longer matches) and are dropped later.
  struct Entry {
    Time due;
    Id id;
    uint64_t generation;
  };
  // The heap's order, as a type so that the heap operations inline it.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.due > b.due; }
  };

  Duration Jitter(Duration period);
  Target* LiveTarget(const Entry& entry);
  void Push(Id id, Target& target);
  void Prune();

  std::mt19937_64 rng_;
  std::unordered_map<Id, Target> targets_;
  std::vector<Entry> heap_;  // a min-heap by Later(); its top is always live
  uint64_t generation_ = 0;
  uint64_t skipped_slots_ = 0;
};

}  // namespace vigil
