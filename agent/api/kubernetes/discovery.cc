#include "agent/api/kubernetes/discovery.h"

#include <string>

#include "agent/api/kubernetes/resources.h"

namespace vigil::kube {
namespace {

constexpr std::string_view kDiscoveryGroup = "discovery.k8s.io";

KubeJson Verbs() { return KubeJson::array({"get", "list", "watch"}); }

KubeJson ShortNames(const ResourceInfo& info) {
  KubeJson names = KubeJson::array();
  for (const std::string_view n : info.short_names) names.push_back(n);
  return names;
}

KubeJson GroupVersion() {
  return {{"groupVersion", std::string(kDiscoveryGroup) + "/v1"}, {"version", "v1"}};
}

}  // namespace

std::string_view BuildPlatform() {
#if defined(__x86_64__)
  return "linux/amd64";
#elif defined(__aarch64__)
  return "linux/arm64";
#elif defined(__arm__)
  return "linux/arm";
#elif defined(__i386__)
  return "linux/386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "linux/ppc64le";
#elif defined(__s390x__)
  return "linux/s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "linux/riscv64";
#else
  return "linux/unknown";
#endif
}

KubeJson VersionJson(std::string_view vigil_version, std::string_view platform) {
  const std::string minor = std::to_string(kClaimedMinor);
  return {{"major", "1"},
          {"minor", minor},
          {"gitVersion", "v1." + minor + ".0-vigil." + std::string(vigil_version)},
          {"gitCommit", ""},
          {"gitTreeState", ""},
          {"buildDate", ""},
          {"goVersion", "n/a"},
          {"compiler", "gcc"},
          {"platform", platform}};
}

KubeJson ApiVersionsJson(std::string_view server_address) {
  return {{"kind", "APIVersions"},
          {"versions", KubeJson::array({"v1"})},
          {"serverAddressByClientCIDRs",
           KubeJson::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

KubeJson DiscoveryGroupJson() {
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", kDiscoveryGroup},
          {"versions", KubeJson::array({GroupVersion()})},
          {"preferredVersion", GroupVersion()}};
}

KubeJson ApiGroupListJson() {
  KubeJson group = DiscoveryGroupJson();
  group.erase("kind");
  group.erase("apiVersion");
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", KubeJson::array({group})}};
}

KubeJson ResourceListJson(std::string_view group_version) {
  KubeJson resources = KubeJson::array();
  for (const ResourceInfo& info : AllResources()) {
    if (info.api_version != group_version) continue;
    KubeJson r = {{"name", info.name},
                  {"singularName", info.singular},
                  {"namespaced", info.namespaced},
                  {"kind", info.kind},
                  {"verbs", Verbs()}};
    if (!info.short_names.empty()) r["shortNames"] = ShortNames(info);
    resources.push_back(std::move(r));
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group_version},
          {"resources", std::move(resources)}};
}

KubeJson AggregatedDiscoveryJson(bool core) {
  KubeJson items = KubeJson::array();
  const std::string_view group = core ? std::string_view() : kDiscoveryGroup;
  KubeJson resources = KubeJson::array();
  for (const ResourceInfo& info : AllResources()) {
    if (info.group != group) continue;
    KubeJson r = {
        {"resource", info.name},
        {"responseKind", {{"group", info.group}, {"version", info.version}, {"kind", info.kind}}},
        {"scope", info.namespaced ? "Namespaced" : "Cluster"},
        {"singularResource", info.singular},
        {"verbs", Verbs()}};
    if (!info.short_names.empty()) r["shortNames"] = ShortNames(info);
    resources.push_back(std::move(r));
  }
  KubeJson metadata = KubeJson::object();
  if (!core) metadata["name"] = kDiscoveryGroup;
  metadata["creationTimestamp"] = nullptr;
  items.push_back({{"metadata", std::move(metadata)},
                   {"versions", KubeJson::array({{{"version", "v1"},
                                                  {"resources", std::move(resources)},
                                                  {"freshness", "Current"}}})}});
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", "apidiscovery.k8s.io/v2"},
          {"metadata", KubeJson::object()},
          {"items", std::move(items)}};
}

}  // namespace vigil::kube
