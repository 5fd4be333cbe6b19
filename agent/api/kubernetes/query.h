// The query parameters of a Kubernetes API request (KUBERNETES_API.md §4),
// parsed and checked: a KubeQuery, or the 400 BadRequest that says what was
// wrong. Parameters this server does not know are ignored (kubectl sends
// timeout=32s on discovery), as are resourceVersionMatch and pretty. When a
// parameter repeats, the first value counts, as in Go's url.Values.Get.
//
// limit is checked and then ignored: every list is whole, with no
// metadata.continue (the API allows it, and kubectl --chunk-size=1 then
// gets everything on its first page). So this server never hands out a
// continue token, and a request with one is refused.
//
// Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/resources.h"
#include "agent/api/kubernetes/tables.h"
#include "exporters/registry/field_selector.h"
#include "exporters/registry/label_selector.h"

namespace vigil::kube {

// The decoded query string, in order: name, value.
using QueryParameters = std::vector<std::pair<std::string, std::string>>;

struct KubeQuery {
  bool watch = false;
  LabelSelector label_selector;  // the Kubernetes dialect
  FieldSelector field_selector;  // naming only fields the resource supports
  // Absent or "": none (a list: the latest; a watch: ADDED for all, then
  // changes). 0: the same for a watch (kubectl's named watch sends it).
  std::optional<uint64_t> resource_version;
  // timeoutSeconds; absent or 0: the server's own watch duration.
  std::optional<std::chrono::seconds> timeout;
  bool allow_watch_bookmarks = false;
  std::optional<bool> send_initial_events;
  std::optional<int64_t> limit;  // checked, not honoured (see above)
  IncludeObject include_object = IncludeObject::kMetadata;
};

// Go's strconv.ParseBool: "1", "t", "T", "TRUE", "true", "True" are true;
// "0", "f", "F", "FALSE", "false", "False" false; anything else is none.
std::optional<bool> ParseBool(std::string_view text);

// The parameters of a request for `resource`. Errors are 400 BadRequest:
//   invalid value for watch: "maybe": want true or false
//   unable to parse requirement: invalid label selector "a b" at position 3: …
//   field label not supported: spec.nodeName
ApiResult<KubeQuery> ParseQuery(const QueryParameters& parameters, Resource resource);

}  // namespace vigil::kube
