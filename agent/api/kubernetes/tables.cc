#include "agent/api/kubernetes/tables.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time_format.h"

namespace vigil::kube {
namespace {

// The descriptions are the API's own documentation of each field (the Go
// types' SwaggerDoc, as printers.go quotes them); kubectl does not print them.
constexpr std::string_view kNameDoc =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
constexpr std::string_view kCreationTimestampDoc =
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by "
    "the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";
constexpr std::string_view kSubsetsDoc =
    "The set of all endpoints is the union of all subsets. Addresses are placed into subsets "
    "according to the IPs they share. A single address with multiple ports, some of which are "
    "ready and some of which are not (because they come from different containers) will result "
    "in the address being displayed in different subsets for the different ports. No address "
    "will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses "
    "and ports that comprise a service.";
constexpr std::string_view kServiceTypeDoc =
    "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
    "ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a "
    "cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by "
    "the selector or if that is not specified, by manual construction of an Endpoints object or "
    "EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the "
    "endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" "
    "builds on ClusterIP and allocates a port on every node which routes to the same endpoints "
    "as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external "
    "load-balancer (if supported in the current cloud) which routes to the same endpoints as the "
    "clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several "
    "other fields do not apply to ExternalName services. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/"
    "#publishing-services-service-types";
constexpr std::string_view kClusterIpDoc =
    "clusterIP is the IP address of the service and is usually assigned randomly. If an address "
    "is specified manually, is in-range (as per system configuration), and is not in use, it "
    "will be allocated to the service; otherwise creation of the service will fail. This field "
    "may not be changed through updates unless the type field is also being changed to "
    "ExternalName (which requires this field to be blank) or the type field is being changed "
    "from ExternalName (in which case this field may optionally be specified, as describe "
    "above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting "
    "this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct "
    "endpoint connections are preferred and proxying is not required.  Only applies to types "
    "ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service "
    "of type ExternalName, creation will fail. This field will be wiped when updating a Service "
    "to type ExternalName. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/"
    "#virtual-ips-and-service-proxies";
constexpr std::string_view kExternalIpsDoc =
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
    "traffic for this service.  These IPs are not managed by Kubernetes.  The user is "
    "responsible for ensuring that traffic arrives at a node with this IP.  A common example is "
    "external load-balancers that are not part of the Kubernetes system.";
constexpr std::string_view kServicePortsDoc =
    "The list of ports that are exposed by this service. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/"
    "#virtual-ips-and-service-proxies";
constexpr std::string_view kSelectorDoc =
    "Route service traffic to pods with label keys and values matching this selector. If empty "
    "or not present, the service is assumed to have an external process managing its "
    "endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, "
    "and LoadBalancer. Ignored if type is ExternalName. More info: "
    "https://kubernetes.io/docs/concepts/services-networking/service/";
constexpr std::string_view kAddressTypeDoc =
    "addressType specifies the type of address carried by this EndpointSlice. All addresses in "
    "this slice must be the same type. This field is immutable after creation. The following "
    "address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: "
    "Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.";
constexpr std::string_view kSlicePortsDoc =
    "ports specifies the list of network ports exposed by each endpoint in this slice. Each port "
    "must have a unique name. When ports is empty, it indicates that there are no defined "
    "ports. When a port is defined with a nil port value, it indicates \"all ports\". Each "
    "slice may include a maximum of 100 ports.";
constexpr std::string_view kSliceEndpointsDoc =
    "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of "
    "1000 endpoints.";
constexpr std::string_view kLastTimestampDoc =
    "The time at which the most recent occurrence of this event was recorded.";
constexpr std::string_view kEventTypeDoc =
    "Type of this event (Normal, Warning), new types could be added in the future";
constexpr std::string_view kReasonDoc =
    "This should be a short, machine understandable string that gives the reason for the "
    "transition into the object's current status.";
constexpr std::string_view kInvolvedObjectDoc = "The object that this event is about.";
constexpr std::string_view kFieldPathDoc =
    "If referring to a piece of an object instead of an entire object, this string should "
    "contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. "
    "For example, if the object reference is to a container within a pod, this would take on a "
    "value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container "
    "that triggered the event) or if no container name is specified \"spec.containers[2]\" "
    "(container with index 2 in this pod). This syntax is chosen only to have some "
    "well-defined way of referencing a part of an object.";
constexpr std::string_view kSourceDoc =
    "The component reporting this event. Should be a short machine understandable string.";
constexpr std::string_view kMessageDoc =
    "A human-readable description of the status of this operation.";
constexpr std::string_view kFirstTimestampDoc =
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)";
constexpr std::string_view kCountDoc = "The number of times this event has occurred.";
constexpr std::string_view kNamespaceStatusDoc = "The status of the namespace";

struct Column {
  std::string_view name;
  std::string_view format;
  std::string_view description;
  int priority = 0;
};

// Every column has the type "string" in printers.go, Count included (its
// cells are integers all the same).
constexpr Column kEndpointsColumns[] = {
    {"Name", "name", kNameDoc},
    {"Endpoints", "", kSubsetsDoc},
    {"Age", "", kCreationTimestampDoc},
};
constexpr Column kServicesColumns[] = {
    {"Name", "name", kNameDoc},        {"Type", "", kServiceTypeDoc},
    {"Cluster-IP", "", kClusterIpDoc}, {"External-IP", "", kExternalIpsDoc},
    {"Port(s)", "", kServicePortsDoc}, {"Age", "", kCreationTimestampDoc},
    {"Selector", "", kSelectorDoc, 1},
};
constexpr Column kEndpointSlicesColumns[] = {
    {"Name", "name", kNameDoc},         {"AddressType", "", kAddressTypeDoc},
    {"Ports", "", kSlicePortsDoc},      {"Endpoints", "", kSliceEndpointsDoc},
    {"Age", "", kCreationTimestampDoc},
};
constexpr Column kEventsColumns[] = {
    {"Last Seen", "", kLastTimestampDoc}, {"Type", "", kEventTypeDoc},
    {"Reason", "", kReasonDoc},           {"Object", "", kInvolvedObjectDoc},
    {"Subobject", "", kFieldPathDoc, 1},  {"Source", "", kSourceDoc, 1},
    {"Message", "", kMessageDoc},         {"First Seen", "", kFirstTimestampDoc, 1},
    {"Count", "", kCountDoc, 1},          {"Name", "name", kNameDoc, 1},
};
constexpr Column kNamespacesColumns[] = {
    {"Name", "name", kNameDoc},
    {"Status", "", kNamespaceStatusDoc},
    {"Age", "", kCreationTimestampDoc},
};

std::span<const Column> Columns(Resource resource) {
  switch (resource) {
    case Resource::kEndpoints:
      return kEndpointsColumns;
    case Resource::kServices:
      return kServicesColumns;
    case Resource::kEndpointSlices:
      return kEndpointSlicesColumns;
    case Resource::kEvents:
      return kEventsColumns;
    case Resource::kNamespaces:
      return kNamespacesColumns;
  }
  return kNamespacesColumns;
}

// --- Reading the object, leniently: what is absent reads as empty. -------

const KubeJson& Empty() {
  static const KubeJson empty;
  return empty;
}

const KubeJson& At(const KubeJson& json, std::string_view key) {
  if (!json.is_object()) return Empty();
  const auto it = json.find(key);
  return it == json.end() ? Empty() : *it;
}

std::string String(const KubeJson& json) { return json.is_string() ? json.get<std::string>() : ""; }

const KubeJson& Array(const KubeJson& json) {
  static const KubeJson empty = KubeJson::array();
  return json.is_array() ? json : empty;
}

// --- printers.go's helpers. -------------------------------------------------

// The time of a metav1.Time field, or none when it is absent or not valid.
std::optional<WallTime> TimeOf(const KubeJson& timestamp) {
  if (!timestamp.is_string()) return std::nullopt;
  const Result<WallTime> time = ParseTime(timestamp.get<std::string>());
  if (!time.ok()) return std::nullopt;
  return *time;
}

// Cells are made with a placeholder for each age, noted in `ages` with the
// time it is the age of.
class Row {
 public:
  explicit Row(TableRowTemplate* row) : row_(row) {}
  void Cell(KubeJson value) { row_->cells.push_back(std::move(value)); }
  void Age(std::optional<WallTime> since) {
    row_->ages.push_back({row_->cells.size(), since});
    row_->cells.push_back(nullptr);
  }

 private:
  TableRowTemplate* row_;
};

std::string JoinHostPort(const std::string& host, int64_t port) {
  const std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

// The first three of `items`, then " + N more...".
std::string ListWithMore(const std::vector<std::string>& items, size_t count) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < 3; ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  if (count > 3) out += " + " + std::to_string(count - 3) + " more...";
  return out;
}

std::string Join(const KubeJson& array, std::string_view separator) {
  std::string out;
  for (const KubeJson& item : Array(array)) {
    if (!out.empty()) out += separator;
    out += String(item);
  }
  return out;
}

// labels.FormatLabels: "k=v,…" sorted by key, "<none>" when empty.
std::string FormatLabels(const KubeJson& map) {
  std::vector<std::string> pairs;
  if (map.is_object()) {
    for (auto it = map.begin(); it != map.end(); ++it)
      pairs.push_back(it.key() + "=" + String(it.value()));
  }
  if (pairs.empty()) return "<none>";
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const std::string& p : pairs) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string TrimSpace(std::string s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t start = 0;
  while (start < s.size() && space(s[start])) ++start;
  return s.substr(start);
}

std::string EndpointsCell(const KubeJson& object) {
  std::vector<std::string> list;
  size_t count = 0;
  for (const KubeJson& subset : Array(At(object, "subsets"))) {
    const KubeJson& addresses = Array(At(subset, "addresses"));
    const KubeJson& ports = Array(At(subset, "ports"));
    if (ports.empty()) {  // a headless service without ports
      for (const KubeJson& a : addresses) {
        if (list.size() < 3) list.push_back(String(At(a, "ip")));
        ++count;
      }
      continue;
    }
    for (const KubeJson& port : ports) {
      const KubeJson& number = At(port, "port");
      const int64_t p = number.is_number_integer() ? number.get<int64_t>() : 0;
      for (const KubeJson& a : addresses) {
        if (list.size() < 3) list.push_back(JoinHostPort(String(At(a, "ip")), p));
        ++count;
      }
    }
  }
  return count == 0 ? "<none>" : ListWithMore(list, count);
}

// formatDiscoveryPorts / formatDiscoveryEndpoints: "<unset>" when empty.
std::string SlicePortsCell(const KubeJson& object) {
  std::vector<std::string> list;
  size_t count = 0;
  for (const KubeJson& port : Array(At(object, "ports"))) {
    const KubeJson& number = At(port, "port");
    const KubeJson& name = At(port, "name");
    list.push_back(number.is_number_integer() ? std::to_string(number.get<int64_t>())
                   : name.is_string()         ? name.get<std::string>()
                                              : "*");
    ++count;
  }
  return count == 0 ? "<unset>" : ListWithMore(list, count);
}

std::string SliceEndpointsCell(const KubeJson& object) {
  std::vector<std::string> list;
  size_t count = 0;
  for (const KubeJson& endpoint : Array(At(object, "endpoints"))) {
    for (const KubeJson& address : Array(At(endpoint, "addresses"))) {
      if (list.size() < 3) list.push_back(String(address));
      ++count;
    }
  }
  return count == 0 ? "<unset>" : ListWithMore(list, count);
}

std::string ServicePortsCell(const KubeJson& object) {
  std::string out;
  for (const KubeJson& port : Array(At(At(object, "spec"), "ports"))) {
    const KubeJson& number = At(port, "port");
    const KubeJson& node_port = At(port, "nodePort");
    std::string piece = number.is_number_integer() ? std::to_string(number.get<int64_t>()) : "0";
    if (node_port.is_number_integer() && node_port.get<int64_t>() > 0) {
      piece += ":" + std::to_string(node_port.get<int64_t>());
    }
    piece += "/" + String(At(port, "protocol"));
    out += (out.empty() ? "" : ",") + piece;
  }
  return out.empty() ? "<none>" : out;
}

void ServiceCells(const KubeJson& object, Row& row) {
  const KubeJson& spec = At(object, "spec");
  const KubeJson& cluster_ips = Array(At(spec, "clusterIPs"));
  const std::string external_ips = Join(At(spec, "externalIPs"), ",");
  row.Cell(String(At(At(object, "metadata"), "name")));
  row.Cell(String(At(spec, "type")));
  row.Cell(cluster_ips.empty() ? "<none>" : String(cluster_ips.front()));
  row.Cell(external_ips.empty() ? "<none>" : external_ips);
  row.Cell(ServicePortsCell(object));
  row.Age(TimeOf(At(At(object, "metadata"), "creationTimestamp")));
  row.Cell(FormatLabels(At(spec, "selector")));
}

void EventCells(const KubeJson& object, Row& row) {
  const KubeJson& first = At(object, "firstTimestamp");
  const std::optional<WallTime> first_seen =
      first.is_string() ? TimeOf(first) : TimeOf(At(object, "eventTime"));
  const KubeJson& last = At(object, "lastTimestamp");
  const std::optional<WallTime> last_seen = last.is_string() ? TimeOf(last) : first_seen;
  const KubeJson& count_json = At(object, "count");
  int64_t count = count_json.is_number_integer() ? count_json.get<int64_t>() : 0;
  if (count == 0) count = 1;  // a singleton event of the newer API has no count
  const KubeJson& involved = At(object, "involvedObject");
  std::string kind = String(At(involved, "kind"));
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string involved_name = String(At(involved, "name"));
  // formatEventSource: component (else reportingComponent), ", host" (else
  // reportingInstance) when there is one.
  const KubeJson& source = At(object, "source");
  std::string component = String(At(source, "component"));
  if (component.empty()) component = String(At(object, "reportingComponent"));
  std::string host = String(At(source, "host"));
  if (host.empty()) host = String(At(object, "reportingInstance"));
  row.Age(last_seen);
  row.Cell(String(At(object, "type")));
  row.Cell(String(At(object, "reason")));
  row.Cell(involved_name.empty() ? kind : kind + "/" + involved_name);
  row.Cell(String(At(involved, "fieldPath")));
  row.Cell(host.empty() ? component : component + ", " + host);
  row.Cell(TrimSpace(String(At(object, "message"))));
  row.Age(first_seen);
  row.Cell(count);
  row.Cell(String(At(At(object, "metadata"), "name")));
}

}  // namespace

KubeJson ColumnDefinitions(Resource resource) {
  KubeJson columns = KubeJson::array();
  for (const Column& c : Columns(resource)) {
    columns.push_back({{"name", c.name},
                       {"type", "string"},
                       {"format", c.format},
                       {"description", c.description},
                       {"priority", c.priority}});
  }
  return columns;
}

TableRowTemplate RowTemplate(Resource resource, const KubeJson& object) {
  TableRowTemplate out;
  out.cells = KubeJson::array();
  Row row(&out);
  const KubeJson& metadata = At(object, "metadata");
  const std::string name = String(At(metadata, "name"));
  const std::optional<WallTime> created = TimeOf(At(metadata, "creationTimestamp"));
  switch (resource) {
    case Resource::kEndpoints:
      row.Cell(name);
      row.Cell(EndpointsCell(object));
      row.Age(created);
      break;
    case Resource::kServices:
      ServiceCells(object, row);
      break;
    case Resource::kEndpointSlices:
      row.Cell(name);
      row.Cell(String(At(object, "addressType")));
      row.Cell(SlicePortsCell(object));
      row.Cell(SliceEndpointsCell(object));
      row.Age(created);
      break;
    case Resource::kEvents:
      EventCells(object, row);
      break;
    case Resource::kNamespaces:
      row.Cell(name);
      row.Cell(String(At(At(object, "status"), "phase")));
      row.Age(created);
      break;
  }
  return out;
}

std::string AgeCell(std::optional<WallTime> since, WallTime now) {
  if (!since) return "<unknown>";
  // Go's int(d.Seconds()): truncated toward zero.
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *since));
}

KubeJson FillCells(const TableRowTemplate& row, WallTime now) {
  KubeJson cells = row.cells;
  for (const auto& [index, since] : row.ages) cells[index] = AgeCell(since, now);
  return cells;
}

KubeJson TableCells(Resource resource, const KubeJson& object, WallTime now) {
  return FillCells(RowTemplate(resource, object), now);
}

KubeJson EncodeTable(Resource resource, const std::vector<KubeJson>& objects,
                     uint64_t resource_version, WallTime now, const TableOptions& options) {
  KubeJson rows = KubeJson::array();
  for (const KubeJson& object : objects) {
    KubeJson row = {{"cells", TableCells(resource, object, now)}};
    switch (options.include_object) {
      case IncludeObject::kNone:
        break;
      case IncludeObject::kMetadata:
        row["object"] = {{"kind", "PartialObjectMetadata"},
                         {"apiVersion", "meta.k8s.io/v1"},
                         {"metadata", At(object, "metadata")}};
        break;
      case IncludeObject::kObject:
        row["object"] = object;
        break;
    }
    rows.push_back(std::move(row));
  }
  KubeJson table = {{"kind", "Table"},
                    {"apiVersion", "meta.k8s.io/v1"},
                    {"metadata", {{"resourceVersion", std::to_string(resource_version)}}}};
  if (options.column_definitions) table["columnDefinitions"] = ColumnDefinitions(resource);
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace vigil::kube
