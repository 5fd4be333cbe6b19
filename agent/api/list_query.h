// The query of vigil's native lists and objects: namespace, labelSelector,
// watch and resourceVersion (README, "HTTP API"), read from a request's decoded query
// parameters.
//
// A pure function (no I/O), for the API's routes and for a fuzz target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/api/request_target.h"
#include "common/status.h"
#include "exporters/registry/label_selector.h"

namespace vigil {

struct ListQuery {
  std::string namespace_name;     // namespace=NS; empty: every namespace
  LabelSelector selector;         // labelSelector; empty: everything
  bool watch = false;             // watch=true|1 (false|0: a plain list)
  std::optional<uint64_t> since;  // resourceVersion=N
};

// The query, or an error message for a 400: a namespace that is not a
// DNS-1123 label, a selector that does not parse,
// a watch that is neither true nor false, a resourceVersion that is not a
// number or is newer than `current_version`, the board's.
Result<ListQuery> ParseListQuery(const QueryParams& params, uint64_t current_version);

}  // namespace vigil
