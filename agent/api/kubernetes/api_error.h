// ApiError is a failed request as the Kubernetes API answers it: an HTTP code
// and the metav1.Status the body carries, whose reason and message kubectl
// prints ("Error from server (NotFound): endpoints "nope" not found") and the
// Python client raises as ApiException. ApiResult<T> holds a T or the
// ApiError saying why there is none, as Result<T> does with a Status.
//
// Plain values: copy freely, no synchronization.
#pragma once

#include <cassert>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/resources.h"

namespace vigil::kube {

struct ApiError {
  int code = 500;
  std::string reason;  // metav1.StatusReason: "NotFound", "BadRequest", ...
  std::string message;

  // status.details, when there are any.
  bool has_details = false;
  std::string details_name;
  std::string details_group;
  std::string details_kind;  // the resource, plural lower case ("endpoints"), as the apiserver

  // 404 `endpoints "nope" not found`, `endpointslices.discovery.k8s.io "x"
  // not found`, with details {name, group, kind}.
  static ApiError NotFound(const ResourceInfo& resource, std::string_view name);
  // 404 "the server could not find the requested resource": a path under
  // /api or /apis that names no resource of this server.
  static ApiError UnknownResource();
  // 405 "the server does not allow this method on the requested resource".
  static ApiError MethodNotAllowed();
  // 400 with what was wrong.
  static ApiError BadRequest(std::string message);
  // 406 "only the following media types are accepted: application/json, ...".
  static ApiError NotAcceptable(std::span<const std::string_view> accepted);
  // 410 "too old resource version: N (M)": a watch from `requested`, older
  // than `oldest`, the oldest version the history still holds. Sent as a
  // watch's ERROR event.
  static ApiError Expired(uint64_t requested, uint64_t oldest);

  bool operator==(const ApiError&) const = default;
};

// The metav1.Status of `error`:
//   {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
//    "message":…,"reason":…,"details":{…},"code":N}
KubeJson StatusJson(const ApiError& error);

template <typename T>
class ApiResult {
 public:
  ApiResult(T value) : state_(std::move(value)) {}         // NOLINT: implicit by design
  ApiResult(ApiError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; only when !ok().
  const ApiError& error() const {
    assert(!ok());
    return std::get<ApiError>(state_);
  }

 private:
  std::variant<T, ApiError> state_;
};

}  // namespace vigil::kube
