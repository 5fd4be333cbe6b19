// ObjectCache: the Kubernetes encodings (encoded.h) of the StatusBoard's
// committed objects, each made once. A committed object is immutable and
// shared by pointer, and every change commits a new one, so an encoding
// never goes stale: it is found by the object's address, and its entry
// holds the object, so that the address cannot be taken by another object
// while the entry lives. However many lists and watches show a change, its
// objects are encoded once; a list encodes only what changed since the last.
//
// Kept: the entries of the objects the boards hold now, and of any other
// (a state before a change, which watches compare with) until it goes
// unused for `keep_unused`. A lookup sweeps the rest out, at most every
// `sweep_interval`, by the boards' snapshots. Nothing else is stored:
// the boards remain the only state, and their versions the only versions.
//
// Thread-safe. Encoding is done outside the lock: two threads that miss
// the same object at once may both encode it, and one encoding is kept.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "agent/api/kubernetes/encoded.h"
#include "agent/api/kubernetes/resources.h"
#include "exporters/registry/endpoints.h"
#include "exporters/registry/events.h"
#include "exporters/registry/status_board.h"

namespace vigil::kube {

class ObjectCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    Clock::duration keep_unused = std::chrono::seconds(10);
    Clock::duration sweep_interval = std::chrono::seconds(1);
  };

  struct Stats {
    size_t entries = 0;      // objects with an encoding kept
    size_t bytes = 0;        // their encodings' heap, roughly
    uint64_t encodings = 0;  // encodings made so far
  };

  // Keeps the encodings of what `boards` hold (which must outlive this).
  explicit ObjectCache(std::vector<const StatusBoard*> boards);
  ObjectCache(std::vector<const StatusBoard*> boards, Options options);

  // The objects of `resource` (Services, Endpoints or EndpointSlices) that
  // `object` shows (EncodeObjects), encoded.
  std::shared_ptr<const std::vector<EncodedPtr>> Of(
      Resource resource, const std::shared_ptr<const EndpointsObject>& object);
  // The Event of `event`, encoded.
  EncodedPtr Of(const std::shared_ptr<const KubeEvent>& event);

  // Drops the entries of objects that no board holds and that were not used
  // for keep_unused.
  void Sweep();

  Stats stats() const;

 private:
  // The forms of one board object: the Service, Endpoints and slices of a
  // service's object, or one Event.
  static constexpr size_t kForms = 4;
  struct Entry {
    std::shared_ptr<const void> object;
    std::array<std::shared_ptr<const std::vector<EncodedPtr>>, kForms> forms;
    size_t bytes = 0;
    Clock::time_point used;
  };

  std::shared_ptr<const std::vector<EncodedPtr>> Find(const void* object, size_t form);
  std::shared_ptr<const std::vector<EncodedPtr>> Keep(
      std::shared_ptr<const void> object, size_t form,
      std::shared_ptr<const std::vector<EncodedPtr>> encoded);
  void MaybeSweep();

  const std::vector<const StatusBoard*> boards_;
  const Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<const void*, Entry> entries_;  // GUARDED_BY(mutex_)
  size_t bytes_ = 0;                                // GUARDED_BY(mutex_)
  uint64_t encodings_ = 0;                          // GUARDED_BY(mutex_)
  Clock::time_point last_sweep_;                    // GUARDED_BY(mutex_)
};

}  // namespace vigil::kube
