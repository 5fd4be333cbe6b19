// WatchCursor: one watcher's position in the StatusBoard's history, turning
// board events into the events a watcher sees (Kubernetes' watch semantics),
// whatever encoding the watcher's API dialect then gives them.
//
// Without a starting version the cursor first yields the current objects as
// ADDED, then every change after them; with one, exactly the changes after it,
// or a single ERROR (code 410) when the board no longer keeps them (the
// version is older than its history, or than its start) or its history
// restarted. A namespace, a name and a label selector filter as Kubernetes does: an
// object that stops matching is yielded as DELETED, one that starts matching
// as ADDED.
//
// Events come in bounded batches, the cursor remembering its place: a
// watcher resuming from an old version gets the backlog piece by piece, and
// its encoder holds one piece at a time, never the whole history.
//
// Not thread-safe: one cursor per watch stream, used by one thread at a time.
// The board it reads is thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exporters/registry/label_selector.h"
#include "exporters/registry/status_board.h"

namespace vigil {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kError };
  Type type = Type::kAdded;
  // ADDED, MODIFIED, DELETED: the object (for DELETED its last state), at
  // the version of the change (an object's deletion is a version of its own).
  std::shared_ptr<const EndpointsObject> object;
  // ERROR: an HTTP-like code (410: list again) and why.
  int code = 0;
  std::string message;
};

class WatchCursor {
 public:
  // `namespace_name`: watch the objects of that namespace only ("": of
  // every namespace). `name`: of that name only. `since`: the
  // resourceVersion to resume after; none (or 0) starts with the current
  // objects.
  WatchCursor(const StatusBoard& board, std::string namespace_name, std::optional<std::string> name,
              LabelSelector selector, std::optional<uint64_t> since);

  static constexpr size_t kDefaultBatch = 64;

  // The next of the events not yet taken: at most `max_events` (at least
  // 1), and more only to end with all the events of one version; empty only
  // when there are none. After an ERROR the cursor is finished and yields
  // nothing more.
  std::vector<WatchEvent> Take(size_t max_events = kDefaultBatch);

  bool finished() const { return finished_; }
  // The version up to which events were taken: wait for the board to pass it,
  // and resuming from it replays nothing already taken.
  uint64_t version() const { return version_; }

 private:
  void Emit(const BoardEvent& event, std::vector<WatchEvent>* out) const;
  bool Selected(const EndpointsObject* object) const;
  void Fail(std::string message, std::vector<WatchEvent>* out);

  const StatusBoard& board_;
  const std::string namespace_;
  const std::optional<std::string> name_;
  const LabelSelector selector_;
  // The start's objects not yet yielded (as ADDED), selected already.
  std::deque<std::shared_ptr<const EndpointsObject>> listing_;
  uint64_t version_ = 0;
  uint64_t epoch_ = 0;  // the board's when the cursor started
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace vigil
