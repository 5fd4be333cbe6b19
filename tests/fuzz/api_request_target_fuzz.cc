// The API's reading of a request target, as the HTTP server and its routes
// take it apart: SplitTarget, DecodePathSegments and ParseQueryString
// (agent/api/request_target.h), the route table's HttpRouter, the native
// lists' ParseListQuery (agent/api/list_query.h), and the Kubernetes view's
// RouteRequest and ParseQuery (agent/api/kubernetes/). The input is the
// target as a client sends it. Besides never crashing:
//
// - the path and the query are the target's bytes either side of its first
//   '?';
// - a decoded segment or parameter, encoded again, decodes to itself, and
//   the path and query rebuilt from them read back the same;
// - every error names what was wrong; a resourceVersion accepted is never
//   newer than the board's; the Kubernetes view answers 400 for a query and
//   404 or 405 for a path, nothing else.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http_router.h"
#include "agent/api/kubernetes/query.h"
#include "agent/api/kubernetes/resources.h"
#include "agent/api/kubernetes/router.h"
#include "agent/api/list_query.h"
#include "agent/api/request_target.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Every byte but the unreserved ones as %XX: what decodes to `text` in a
// path segment and in a query alike.
std::string Encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

// The native API's routes (agent/api/api_server.cc), ids in order.
const vigil::HttpRouter& NativeRoutes() {
  static const vigil::HttpRouter* router = [] {
    auto* r = new vigil::HttpRouter;
    int id = 0;
    for (const char* pattern :
         {"/vigil/v1/services", "/vigil/v1/endpoints", "/vigil/v1/endpoints/{name}",
          "/vigil/v1/endpoints/{name}/transitions", "/healthz", "/readyz", "/metrics"}) {
      r->Add("GET", pattern, id++);
    }
    r->Add("POST", "/-/reload", id++);
    return r;
  }();
  return *router;
}

void CheckSegments(std::string_view path) {
  const vigil::Result<std::vector<std::string>> segments = vigil::DecodePathSegments(path);
  if (!segments.ok()) {
    FUZZ_CHECK(!segments.status().message().empty());
    return;
  }
  FUZZ_CHECK(!path.empty() && path.front() == '/');
  const size_t slashes = static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
  FUZZ_CHECK(segments->size() == (path == "/" ? 0 : slashes));
  std::string rebuilt;
  for (const std::string& s : *segments) rebuilt += "/" + Encode(s);
  if (rebuilt.empty()) rebuilt = "/";
  const vigil::Result<std::vector<std::string>> again = vigil::DecodePathSegments(rebuilt);
  FUZZ_CHECK(again.ok() && *again == *segments);

  for (const char* method : {"GET", "HEAD", "POST", "DELETE"}) {
    const vigil::HttpRouter::Match match = NativeRoutes().Find(method, *segments);
    if (match.kind == vigil::HttpRouter::Match::Kind::kFound) {
      FUZZ_CHECK(match.route >= 0);
      for (const auto& [name, value] : match.captures) FUZZ_CHECK(!name.empty() && !value.empty());
    } else if (match.kind == vigil::HttpRouter::Match::Kind::kMethodNotAllowed) {
      FUZZ_CHECK(!match.allow.empty());
    }
    std::string decoded;
    for (const std::string& s : *segments) decoded += "/" + s;
    if (decoded.empty()) decoded = "/";
    if (const auto route = vigil::kube::RouteRequest(method, decoded); route && !route->ok()) {
      FUZZ_CHECK(route->error().code == 404 || route->error().code == 405);
      FUZZ_CHECK(!route->error().message.empty());
    }
  }
}

void CheckQuery(std::string_view query) {
  const vigil::Result<vigil::QueryParams> params = vigil::ParseQueryString(query);
  if (!params.ok()) {
    FUZZ_CHECK(!params.status().message().empty());
    return;
  }
  std::string rebuilt;
  for (const auto& [name, value] : params->all()) {
    FUZZ_CHECK(!name.empty() || !value.empty() || query.find("&=") != std::string_view::npos ||
               query.rfind("=", 0) == 0);
    rebuilt += (rebuilt.empty() ? "" : "&") + Encode(name) + "=" + Encode(value);
  }
  const vigil::Result<vigil::QueryParams> again = vigil::ParseQueryString(rebuilt);
  FUZZ_CHECK(again.ok() && again->all() == params->all());
  if (!params->all().empty()) {
    const auto& [first_name, first_value] = params->all().front();
    FUZZ_CHECK(params->Has(first_name) && params->Get(first_name) == first_value);
  }

  for (const uint64_t current : {uint64_t{0}, uint64_t{1795738135912047}, UINT64_MAX}) {
    const vigil::Result<vigil::ListQuery> list = vigil::ParseListQuery(*params, current);
    if (!list.ok()) {
      FUZZ_CHECK(!list.status().message().empty());
    } else if (list->since) {
      FUZZ_CHECK(*list->since <= current);
    }
  }
  for (const vigil::kube::ResourceInfo& info : vigil::kube::AllResources()) {
    const auto kube = vigil::kube::ParseQuery(params->all(), info.resource);
    if (!kube.ok()) {
      FUZZ_CHECK(kube.error().code == 400);
      FUZZ_CHECK(!kube.error().message.empty());
    } else if (kube->timeout) {
      FUZZ_CHECK(kube->timeout->count() >= 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  const vigil::TargetParts parts = vigil::SplitTarget(target);
  FUZZ_CHECK(parts.path.data() == target.data());
  FUZZ_CHECK(parts.path.find('?') == std::string_view::npos);
  if (parts.path.size() == target.size()) {
    FUZZ_CHECK(parts.query.empty());
  } else {
    FUZZ_CHECK(target[parts.path.size()] == '?');
    FUZZ_CHECK(parts.query.data() == target.data() + parts.path.size() + 1);
    FUZZ_CHECK(parts.path.size() + 1 + parts.query.size() == target.size());
  }

  for (const bool plus_is_space : {false, true}) {
    const vigil::Result<std::string> decoded = vigil::PercentDecode(target, plus_is_space);
    if (!decoded.ok()) {
      FUZZ_CHECK(!decoded.status().message().empty());
      FUZZ_CHECK(target.find('%') != std::string_view::npos);
      continue;
    }
    FUZZ_CHECK(decoded->size() <= target.size());
    const vigil::Result<std::string> again = vigil::PercentDecode(Encode(*decoded), plus_is_space);
    FUZZ_CHECK(again.ok() && *again == *decoded);
  }

  CheckSegments(parts.path);
  CheckQuery(parts.query);
  return 0;
}
