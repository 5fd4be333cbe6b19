#include "agent/api/list_query.h"

#include <charconv>
#include <string>

#include "config/names.h"

namespace vigil {

Result<ListQuery> ParseListQuery(const QueryParams& params, uint64_t current_version) {
  ListQuery query;
  if (std::optional<std::string> ns = params.Get("namespace")) {
    if (Status s = CheckDns1123Label(*ns); !s.ok())
      return Status::Error("namespace " + s.message());
    query.namespace_name = std::move(*ns);
  }
  if (std::optional<std::string> text = params.Get("labelSelector")) {
    Result<LabelSelector> selector = LabelSelector::Parse(*text);
    if (!selector.ok()) return selector.status();
    query.selector = std::move(selector).value();
  }
  if (std::optional<std::string> watch = params.Get("watch")) {
    if (*watch != "true" && *watch != "1" && *watch != "false" && *watch != "0") {
      return Status::Error("watch must be true or false, not \"" + *watch + "\"");
    }
    query.watch = *watch == "true" || *watch == "1";
  }
  if (std::optional<std::string> text = params.Get("resourceVersion")) {
    uint64_t version = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size()) {
      return Status::Error("resourceVersion must be a number, not \"" + *text + "\"");
    }
    if (version > current_version) {
      return Status::Error("resourceVersion " + *text + " is newer than the server's (" +
                           std::to_string(current_version) + ")");
    }
    query.since = version;
  }
  return query;
}

}  // namespace vigil
