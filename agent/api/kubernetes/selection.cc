#include "agent/api/kubernetes/selection.h"

#include <string_view>

namespace vigil::kube {
namespace {

// The string at `object`/`a`/`b`, or "" when absent.
std::string StringAt(const KubeJson& object, std::string_view a, std::string_view b = {}) {
  const auto first = object.find(a);
  if (first == object.end()) return "";
  const KubeJson* value = &*first;
  if (!b.empty()) {
    if (!value->is_object()) return "";
    const auto second = value->find(b);
    if (second == value->end()) return "";
    value = &*second;
  }
  return value->is_string() ? value->get<std::string>() : "";
}

}  // namespace

std::map<std::string, std::string> ObjectLabels(const KubeJson& object) {
  std::map<std::string, std::string> labels;
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return labels;
  const auto json = metadata->find("labels");
  if (json == metadata->end() || !json->is_object()) return labels;
  for (auto it = json->begin(); it != json->end(); ++it) {
    if (it.value().is_string()) labels[it.key()] = it.value().get<std::string>();
  }
  return labels;
}

FieldSelector::Fields ObjectFields(Resource resource, const KubeJson& object) {
  FieldSelector::Fields fields = {
      {"metadata.name", StringAt(object, "metadata", "name")},
      {"metadata.namespace", StringAt(object, "metadata", "namespace")},
  };
  switch (resource) {
    case Resource::kNamespaces:
      fields.erase("metadata.namespace");
      fields["status.phase"] = StringAt(object, "status", "phase");
      break;
    case Resource::kEvents: {
      for (const char* field :
           {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
        fields[std::string("involvedObject.") + field] = StringAt(object, "involvedObject", field);
      }
      fields["reason"] = StringAt(object, "reason");
      fields["reportingComponent"] = StringAt(object, "reportingComponent");
      std::string source = StringAt(object, "source", "component");
      fields["source"] = source.empty() ? fields["reportingComponent"] : source;
      fields["type"] = StringAt(object, "type");
      break;
    }
    case Resource::kEndpoints:
    case Resource::kServices:
    case Resource::kEndpointSlices:
      break;
  }
  return fields;
}

bool Selects(Resource resource, const KubeJson& object, const LabelSelector& labels,
             const FieldSelector& fields) {
  if (!labels.empty() && !labels.Matches(ObjectLabels(object))) return false;
  return fields.empty() || fields.Matches(ObjectFields(resource, object));
}

}  // namespace vigil::kube
