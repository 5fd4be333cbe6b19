#include "exporters/registry/etcd_records.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/log_escape.h"
#include "common/time_format.h"
#include "config/names.h"
#include "exporters/registry/endpoint_json.h"

namespace vigil {
namespace {

using nlohmann::json;

// The segments of a key after the prefix: "services/S/N" or
// "endpoints/S/N/E"; none may be empty.
std::vector<std::string_view> Segments(std::string_view rest) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

// Field readers: each returns an error naming the field.
Status Missing(const char* name, const char* want) {
  return Status::Error(std::string(name) + ": want " + want);
}

const json* Find(const json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

Result<std::string> String(const json& object, const char* name) {
  const json* v = Find(object, name);
  if (v == nullptr || !v->is_string()) return Missing(name, "a string");
  return v->get<std::string>();
}

Result<bool> Bool(const json& object, const char* name) {
  const json* v = Find(object, name);
  if (v == nullptr || !v->is_boolean()) return Missing(name, "true or false");
  return v->get<bool>();
}

Result<int> Port(const json& object, const char* name) {
  const json* v = Find(object, name);
  if (v == nullptr || !v->is_number_integer()) return Missing(name, "a port number");
  const int64_t port = v->get<int64_t>();
  if (port < 1 || port > 65535) return Missing(name, "a port number from 1 to 65535");
  return static_cast<int>(port);
}

Result<WallTime> TimeField(const json& object, const char* name) {
  Result<std::string> text = String(object, name);
  if (!text.ok()) return Missing(name, "an RFC 3339 time");
  Result<WallTime> time = ParseTime(*text);
  if (!time.ok()) {
    // ParseTime's words quote the text: quoted here escaped instead.
    return Status::Error(std::string(name) + ": \"" + EscapeForLog(*text, 64) +
                         "\" is not an RFC 3339 time (like 2026-11-26T10:20:30Z)");
  }
  return *time;
}

// Records are flat: a value nested deeper is not one, and is not parsed
// (a tree of deep nesting costs memory, and recursion where it is printed).
constexpr int kMaxRecordDepth = 8;

bool NestedTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxRecordDepth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

Result<json> ParseObject(std::string_view value) {
  if (NestedTooDeep(value)) {
    return Status::Error("nested deeper than " + std::to_string(kMaxRecordDepth) + " levels");
  }
  json j = json::parse(value.begin(), value.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("not JSON");
  if (!j.is_object()) return Status::Error("not a JSON object");
  return j;
}

Result<ProbeOutcome> Outcome(const std::string& name) {
  for (ProbeOutcome o : {ProbeOutcome::kSuccess, ProbeOutcome::kFailure, ProbeOutcome::kTimeout,
                         ProbeOutcome::kError}) {
    if (OutcomeName(o) == name) return o;
  }
  return Status::Error("lastResult: want success, failure, timeout or error, not \"" +
                       EscapeForLog(name, 64) + "\"");
}

Result<ProbeReason> Reason(const std::string& name) {
  for (size_t i = 1; i < kProbeReasonCount; ++i) {
    const auto reason = static_cast<ProbeReason>(i);
    if (ReasonName(reason) == name) return reason;
  }
  return Status::Error("lastReason: not a failure reason: \"" + name + "\"");
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string ServiceKey(std::string_view prefix, std::string_view service, std::string_view node) {
  std::string key(prefix);
  key.append("/services/").append(service).append("/").append(node);
  return key;
}

std::string EndpointKey(std::string_view prefix, std::string_view service, std::string_view node,
                        std::string_view endpoint) {
  std::string key(prefix);
  key.append("/endpoints/").append(service).append("/").append(node).append("/").append(endpoint);
  return key;
}

std::optional<RegistryKey> ParseRegistryKey(std::string_view prefix, std::string_view key) {
  if (key.size() <= prefix.size() + 1 || key.substr(0, prefix.size()) != prefix ||
      key[prefix.size()] != '/') {
    return std::nullopt;
  }
  const std::vector<std::string_view> parts = Segments(key.substr(prefix.size() + 1));
  for (std::string_view part : parts) {
    if (part.empty()) return std::nullopt;
  }
  if (parts.size() == 3 && parts[0] == "services") {
    return RegistryKey{RegistryKey::Kind::kService, std::string(parts[1]), std::string(parts[2]),
                       ""};
  }
  if (parts.size() == 4 && parts[0] == "endpoints") {
    return RegistryKey{RegistryKey::Kind::kEndpoint, std::string(parts[1]), std::string(parts[2]),
                       std::string(parts[3])};
  }
  return std::nullopt;
}

std::string EncodeServiceRecord(const EndpointsObject& object, std::string_view node) {
  json labels = json::object();
  for (const auto& [k, v] : object.labels) labels[k] = v;
  return Dump({{"name", object.name},
               {"namespace", object.namespace_name},
               {"node", node},
               {"labels", std::move(labels)},
               {"ports", PortsJson(object.ports)},
               {"publishNotReadyAddresses", object.publish_not_ready_addresses},
               {"creationTimestamp", FormatTime(object.creation_time)}});
}

std::string EncodeEndpointRecord(const EndpointStatus& endpoint,
                                 const std::optional<ProbeDetails>& probe) {
  return Dump(EndpointJson(endpoint, probe));
}

Result<ServiceRecord> DecodeServiceRecord(std::string_view value) {
  Result<json> parsed = ParseObject(value);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  ServiceRecord record;
  if (const json* ns = Find(j, "namespace"); ns != nullptr && !ns->is_null()) {
    if (!ns->is_string()) return Missing("namespace", "a string");
    record.namespace_name = ns->get<std::string>();
    if (Status s = CheckDns1123Label(record.namespace_name); !s.ok()) {
      return Status::Error("namespace: " + s.message());
    }
  }
  if (const json* publish = Find(j, "publishNotReadyAddresses");
      publish != nullptr && !publish->is_null()) {
    if (!publish->is_boolean()) return Missing("publishNotReadyAddresses", "true or false");
    record.publish_not_ready_addresses = publish->get<bool>();
  }
  if (const json* labels = Find(j, "labels"); labels != nullptr && !labels->is_null()) {
    if (!labels->is_object()) return Missing("labels", "an object of strings");
    for (const auto& [k, v] : labels->items()) {
      if (!v.is_string()) return Status::Error("labels." + EscapeForLog(k, 64) + ": want a string");
      record.labels[k] = v.get<std::string>();
    }
  }
  if (const json* ports = Find(j, "ports"); ports != nullptr && !ports->is_null()) {
    if (!ports->is_array()) return Missing("ports", "a list");
    for (const json& p : *ports) {
      if (!p.is_object()) return Missing("ports[]", "an object");
      ServicePort port;
      Result<int> number = Port(p, "port");
      if (!number.ok()) return Status::Error("ports[]." + number.status().message());
      port.port = *number;
      if (const json* name = Find(p, "name"); name != nullptr) {
        if (!name->is_string()) return Missing("ports[].name", "a string");
        port.name = name->get<std::string>();
      }
      record.ports.push_back(std::move(port));
    }
  }
  Result<WallTime> created = TimeField(j, "creationTimestamp");
  if (!created.ok()) return created.status();
  record.creation_time = *created;
  return record;
}

Result<EndpointRecord> DecodeEndpointRecord(std::string_view value) {
  Result<json> parsed = ParseObject(value);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  EndpointRecord record;
  EndpointStatus& status = record.status;
  Result<std::string> address = String(j, "address");
  if (!address.ok() || address->empty()) return Missing("address", "an IP address");
  status.address = *address;
  Result<int> port = Port(j, "port");
  if (!port.ok()) return port.status();
  status.port = *port;
  Result<std::string> node = String(j, "node");
  if (!node.ok()) return node.status();
  status.node = *node;
  const json* conditions = Find(j, "conditions");
  if (conditions == nullptr || !conditions->is_object()) {
    return Missing("conditions", "an object with ready, serving and terminating");
  }
  for (auto [name, field] : {std::pair{"ready", &EndpointConditions::ready},
                             std::pair{"serving", &EndpointConditions::serving},
                             std::pair{"terminating", &EndpointConditions::terminating}}) {
    Result<bool> flag = Bool(*conditions, name);
    if (!flag.ok()) return Status::Error("conditions." + flag.status().message());
    status.conditions.*field = *flag;
  }
  Result<WallTime> transition = TimeField(j, "lastTransitionTime");
  if (!transition.ok()) return transition.status();
  status.last_transition_time = *transition;

  // Probe details are optional: an endpoint not probed yet has none.
  const json* probe_time = Find(j, "lastProbeTime");
  if (probe_time != nullptr && !probe_time->is_null()) {
    ProbeDetails probe;
    Result<WallTime> time = TimeField(j, "lastProbeTime");
    if (!time.ok()) return time.status();
    probe.time = *time;
    Result<std::string> result = String(j, "lastResult");
    if (!result.ok()) return result.status();
    Result<ProbeOutcome> outcome = Outcome(*result);
    if (!outcome.ok()) return outcome.status();
    probe.result = *outcome;
    if (const json* message = Find(j, "message"); message != nullptr) {
      if (!message->is_string()) return Missing("message", "a string");
      probe.message = message->get<std::string>();
    }
    // Records written before these fields existed have neither.
    if (const json* reason = Find(j, "lastReason"); reason != nullptr && !reason->is_null()) {
      if (!reason->is_string()) return Missing("lastReason", "a string");
      Result<ProbeReason> parsed = Reason(reason->get<std::string>());
      if (!parsed.ok()) return parsed.status();
      probe.reason = *parsed;
    }
    if (const json* seconds = Find(j, "lastProbeDurationSeconds");
        seconds != nullptr && !seconds->is_null()) {
      if (!seconds->is_number() || !(seconds->get<double>() >= 0) ||
          seconds->get<double>() > 86400 * 365) {
        return Missing("lastProbeDurationSeconds", "a number of seconds");
      }
      probe.duration = std::chrono::microseconds(std::llround(seconds->get<double>() * 1e6));
    }
    record.probe = std::move(probe);
  }
  return record;
}

}  // namespace vigil
