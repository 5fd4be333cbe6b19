// WatchCursor: one watcher's position in the StatusBoard's history, turning
// board events into the API's watch events (Kubernetes' watch protocol, one
// JSON object per line):
//
//   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{…}}
//
// Without a starting version the cursor first sends the current objects as
// ADDED, then every change after them; with one, exactly the changes after it,
// or a single ERROR (code 410) when the board no longer keeps them. A label
// selector filters as Kubernetes does: an object that stops matching is sent
// as DELETED, one that starts matching as ADDED.
//
// Not thread-safe: one cursor per watch stream, used by that stream's thread.
// The board it reads is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/label_selector.h"
#include "agent/status_board.h"

namespace vigil {

enum class WatchKind { kEndpoints, kServices };

class WatchCursor {
 public:
  // `name`: watch that one object only. `since`: the resourceVersion to
  // resume after; none (or 0) starts with the current objects.
  // `details` gives the endpoints' probe details (usually `board` itself).
  WatchCursor(const StatusBoard& board, const ProbeDetailsSource& details, WatchKind kind,
              std::optional<std::string> name, LabelSelector selector,
              std::optional<uint64_t> since);

  // The event lines (each ending in '\n') not yet taken; empty when there are
  // none. After an ERROR line the cursor is finished.
  std::vector<std::string> Take();
  // A BOOKMARK line at the version the cursor has reached.
  std::string Bookmark() const;

  bool finished() const { return finished_; }
  // The version up to which events were taken: wait for the board to pass it.
  uint64_t version() const { return version_; }

 private:
  std::string Line(const char* type, const EndpointsObject& object) const;
  void Emit(const BoardEvent& event, std::vector<std::string>* lines);
  bool Selected(const EndpointsObject* object) const;

  const StatusBoard& board_;
  const ProbeDetailsSource& details_;
  const WatchKind kind_;
  const std::optional<std::string> name_;
  const LabelSelector selector_;
  uint64_t version_ = 0;
  uint64_t epoch_ = 0;  // the board's when the cursor started
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace vigil
