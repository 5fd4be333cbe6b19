// WatchStream: the native dialect's watch stream (vigil/v1): a WatchCursor's
// events encoded as the lines of Kubernetes' watch protocol, one JSON object
// each:
//
//   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{…}}
//
// Endpoints watches carry Endpoints objects with their probe details;
// services watches carry Service items with their counts.
//
// Not thread-safe: one per stream, used by one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exporters/registry/label_selector.h"
#include "exporters/registry/status_board.h"
#include "exporters/registry/watch_cursor.h"

namespace vigil {

enum class WatchKind { kEndpoints, kServices };

class WatchStream {
 public:
  // Lines are taken until they pass this many bytes, so that a watcher
  // resuming over a long history holds a bounded piece of it at a time.
  static constexpr size_t kBatchBytes = 1 << 20;

  // `details` gives the endpoints' probe details (usually `board` itself).
  // `namespace_name` ("": every namespace), `name`, `selector` and `since`
  // are the WatchCursor's.
  WatchStream(const StatusBoard& board, const ProbeDetailsSource& details, WatchKind kind,
              std::string namespace_name, std::optional<std::string> name, LabelSelector selector,
              std::optional<uint64_t> since, size_t batch_bytes = kBatchBytes);

  // The next event lines (each ending in '\n') not yet taken: the events of
  // one version at a time until they pass `batch_bytes`; empty only when
  // there are none. After an ERROR line the stream is finished.
  std::vector<std::string> Take();
  // A BOOKMARK line at the version the stream has reached.
  std::string Bookmark() const;

  bool finished() const { return cursor_.finished(); }
  uint64_t version() const { return cursor_.version(); }

 private:
  std::string Line(const WatchEvent& event) const;

  const ProbeDetailsSource& details_;
  const WatchKind kind_;
  const size_t batch_bytes_;
  WatchCursor cursor_;
};

}  // namespace vigil
