#include "exporters/registry/watch_cursor.h"

namespace vigil {

WatchCursor::WatchCursor(const StatusBoard& board, std::optional<std::string> name,
                         LabelSelector selector, std::optional<uint64_t> since)
    : board_(board),
      name_(std::move(name)),
      selector_(std::move(selector)),
      version_(since.value_or(0)),
      epoch_(board.epoch()),
      started_(since.has_value() && *since > 0) {}

bool WatchCursor::Selected(const EndpointsObject* object) const {
  return object != nullptr && (!name_ || object->name == *name_) &&
         selector_.Matches(object->labels);
}

// What a watcher filtering by name and labels sees of one change.
void WatchCursor::Emit(const BoardEvent& event, std::vector<WatchEvent>* out) const {
  const bool was = event.type != EventType::kAdded && Selected(event.previous.get());
  const bool is = event.type != EventType::kDeleted && Selected(event.object.get());
  if (was && is) {
    out->push_back({WatchEvent::Type::kModified, event.object, 0, {}});
  } else if (is) {
    out->push_back({WatchEvent::Type::kAdded, event.object, 0, {}});
  } else if (was) {
    out->push_back({WatchEvent::Type::kDeleted, event.object, 0, {}});
  }
}

void WatchCursor::Fail(std::string message, std::vector<WatchEvent>* out) {
  finished_ = true;
  out->push_back({WatchEvent::Type::kError, nullptr, 410, std::move(message)});
}

std::vector<WatchEvent> WatchCursor::Take() {
  std::vector<WatchEvent> out;
  if (finished_) return out;
  if (!started_) {
    started_ = true;
    epoch_ = board_.epoch();
    const BoardSnapshot snapshot = board_.Snapshot();
    for (const auto& object : snapshot.services) {
      if (Selected(object.get())) out.push_back({WatchEvent::Type::kAdded, object, 0, {}});
    }
    version_ = snapshot.resource_version;
    return out;
  }
  if (board_.epoch() != epoch_) {
    Fail("the registry's history restarted at version " +
             std::to_string(board_.resource_version()) +
             " (its store was reached again): list again",
         &out);
    return out;
  }
  const std::optional<std::vector<BoardEvent>> events = board_.EventsSince(version_);
  if (!events) {
    Fail("too old resource version: " + std::to_string(version_) +
             " (the oldest to resume after is " +
             std::to_string(board_.oldest_resumable_version()) + ")",
         &out);
    return out;
  }
  for (const BoardEvent& event : *events) {
    Emit(event, &out);
    version_ = event.resource_version;
  }
  return out;
}

}  // namespace vigil
