#include "agent/scheduler.h"

#include <algorithm>
#include <cassert>
#include <chrono>

namespace vigil {
namespace {

// Jitter is capped so that a long period does not delay a new target's first
// probe by long; a second is enough to spread a reload's burst of targets.
constexpr Duration kMaxJitter = std::chrono::seconds(1);

}  // namespace

Scheduler::Scheduler(uint64_t seed) : rng_(seed) {}

void Scheduler::Add(Id id, Time added, Duration initial_delay, Duration period) {
  assert(period > Duration::zero() && initial_delay >= Duration::zero());
  Target& target = targets_[id];
  target.next = added + initial_delay + Jitter(period);
  target.period = period;
  target.started = false;
  Push(id, target);
  Prune();
}

void Scheduler::Update(Id id, Time now, Duration period) {
  assert(period > Duration::zero());
  auto it = targets_.find(id);
  if (it == targets_.end()) return;
  Target& target = it->second;
  target.period = period;
  const Duration wait = target.next - now;
  if (!target.started || wait <= period) return;  // the heap entry stays valid
  // The latest slot before target.next that is still after now.
  target.next -= (wait - Duration(1)) / period * period;
  Push(id, target);
  Prune();
}

void Scheduler::Remove(Id id) {
  targets_.erase(id);
  Prune();
}

std::optional<Time> Scheduler::NextDue() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().due;
}

std::vector<Scheduler::Due> Scheduler::TakeDue(Time now) {
  std::vector<Due> due;
  TakeDue(now, &due);
  return due;
}

void Scheduler::TakeDue(Time now, std::vector<Due>* out) {
  std::vector<Due>& due = *out;
  due.clear();
  while (!heap_.empty() && heap_.front().due <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Entry entry = heap_.back();
    heap_.pop_back();
    Target* target = LiveTarget(entry);
    if (target == nullptr) continue;
    // Slots entry.due, entry.due + period, ... up to now have all come; at
    // most the first of them runs.
    const auto come = static_cast<uint64_t>((now - entry.due) / target->period) + 1;
    if (target->in_flight) {
      skipped_slots_ += come;
    } else {
      due.push_back({entry.id, entry.due});
      skipped_slots_ += come - 1;
      target->in_flight = true;
    }
    target->started = true;
    target->next = entry.due + static_cast<Duration::rep>(come) * target->period;
    Push(entry.id, *target);
  }
  Prune();
}

void Scheduler::Finish(Id id) {
  auto it = targets_.find(id);
  if (it != targets_.end()) it->second.in_flight = false;
}

Duration Scheduler::Jitter(Duration period) {
  const Duration bound = std::min(period, kMaxJitter);
  std::uniform_int_distribution<Duration::rep> uniform(0, bound.count() - 1);
  return Duration(uniform(rng_));
}

Scheduler::Target* Scheduler::LiveTarget(const Entry& entry) {
  auto it = targets_.find(entry.id);
  return it != targets_.end() && it->second.generation == entry.generation ? &it->second : nullptr;
}

// A fresh generation makes the target's previous heap entry, if still there,
// stale.
void Scheduler::Push(Id id, Target& target) {
  target.generation = ++generation_;
  heap_.push_back({target.next, id, target.generation});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

// Drops stale entries from the top, so that NextDue() can peek, and rebuilds
// the heap once stale entries outnumber live ones, so that churn (reloads that
// replace or remove targets) cannot grow it without bound. A rebuild costs
// O(n) after at least n stale entries: O(1) amortized.
void Scheduler::Prune() {
  if (heap_.size() > 2 * targets_.size()) {
    heap_.clear();
    for (const auto& [id, target] : targets_) heap_.push_back({target.next, id, target.generation});
    std::make_heap(heap_.begin(), heap_.end(), Later{});
  }
  while (!heap_.empty() && LiveTarget(heap_.front()) == nullptr) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

}  // namespace vigil
