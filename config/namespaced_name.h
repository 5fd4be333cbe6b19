// NamespacedName: what identifies a service (and any namespaced object, such
// as a Kubernetes Event) everywhere vigil keys by it: its namespace and its
// name. A name is unique in its namespace only, so the pair, never the name
// alone, is the key of the board's objects, probe details, transitions,
// Events, the prober's services and the reload diff.
//
// ServiceLabel is the one place that turns the pair back into a single
// string for series and log lines, whose label sets have no namespace: the
// name, or NAMESPACE/NAME when the name is used in more than one namespace.
//
// Plain values and pure functions.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>

namespace vigil {

struct NamespacedName {
  std::string namespace_name;
  std::string name;

  // Ordered by namespace, then name (as Kubernetes lists objects).
  auto operator<=>(const NamespacedName&) const = default;
  bool operator==(const NamespacedName&) const = default;

  // "NAMESPACE/NAME", as kubectl writes it.
  std::string ToString() const { return namespace_name + "/" + name; }
};

struct NamespacedNameHash {
  size_t operator()(const NamespacedName& n) const {
    const size_t h = std::hash<std::string_view>{}(n.namespace_name);
    return h ^
           (std::hash<std::string_view>{}(n.name) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

// The label of `service` in metrics and logs: its name, or NAMESPACE/NAME
// when its name is one of `shared` (the names used in several namespaces).
inline std::string ServiceLabel(const NamespacedName& service,
                                const std::set<std::string>& shared) {
  return shared.contains(service.name) ? service.ToString() : service.name;
}

}  // namespace vigil
