// kubectl-style output for `vigil get` and `vigil describe`: ages, the
// ENDPOINTS column, aligned tables, -o json / -o yaml, and describe text.
//
// Every function here is a pure function of its arguments: the input is the
// HTTP API's JSON exactly as served (see README.md "HTTP API"), the current
// time is passed in, and the output is a string for the caller to write. There
// is no I/O, no clock read and no shared state, so all of it is thread-safe.
// Malformed input (a missing field, a wrong type) never throws: the field
// prints as empty, "<none>" or "<unknown>".
//
// Tables follow kubectl's printer (Go text/tabwriter, padding 3, minimum width
// 6): each column is as wide as its widest cell plus three spaces, the last
// column is not padded, and no line ends in a space. For `get -w` the caller
// keeps one TableLayout: the first table fixes the column widths, and each
// later call reuses them, widening a column (for that row and the rest) only
// when a cell would not fit. kubectl instead aligns every watch event on its
// own, so its columns jump; ours stay put as long as the cells fit.
//
// Describe text follows kubectl describe (tabwriter padding 2): a block of
// "Label:  value" fields, then tables indented by two spaces.
//   `describe endpoints` — Name, Namespace (when the object has one), Labels,
//     Ports, Ready; then Addresses (ready
//     endpoints) and NotReadyAddresses, each a table of ADDRESS, NODE,
//     LAST PROBE ("3s ago", "<never>"), RESULT, MESSAGE, LAST TRANSITION; then
//     Transitions.
//   `describe service` — the same fields plus Endpoints (the ENDPOINTS column
//     of `get endpoints`), then the same two tables without the probe columns
//     (ADDRESS, NODE, LAST TRANSITION); then Transitions.
// Transitions is a table of AGE, ENDPOINT, NODE, TO ("ready"/"not ready"),
// REASON, oldest first; an empty section prints as "Section:  <none>".
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/time_format.h"

namespace vigil {

// --- Columns -----------------------------------------------------------------

// The ENDPOINTS column of an Endpoints object: up to three ready endpoints as
// "ip:port" ("[fd00::1]:8080" for IPv6) joined by ",", then " + N more..." for
// the other ready ones; "<none>" when none is ready. An address that several
// nodes report ready counts once.
std::string FormatEndpointsColumn(const nlohmann::json& endpoints);

// --- Tables (vigil get) --------------------------------------------------------

// What kubectl writes to stderr, instead of a table, when a list is empty.
inline constexpr std::string_view kNoResourcesFound = "No resources found.";

struct TableOptions {
  bool wide = false;   // -o wide: adds NODES (endpoints only) and LABELS, last as in kubectl
  bool header = true;  // false for the rows of `get -w` after the first table
  // A NAMESPACE column first, as kubectl's with -A: for a list whose
  // objects are in more than one namespace (SeveralNamespaces).
  bool namespaces = false;
};

// Whether the objects of `items` (as FormatEndpointsTable takes them) are
// in more than one namespace.
bool SeveralNamespaces(const nlohmann::json& items);

// Column widths shared by the tables of one `get -w`; start it empty.
struct TableLayout {
  std::vector<size_t> widths;
};

// `vigil get endpoints`: NAME, ENDPOINTS, AGE; wide adds NODES (the distinct
// nodes, sorted) and LABELS ("k=v,k=v" sorted by key).
// `items` is an array of Endpoints objects, a list holding them in "items", or
// a single Endpoints object (a `get -w` event). Returns "" when there is none
// (print kNoResourcesFound to stderr then); otherwise lines ending in "\n".
// `layout`, when given, carries the column widths from call to call.
std::string FormatEndpointsTable(const nlohmann::json& items, WallTime now,
                                 const TableOptions& options, TableLayout* layout = nullptr);

// `vigil get services`: NAME, READY ("3/5"), PORT(S) ("8080/TCP,9090/TCP"),
// AGE; wide adds LABELS. `items` is a ServiceList's items. Same contract as
// FormatEndpointsTable.
std::string FormatServicesTable(const nlohmann::json& items, WallTime now,
                                const TableOptions& options, TableLayout* layout = nullptr);

// --- Objects (-o json, -o yaml) ------------------------------------------------

// What kubectl prints for several objects: {"kind":"List","items":[...]}.
nlohmann::json ListOf(const nlohmann::json& items);

// -o json: indented by 4 spaces as kubectl does, ending in "\n".
std::string FormatJson(const nlohmann::json& value);

// -o yaml, as kubectl prints it: block style, keys in the JSON's order, a
// sequence inside a mapping not indented ("ports:\n- port: 8080"), empty
// containers as {} and [], null as null. Strings are quoted only when needed:
// double quotes for those YAML would read as another type ("42", "true",
// "2026-11-26T10:20:30Z") or as a document marker ("---"), yaml-cpp's
// emitter's choice for those a plain scalar cannot hold ("a: b", "#x", " x"),
// and JSON-style escapes ("\n", "\u0001") for control characters. Invalid
// UTF-8 becomes U+FFFD, as in FormatJson.
std::string FormatYaml(const nlohmann::json& value);

// --- Describe ----------------------------------------------------------------

// `vigil describe endpoints NAME`, from an Endpoints object and the service's
// TransitionList ({"kind":"TransitionList","items":[...]}, oldest first).
std::string DescribeEndpoints(const nlohmann::json& endpoints, const nlohmann::json& transitions,
                              WallTime now);

// `vigil describe service NAME`, from the same inputs.
std::string DescribeService(const nlohmann::json& endpoints, const nlohmann::json& transitions,
                            WallTime now);

}  // namespace vigil
