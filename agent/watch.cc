#include "agent/watch.h"

#include "agent/api_json.h"

namespace vigil {
namespace {

const char* KindName(WatchKind kind) {
  return kind == WatchKind::kEndpoints ? "Endpoints" : "Service";
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

WatchCursor::WatchCursor(const StatusBoard& board, const ProbeDetailsSource& details,
                         WatchKind kind, std::optional<std::string> name, LabelSelector selector,
                         std::optional<uint64_t> since)
    : board_(board),
      details_(details),
      kind_(kind),
      name_(std::move(name)),
      selector_(std::move(selector)),
      version_(since.value_or(0)),
      epoch_(board.epoch()),
      started_(since.has_value() && *since > 0) {}

bool WatchCursor::Selected(const EndpointsObject* object) const {
  return object != nullptr && (!name_ || object->name == *name_) &&
         selector_.Matches(object->labels);
}

std::string WatchCursor::Line(const char* type, const EndpointsObject& object) const {
  nlohmann::json j =
      kind_ == WatchKind::kEndpoints ? EndpointsJson(object, details_) : ServiceJson(object);
  if (kind_ == WatchKind::kServices) {
    j["kind"] = "Service";
    j["resourceVersion"] = std::to_string(object.resource_version);
  }
  return Dump({{"type", type}, {"object", std::move(j)}});
}

// What a watcher filtering by name and labels sees of one change.
void WatchCursor::Emit(const BoardEvent& event, std::vector<std::string>* lines) {
  const bool was = event.type != EventType::kAdded && Selected(event.previous.get());
  const bool is = event.type != EventType::kDeleted && Selected(event.object.get());
  if (was && is) {
    lines->push_back(Line("MODIFIED", *event.object));
  } else if (is) {
    lines->push_back(Line("ADDED", *event.object));
  } else if (was) {
    lines->push_back(Line("DELETED", *event.object));
  }
}

std::vector<std::string> WatchCursor::Take() {
  std::vector<std::string> lines;
  if (finished_) return lines;
  if (!started_) {
    started_ = true;
    epoch_ = board_.epoch();
    const BoardSnapshot snapshot = board_.Snapshot();
    for (const auto& object : snapshot.services) {
      if (Selected(object.get())) lines.push_back(Line("ADDED", *object));
    }
    version_ = snapshot.resource_version;
    return lines;
  }
  const uint64_t epoch = board_.epoch();
  if (epoch != epoch_) {
    finished_ = true;
    lines.push_back(
        Dump({{"type", "ERROR"},
              {"object", StatusJson(410, "the registry's history restarted at version " +
                                             std::to_string(board_.resource_version()) +
                                             " (its store was reached again): list again")}}));
    return lines;
  }
  const std::optional<std::vector<BoardEvent>> events = board_.EventsSince(version_);
  if (!events) {
    finished_ = true;
    lines.push_back(
        Dump({{"type", "ERROR"},
              {"object",
               StatusJson(410, "too old resource version: " + std::to_string(version_) +
                                   " (the oldest to resume after is " +
                                   std::to_string(board_.oldest_resumable_version()) + ")")}}));
    return lines;
  }
  for (const BoardEvent& event : *events) {
    Emit(event, &lines);
    version_ = event.resource_version;
  }
  return lines;
}

std::string WatchCursor::Bookmark() const {
  return Dump(
      {{"type", "BOOKMARK"},
       {"object", {{"kind", KindName(kind_)}, {"resourceVersion", std::to_string(version_)}}}});
}

}  // namespace vigil
