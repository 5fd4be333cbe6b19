#include "agent/api/watch_stream.h"

#include "agent/api/api_json.h"

namespace vigil {
namespace {

const char* KindName(WatchKind kind) {
  return kind == WatchKind::kEndpoints ? "Endpoints" : "Service";
}

const char* TypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return "ADDED";
    case WatchEvent::Type::kModified:
      return "MODIFIED";
    case WatchEvent::Type::kDeleted:
      return "DELETED";
    case WatchEvent::Type::kError:
      break;
  }
  return "ERROR";
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

WatchStream::WatchStream(const StatusBoard& board, const ProbeDetailsSource& details,
                         WatchKind kind, std::string namespace_name,
                         std::optional<std::string> name, LabelSelector selector,
                         std::optional<uint64_t> since, size_t batch_bytes)
    : details_(details),
      kind_(kind),
      batch_bytes_(batch_bytes),
      cursor_(board, std::move(namespace_name), std::move(name), std::move(selector), since) {}

std::string WatchStream::Line(const WatchEvent& event) const {
  if (event.type == WatchEvent::Type::kError) {
    return Dump({{"type", "ERROR"}, {"object", StatusJson(event.code, event.message)}});
  }
  const EndpointsObject& object = *event.object;
  nlohmann::json j =
      kind_ == WatchKind::kEndpoints ? EndpointsJson(object, details_) : ServiceJson(object);
  if (kind_ == WatchKind::kServices) {
    j["kind"] = "Service";
    j["resourceVersion"] = std::to_string(object.resource_version);
  }
  return Dump({{"type", TypeName(event.type)}, {"object", std::move(j)}});
}

std::vector<std::string> WatchStream::Take() {
  std::vector<std::string> lines;
  size_t bytes = 0;
  while (bytes < batch_bytes_) {
    // One version's events at a time: each is formatted before the next is
    // taken, and the batch stops between versions.
    const std::vector<WatchEvent> events = cursor_.Take(1);
    if (events.empty()) break;
    for (const WatchEvent& event : events) {
      lines.push_back(Line(event));
      bytes += lines.back().size();
    }
  }
  return lines;
}

std::string WatchStream::Bookmark() const {
  return Dump(
      {{"type", "BOOKMARK"},
       {"object", {{"kind", KindName(kind_)}, {"resourceVersion", std::to_string(version())}}}});
}

}  // namespace vigil
