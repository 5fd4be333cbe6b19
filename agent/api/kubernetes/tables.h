// Server-side Tables (meta.k8s.io/v1 Table, KUBERNETES_API.md §8): what
// `kubectl get` prints. One TableConvertor per resource, as the apiserver's
// printers (pkg/printers/internalversion/printers.go): the same column
// definitions (names, types, formats, priorities, descriptions) and the
// same cells, computed from the Kubernetes object itself, as the printers
// read the API object. Every column is sent, priority-1 ones too (kubectl
// hides those unless -o wide), as the apiserver does.
//
// Pure functions: `now` is passed in for the ages. Safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/resources.h"
#include "common/clock.h"

namespace vigil::kube {

// What a row carries besides its cells (the includeObject parameter).
enum class IncludeObject {
  kNone,      // no object
  kMetadata,  // the default: a PartialObjectMetadata with the object's metadata
  kObject,    // the whole object
};

// The column definitions of `resource`'s Table:
//   [{"name":"Name","type":"string","format":"name","description":…,"priority":0},…]
KubeJson ColumnDefinitions(Resource resource);

// The cells of one object's row, one per column, strings except the Count
// of an Event (an integer). The Endpoints column shows the first three ready
// "ip:port" of all subsets, then " + N more...", and "<none>" when none is
// ready (vigil's CLI does the same; the apiserver leaves that cell empty
// when every address is not ready). Ages are kubectl's
// (HumanDuration(now - timestamp)); "<unknown>" without a timestamp.
KubeJson TableCells(Resource resource, const KubeJson& object, WallTime now);

// The same cells computed once, without the clock: each age cell is null in
// `cells` and listed in `ages` with the time it is the age of (none:
// "<unknown>"). FillCells(RowTemplate(r, o), now) == TableCells(r, o, now).
struct TableRowTemplate {
  KubeJson cells;
  std::vector<std::pair<size_t, std::optional<WallTime>>> ages;
};
TableRowTemplate RowTemplate(Resource resource, const KubeJson& object);
KubeJson FillCells(const TableRowTemplate& row, WallTime now);
// An age cell: HumanDuration(now - since), "<unknown>" without a time.
std::string AgeCell(std::optional<WallTime> since, WallTime now);

struct TableOptions {
  IncludeObject include_object = IncludeObject::kMetadata;
  // Whether to send columnDefinitions: a Table watch sends them on its first
  // event only (the apiserver's NoHeaders after it); kubectl reuses them.
  bool column_definitions = true;
};

// {"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":
//  {"resourceVersion":"N"},"columnDefinitions":[…],"rows":[{"cells":[…],
//  "object":…}]}, one row per object in the order given. For a list
// `resource_version` is the list's; for one object (a get, a watch event)
// the object's.
KubeJson EncodeTable(Resource resource, const std::vector<KubeJson>& objects,
                     uint64_t resource_version, WallTime now, const TableOptions& options = {});

}  // namespace vigil::kube
