// The uid of an object of the Kubernetes view. Kubernetes gives every object
// a UUID that stays the same for its life and differs from any object before
// or after it of the same name; clients use it to tell lives apart (kubectl
// describe selects an Endpoints' Events by involvedObject.uid). vigil stores
// no uid: it derives one, a name-based UUID (RFC 4122 version 5, SHA-1) of
// the object's kind, namespace, name and creationTimestamp. So the uid is
// the same for an object's whole life, new when a service is removed and
// added again (its creation time moves), and the same on every agent of a
// cluster registry, which all see the same creationTimestamp.
//
// A pure function: safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"

namespace vigil::kube {

// "6f6e1b74-3fa8-56d6-9add-081d98b40e4f": lower-case hex, version 5. The
// creation time counts in whole seconds, as metadata.creationTimestamp shows
// it.
std::string ObjectUid(std::string_view kind, std::string_view namespace_name, std::string_view name,
                      WallTime creation_time);

}  // namespace vigil::kube
