#include "agent/api/kubernetes/query.h"

#include <charconv>
#include <limits>

namespace vigil::kube {
namespace {

const std::string* First(const QueryParameters& parameters, std::string_view name) {
  for (const auto& [key, value] : parameters) {
    if (key == name) return &value;
  }
  return nullptr;
}

// `text` in double quotes, with quotes, backslashes and control characters
// escaped: a message stays on one line whatever the client sent.
std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Go's strconv.ParseInt(text, 10, 64), sign included.
std::optional<int64_t> ParseInt64(std::string_view text) {
  std::string_view digits = text;
  const bool plus = digits.starts_with('+');
  if (plus) digits.remove_prefix(1);
  const bool digit_first = !digits.empty() && digits.front() >= '0' && digits.front() <= '9';
  if (!digit_first && (plus || !digits.starts_with('-'))) return std::nullopt;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> ParseUint64(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

ApiError InvalidBool(std::string_view name, std::string_view value) {
  return ApiError::BadRequest("invalid value for " + std::string(name) + ": " + Quote(value) +
                              ": want true or false (1, t, T, TRUE, true, True / 0, f, F, FALSE, "
                              "false, False)");
}

}  // namespace

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

ApiResult<KubeQuery> ParseQuery(const QueryParameters& parameters, Resource resource) {
  KubeQuery query;
  for (const char* name : {"watch", "allowWatchBookmarks", "sendInitialEvents"}) {
    const std::string* value = First(parameters, name);
    if (value == nullptr) continue;
    const std::optional<bool> b = ParseBool(*value);
    if (!b) return InvalidBool(name, *value);
    if (std::string_view(name) == "watch") {
      query.watch = *b;
    } else if (std::string_view(name) == "allowWatchBookmarks") {
      query.allow_watch_bookmarks = *b;
    } else {
      query.send_initial_events = *b;
    }
  }

  if (const std::string* text = First(parameters, "labelSelector")) {
    Result<LabelSelector> selector =
        LabelSelector::Parse(*text, LabelSelector::Dialect::kKubernetes);
    if (!selector.ok()) {
      return ApiError::BadRequest("unable to parse requirement: " + selector.status().message());
    }
    query.label_selector = std::move(selector).value();
  }

  if (const std::string* text = First(parameters, "fieldSelector")) {
    Result<FieldSelector> selector = FieldSelector::Parse(*text);
    if (!selector.ok()) return ApiError::BadRequest(selector.status().message());
    if (Status s = selector->CheckFields(Info(resource).fields); !s.ok()) {
      return ApiError::BadRequest(s.message());
    }
    query.field_selector = std::move(selector).value();
  }

  if (const std::string* text = First(parameters, "resourceVersion"); text && !text->empty()) {
    query.resource_version = ParseUint64(*text);
    if (!query.resource_version) {
      return ApiError::BadRequest("invalid resourceVersion " + Quote(*text) +
                                  ": want a decimal number, as metadata.resourceVersion holds");
    }
  }

  if (const std::string* text = First(parameters, "timeoutSeconds")) {
    const std::optional<int64_t> seconds = ParseInt64(*text);
    if (!seconds || *seconds < 0) {
      return ApiError::BadRequest("invalid timeoutSeconds " + Quote(*text) +
                                  ": want a number of seconds, 0 or more");
    }
    if (*seconds > 0) query.timeout = std::chrono::seconds(*seconds);
  }

  if (const std::string* text = First(parameters, "limit")) {
    const std::optional<int64_t> limit = ParseInt64(*text);
    if (!limit || *limit < 0) {
      return ApiError::BadRequest("invalid limit " + Quote(*text) +
                                  ": want a number of items, 0 or more");
    }
    query.limit = *limit;
  }

  if (const std::string* token = First(parameters, "continue"); token && !token->empty()) {
    return ApiError::BadRequest(
        "invalid continue " + Quote(*token) +
        ": this server sends every list whole and hands out no continue tokens; list again "
        "without it");
  }

  if (const std::string* text = First(parameters, "includeObject")) {
    if (*text == "None") {
      query.include_object = IncludeObject::kNone;
    } else if (*text == "Metadata" || text->empty()) {
      query.include_object = IncludeObject::kMetadata;
    } else if (*text == "Object") {
      query.include_object = IncludeObject::kObject;
    } else {
      return ApiError::BadRequest("invalid includeObject " + Quote(*text) +
                                  ": want None, Metadata or Object");
    }
  }
  return query;
}

}  // namespace vigil::kube
