// Which objects a request's selectors select: an object's labels and its
// selectable fields, read from the object itself (as the apiserver's
// GetAttrs do), and the test of both selectors. Pure functions; safe from
// any thread.
#pragma once

#include <map>
#include <string>

#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/resources.h"
#include "exporters/registry/field_selector.h"
#include "exporters/registry/label_selector.h"

namespace vigil::kube {

// metadata.labels of `object`, {} when it has none.
std::map<std::string, std::string> ObjectLabels(const KubeJson& object);

// The fields of `object` a field selector of `resource` may name (see
// ResourceInfo::fields), with their values: metadata.name and
// metadata.namespace for all; status.phase for Namespaces; involvedObject.*,
// reason, type, reportingComponent and source (source.component, else
// reportingComponent) for Events.
FieldSelector::Fields ObjectFields(Resource resource, const KubeJson& object);

// Whether `object` satisfies both selectors.
bool Selects(Resource resource, const KubeJson& object, const LabelSelector& labels,
             const FieldSelector& fields);

}  // namespace vigil::kube
