#include "exporters/registry/watch_cursor.h"

#include <algorithm>

namespace vigil {
namespace {

// The most board events read at once for one batch.
constexpr size_t kMaxPage = 1024;

}  // namespace

WatchCursor::WatchCursor(const StatusBoard& board, std::string namespace_name,
                         std::optional<std::string> name, LabelSelector selector,
                         std::optional<uint64_t> since)
    : board_(board),
      namespace_(std::move(namespace_name)),
      name_(std::move(name)),
      selector_(std::move(selector)),
      version_(since.value_or(0)),
      epoch_(board.epoch()),
      started_(since.has_value() && *since > 0) {}

bool WatchCursor::Selected(const EndpointsObject* object) const {
  return object != nullptr && (namespace_.empty() || object->namespace_name == namespace_) &&
         (!name_ || object->name == *name_) && selector_.Matches(object->labels);
}

// What a watcher filtering by namespace, name and labels sees of one change.
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

std::vector<WatchEvent> WatchCursor::Take(size_t max_events) {
  max_events = std::max<size_t>(max_events, 1);
  std::vector<WatchEvent> out;
  if (finished_) return out;
  if (!started_) {
    started_ = true;
    epoch_ = board_.epoch();
    BoardSnapshot snapshot = board_.Snapshot();
    for (auto& object : snapshot.services) {
      if (Selected(object.get())) listing_.push_back(std::move(object));
    }
    version_ = snapshot.resource_version;
  }
  if (!listing_.empty()) {
    while (!listing_.empty() && out.size() < max_events) {
      out.push_back({WatchEvent::Type::kAdded, std::move(listing_.front()), 0, {}});
      listing_.pop_front();
    }
    return out;
  }
  // Board events are read a page at a time until enough pass the filters;
  // pages grow while they yield nothing, so a selective watcher catches up
  // in few calls.
  size_t page = max_events;
  while (out.size() < max_events) {
    if (board_.epoch() != epoch_) {
      Fail("the registry's history restarted at version " +
               std::to_string(board_.resource_version()) +
               " (its store was reached again): list again",
           &out);
      return out;
    }
    const std::optional<std::vector<BoardEvent>> events = board_.EventsSince(version_, page);
    if (!events) {
      Fail("too old resource version: " + std::to_string(version_) +
               " (the oldest to resume after is " +
               std::to_string(board_.oldest_resumable_version()) + ")",
           &out);
      return out;
    }
    if (events->empty()) break;
    for (const BoardEvent& event : *events) {
      // A batch ends between versions only: the rest is for the next call.
      if (out.size() >= max_events && event.resource_version != version_) return out;
      Emit(event, &out);
      version_ = event.resource_version;
    }
    page = std::min<size_t>(page * 2, kMaxPage);
  }
  return out;
}

}  // namespace vigil
