#include "agent/api/kubernetes/api_error.h"

#include <utility>

namespace vigil::kube {
namespace {

ApiError Failure(int code, std::string reason, std::string message) {
  ApiError e;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

}  // namespace

ApiError ApiError::NotFound(const ResourceInfo& resource, std::string_view name) {
  ApiError e = Failure(404, "NotFound",
                       QualifiedName(resource) + " \"" + std::string(name) + "\" not found");
  e.has_details = true;
  e.details_name = std::string(name);
  e.details_group = std::string(resource.group);
  e.details_kind = std::string(resource.name);
  return e;
}

ApiError ApiError::UnknownResource() {
  ApiError e = Failure(404, "NotFound", "the server could not find the requested resource");
  e.has_details = true;  // "details":{}, as the apiserver
  return e;
}

ApiError ApiError::MethodNotAllowed() {
  return Failure(405, "MethodNotAllowed",
                 "the server does not allow this method on the requested resource");
}

ApiError ApiError::BadRequest(std::string message) {
  return Failure(400, "BadRequest", std::move(message));
}

ApiError ApiError::NotAcceptable(std::span<const std::string_view> accepted) {
  std::string message = "only the following media types are accepted: ";
  for (size_t i = 0; i < accepted.size(); ++i) {
    if (i > 0) message += ", ";
    message += accepted[i];
  }
  return Failure(406, "NotAcceptable", std::move(message));
}

ApiError ApiError::Expired(uint64_t requested, uint64_t oldest) {
  return Failure(410, "Expired",
                 "too old resource version: " + std::to_string(requested) + " (" +
                     std::to_string(oldest) + ")");
}

KubeJson StatusJson(const ApiError& error) {
  KubeJson status = {
      {"kind", "Status"},    {"apiVersion", "v1"},       {"metadata", KubeJson::object()},
      {"status", "Failure"}, {"message", error.message}, {"reason", error.reason}};
  if (error.has_details) {
    KubeJson details = KubeJson::object();
    if (!error.details_name.empty()) details["name"] = error.details_name;
    if (!error.details_group.empty()) details["group"] = error.details_group;
    if (!error.details_kind.empty()) details["kind"] = error.details_kind;
    status["details"] = std::move(details);
  }
  status["code"] = error.code;
  return status;
}

}  // namespace vigil::kube
