// The resources of vigil's Kubernetes API view, and what the API says about
// each: its names in paths and discovery, its kind, its group and version,
// whether it is namespaced, its short names and the fields a field selector
// may name. One table, read by the router, discovery, the codecs and the
// error messages, so that they cannot disagree.
//
// Constant data: safe to read from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace vigil::kube {

enum class Resource { kEndpoints, kEvents, kNamespaces, kServices, kEndpointSlices };

struct ResourceInfo {
  Resource resource;
  std::string_view name;         // plural, as in paths: "endpoints"
  std::string_view singular;     // "endpoints"
  std::string_view kind;         // "Endpoints"
  std::string_view list_kind;    // "EndpointsList"
  std::string_view group;        // "" for the core group, or "discovery.k8s.io"
  std::string_view version;      // "v1"
  std::string_view api_version;  // "v1" or "discovery.k8s.io/v1"
  bool namespaced;
  std::span<const std::string_view> short_names;  // "ep"
  std::span<const std::string_view> fields;       // the fields a fieldSelector may name
};

const ResourceInfo& Info(Resource resource);

// Every resource, the core group's first, each group's sorted by name (the
// order of discovery).
std::span<const ResourceInfo> AllResources();

// The resource `name` (plural) of `group` ("" for the core group), or null.
const ResourceInfo* FindResource(std::string_view group, std::string_view name);

// The resource as Kubernetes names it in messages: "endpoints",
// "endpointslices.discovery.k8s.io".
std::string QualifiedName(const ResourceInfo& info);

}  // namespace vigil::kube
